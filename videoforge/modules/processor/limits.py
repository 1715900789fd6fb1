"""Resource limits of every ffmpeg and ffprobe the worker starts, and how a breach is told from other failures.

Each child gets setrlimit in its preexec: CPU seconds scaled with the source's duration, data memory, and the
largest file it may write. A decompression bomb or a source that lies about its length then ends as a clear
reason instead of eating the worker. A breach is permanent (the video is rejected, not retried): the limits
depend only on the source and the config (CPU *time*, not wall time, so a busy machine does not trip them), so
every retry would fail the same way after burning the same budget. An operator who raises a limit can still
retry the video from the admin API.

Measured on the 2-core worker (tests/modules/processor/test_limits.py; `ladder` = the full 1080/720/480/360
ladder of one ffmpeg, veryfast): 1.8-3.6 CPU s per source second (10 s noisy 1080p: 2.4; 2 s 4K HEVC HDR: 3.6,
start-up included); VmData 0.96 GiB for 1080p, 1.18 GiB for 8K, 1.24 GiB for 4K HEVC HDR with RSS 0.5-0.8 GiB.
x264 threads scale with cores: with the thread counts of 8 and 16 cores VmData was 2.3 and 3.9 GiB.
"""

from __future__ import annotations

import ctypes
import os
import resource
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from videoforge.modules.processor import config
from videoforge.modules.processor.reasons import JobFailure

MiB = 1024 * 1024
CPU_GRACE_SECONDS = 10
"""Between the soft CPU limit (SIGXCPU: ffmpeg stops cleanly, exit status 255) and the hard one (SIGKILL)."""
# Words ffmpeg, x264 and libc use when an allocation or a thread fails under RLIMIT_DATA (measured: malloc
# failures in x264, EAGAIN from pthread_create). A machine short of memory kills with SIGKILL instead.
_OUT_OF_MEMORY = ("cannot allocate memory", "out of memory", "malloc of size", "resource temporarily unavailable")
_LIBC = ctypes.CDLL(None, use_errno=True) if sys.platform == "linux" else None
_PR_SET_PDEATHSIG = 1


class LimitExceeded(JobFailure):
    """ffmpeg went past a resource limit; the source needs more than a video may use, so no retry."""

    permanent = True


@dataclass(frozen=True)
class Limits:
    """The limits of one job's ffmpeg children (config keys FFMPEG_*)."""

    cpu_per_second: float = config.FFMPEG_CPU_PER_SECOND
    cpu_min_seconds: int = config.FFMPEG_CPU_MIN_SECONDS
    memory_bytes: int = config.FFMPEG_MEMORY_MB * MiB  # 0: scaled with the CPUs, see data_bytes()
    file_bytes: int = config.FFMPEG_FILE_MB * MiB

    @classmethod
    def from_config(cls, cfg: Mapping[str, Any]) -> Limits:
        return cls(cpu_per_second=float(cfg.get("FFMPEG_CPU_PER_SECOND", config.FFMPEG_CPU_PER_SECOND)),
                   cpu_min_seconds=int(cfg.get("FFMPEG_CPU_MIN_SECONDS", config.FFMPEG_CPU_MIN_SECONDS)),
                   memory_bytes=int(cfg.get("FFMPEG_MEMORY_MB", config.FFMPEG_MEMORY_MB)) * MiB,
                   file_bytes=int(cfg.get("FFMPEG_FILE_MB", config.FFMPEG_FILE_MB)) * MiB)

    def cpu_seconds(self, duration: float) -> int:
        """CPU seconds (every thread together) for a child working on `duration` seconds of source."""
        return max(1, int(self.cpu_min_seconds), int(self.cpu_per_second * max(duration, 0.0)))

    def data_bytes(self) -> int:
        """The RLIMIT_DATA of a child: VmData, which counts heap and thread stacks but not the address space
        glibc only reserves (RLIMIT_AS would: VmPeak was 1.36 GiB where VmData was 0.96, and 5 GiB with 16
        cores' threads; a 1.2 GiB RLIMIT_AS failed the 1080p ladder that runs in a 1.0 GiB RLIMIT_DATA)."""
        if self.memory_bytes > 0:
            return self.memory_bytes
        # x264 runs ~1.5 threads per core per rung, each with its own stack and frames: measured ~210 MiB
        # of VmData per core on top of ~550 MiB; this leaves about twice that.
        return (1536 + 384 * _cpus()) * MiB

    def preexec(self, duration: float = 0.0) -> Callable[[], None]:
        """The preexec_fn for a child: limits set, and death with its parent. Computed here, in the parent,
        so the forked child only makes system calls (Python code after fork must stay minimal)."""
        cpu = self.cpu_seconds(duration)
        wanted = [(resource.RLIMIT_CPU, cpu, cpu + CPU_GRACE_SECONDS),
                  (resource.RLIMIT_DATA, self.data_bytes(), self.data_bytes()),
                  (resource.RLIMIT_FSIZE, self.file_bytes, self.file_bytes)]
        settings = [(kind, _within(kind, soft), _within(kind, hard)) for kind, soft, hard in wanted]

        def limit_child() -> None:
            for kind, soft, hard in settings:
                resource.setrlimit(kind, (soft, hard))
            if _LIBC is not None:
                # If the worker is killed outright (OOM, SIGKILL), its ffmpeg must not burn the CPU on alone.
                _LIBC.prctl(_PR_SET_PDEATHSIG, signal.SIGKILL)

        return limit_child

    def check(self, returncode: int | None, cpu_used: float | None, duration: float, stderr: str) -> None:
        """Raise LimitExceeded if a failed child died of one of these limits; otherwise return."""
        if not returncode:
            return
        if returncode == -signal.SIGXCPU or (cpu_used is not None and cpu_used >= self.cpu_seconds(duration)):
            raise LimitExceeded("the video needs more processing time than allowed (damaged, or far longer than "
                                "it says)")
        if returncode == -signal.SIGXFSZ:
            raise LimitExceeded("the video makes larger files than allowed")
        if any(words in stderr.lower() for words in _OUT_OF_MEMORY):
            raise LimitExceeded("the video needs more memory than allowed")


@dataclass(frozen=True)
class Finished:
    """A child that has ended: its exit status, output (bytes) and errors (text), and the CPU seconds it used
    (None where unknown)."""

    returncode: int
    stdout: bytes
    stderr: str
    cpu_used: float | None


def spawn(cmd: Sequence[str], limits: Limits, duration: float = 0.0, **popen: Any) -> subprocess.Popen:
    """Start an ffmpeg or ffprobe under `limits`, with no stdin."""
    return subprocess.Popen(cmd, stdin=subprocess.DEVNULL, preexec_fn=limits.preexec(duration), **popen)


def run(cmd: Sequence[str], limits: Limits, duration: float = 0.0, timeout: float | None = None) -> Finished:
    """subprocess.run for ffmpeg under `limits`: raises TimeoutExpired (the child killed) or LimitExceeded."""
    proc = spawn(cmd, limits, duration, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    output: dict[str, bytes] = {}
    readers = [threading.Thread(target=lambda name=name, stream=stream: output.__setitem__(name, stream.read()),
                                daemon=True)
               for name, stream in (("stdout", proc.stdout), ("stderr", proc.stderr))]
    deadline = None if timeout is None else time.monotonic() + timeout
    try:
        for reader in readers:
            reader.start()
        for reader in readers:
            reader.join(None if deadline is None else max(0.0, deadline - time.monotonic()))
        # Its output closed, the child is ending; it still has until the deadline to be gone.
        while any(reader.is_alive() for reader in readers) or not exited(proc):
            if deadline is not None and time.monotonic() > deadline:
                raise subprocess.TimeoutExpired(list(cmd), timeout or 0)
            time.sleep(0.01)
        cpu_used = reap(proc)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
        for pipe in (proc.stdout, proc.stderr):
            if pipe is not None:
                pipe.close()
    done = Finished(proc.returncode, output.get("stdout", b""), output.get("stderr", b"").decode("utf-8", "replace"),
                    cpu_used)
    limits.check(done.returncode, done.cpu_used, duration, done.stderr)
    return done


def exited(proc: subprocess.Popen) -> bool:
    """True once the child has ended, without reaping it (so reap() can still read what it used)."""
    if proc.returncode is not None:
        return True
    try:
        return os.waitid(os.P_PID, proc.pid, os.WEXITED | os.WNOHANG | os.WNOWAIT) is not None
    except (AttributeError, ChildProcessError, OSError):
        return proc.poll() is not None


def reap(proc: subprocess.Popen) -> float | None:
    """Wait for the child and return the CPU seconds it used, all threads together (None where unknown).

    Read from the zombie's /proc/<pid>/stat before Popen reaps it: its exit status alone cannot tell a
    SIGXCPU from a SIGTERM (ffmpeg exits 255 on both).
    """
    cpu_used = None
    if proc.returncode is None:
        try:
            os.waitid(os.P_PID, proc.pid, os.WEXITED | os.WNOWAIT)
            with open(f"/proc/{proc.pid}/stat") as stat:
                fields = stat.read().rsplit(")", 1)[1].split()
            cpu_used = (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")  # utime + stime
        except (AttributeError, ChildProcessError, OSError, ValueError, IndexError):
            pass
    proc.wait()
    return cpu_used


def _cpus() -> int:
    try:
        return len(os.sched_getaffinity(0))  # what ffmpeg itself counts (av_cpu_count)
    except AttributeError:
        return os.cpu_count() or 1


def _within(kind: int, value: int) -> int:
    """`value`, lowered to the worker's own hard limit: an unprivileged child cannot raise it."""
    _, hard = resource.getrlimit(kind)
    return value if hard == resource.RLIM_INFINITY else min(value, hard)
