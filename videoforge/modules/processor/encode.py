"""One ffmpeg process that decodes once and encodes every rung to HLS, watched while it runs.

Segments are fragmented MP4 (CMAF), not MPEG-TS: about 5-10% less muxing overhead at low
bitrates (TS pads every 188-byte packet and repeats PAT/PMT), one init segment per rung
instead of codec headers in each segment, and the same files can later serve DASH. hls.js,
Safari/iOS (10+), ExoPlayer and VLC all play fMP4 HLS (EXT-X-VERSION 7).
"""

from __future__ import annotations

import collections
import os
import selectors
import shutil
import signal
import subprocess
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from videoforge.modules.processor.chunking import ChunkSpan
from videoforge.modules.processor.colour import SDR_TAGS
from videoforge.modules.processor.inputs import source_input
from videoforge.modules.processor.ladder import Rung
from videoforge.modules.processor.limits import Limits, exited, reap, spawn
from videoforge.modules.processor.playlists import Segment, parse_variant
from videoforge.modules.processor.probe import SourceInfo
from videoforge.modules.processor.reasons import JobFailure, scrub_paths

PLAYLIST_NAME = "index.m3u8"
SEGMENT_PATTERN = "seg_%05d.m4s"
INIT_NAME = "init.mp4"  # ffmpeg appends the stream index: init_0.mp4, init_1.mp4...
AUDIO_COPY_MAX_KBPS = 192
"""Source AAC above this is re-encoded: a 360p rung should not carry 256 kb/s of sound."""


class TranscodeFailed(JobFailure):
    """ffmpeg exited with an error; `reason` carries its last stderr lines."""


class TranscodeStalled(TranscodeFailed):
    """ffmpeg made no progress for too long and was killed; worth retrying elsewhere."""


@dataclass(frozen=True)
class ReadySegment:
    """A finished segment on disk, safe to upload: ffmpeg has listed it in its playlist."""

    rung: str
    path: Path
    init_path: Path | None  # the rung's init segment: upload it before the first media segment
    segment: Segment


ProgressCallback = Callable[[float, str], None]
SegmentCallback = Callable[[str, ReadySegment], None]


def build_ladder_command(
    source_path: str | Path,
    out_dir: str | Path,
    source: SourceInfo,
    ladder: Sequence[Rung],
    preset: str = "veryfast",
    segment_seconds: int = 4,
    gop_seconds: int = 2,
    crf: int = 23,
    chunk: ChunkSpan | None = None,
) -> list[str]:
    """The ffmpeg argv writing `out_dir/{rung}/index.m3u8` and its segments for every rung.

    With `chunk`, only that chunk's frames, video alone (a chunked transcode's sound is its own rendition,
    `build_audio_command`): its segments are numbered and timed on the whole video's timeline (see chunking.py).
    """
    if not ladder:
        raise ValueError("the ladder has no rungs")
    if segment_seconds % gop_seconds:
        raise ValueError(f"segments ({segment_seconds} s) must hold whole GOPs ({gop_seconds} s)")
    out = Path(out_dir)
    fps = ladder[0].fps
    gop = max(1, round(fps * gop_seconds))
    with_audio = source.has_audio and chunk is None
    cmd = [
        "ffmpeg", "-hide_banner", "-nostdin", "-y", "-v", "error",
        "-progress", "pipe:1", "-nostats",
        *(chunk.input_args() if chunk else []),
        *source_input(source_path, source.format_name),
        "-filter_complex", _filter_graph(ladder, source.video_stream, source.to_sdr()),
    ]
    for index in range(len(ladder)):
        cmd += ["-map", f"[v{index}]"]
        if with_audio:
            cmd += ["-map", "0:a:0"]
    cmd += [
        "-c:v", "libx264", "-preset", preset, "-profile:v", "high", "-crf", str(crf),
        # Keyframes at the same instants on every rung: a fixed GOP, no scene-cut keyframes, and
        # forced IDRs on the 2 s grid (they also hold the grid if the source timing drifts).
        "-g", str(gop), "-keyint_min", str(gop), "-sc_threshold", "0",
        "-force_key_frames", f"expr:gte(t,n_forced*{gop_seconds})",
        # B-frames stay at the preset's own (3 for veryfast): PeerTube's `-bf 16` made about the same
        # bytes and quality for 11% more CPU and twice the memory (docs/benchmarks.md).
    ]
    for index, rung in enumerate(ladder):
        cmd += [
            f"-maxrate:v:{index}", f"{rung.maxrate_kbps}k",
            f"-bufsize:v:{index}", f"{rung.bufsize_kbps}k",
            f"-level:v:{index}", rung.level,
        ]
    if source.hdr:
        cmd += SDR_TAGS
    if with_audio:
        cmd += audio_codec_args(source, ladder[0].audio_kbps)
    streams = " ".join(
        f"v:{i}," + (f"a:{i}," if with_audio else "") + f"name:{rung.name}"
        for i, rung in enumerate(ladder)
    )
    cmd += chunk.output_args() if chunk else []
    cmd += [
        # B-frames and each rung's lookahead delay the big rungs' packets; let the muxer wait.
        "-max_muxing_queue_size", "4096",
        *_hls_args(out, segment_seconds, streams),
    ]
    return cmd


def build_audio_command(source_path: str | Path, out_dir: str | Path, source: SourceInfo, audio_kbps: int,
                        segment_seconds: int = 4, name: str = "audio") -> list[str]:
    """The ffmpeg argv writing the source's sound alone as one HLS rendition, `out_dir/{name}/index.m3u8`: a
    chunked transcode's audio, made once for the whole timeline, so no chunk join can put a gap or an AAC priming
    click in it."""
    if not source.has_audio:
        raise ValueError("the source has no audio")
    return [
        "ffmpeg", "-hide_banner", "-nostdin", "-y", "-v", "error", "-progress", "pipe:1", "-nostats",
        *source_input(source_path, source.format_name),
        "-map", "0:a:0", *audio_codec_args(source, audio_kbps),
        *_hls_args(Path(out_dir), segment_seconds, f"a:0,name:{name}"),
    ]


def audio_codec_args(source: SourceInfo, audio_kbps: int) -> list[str]:
    """Copy sound that already fits (audio_copyable), else AAC-LC stereo at `audio_kbps`."""
    if audio_copyable(source):
        return ["-c:a", "copy"]
    return ["-c:a", "aac", "-b:a", f"{audio_kbps}k", "-ac", "2", "-ar", "48000"]


def _hls_args(out: Path, segment_seconds: int, streams: str) -> list[str]:
    return [
        "-f", "hls",
        "-hls_time", str(segment_seconds),
        # EVENT, not VOD: ffmpeg then rewrites each playlist after every segment, which is how
        # the runner learns that a segment is finished. The published playlists are our own.
        "-hls_playlist_type", "event",
        "-hls_list_size", "0",
        "-hls_segment_type", "fmp4",
        "-hls_fmp4_init_filename", INIT_NAME,
        # temp_file: playlists are written aside and renamed, so a reader never sees half of one.
        "-hls_flags", "temp_file+independent_segments",
        "-hls_segment_filename", str(out / "%v" / SEGMENT_PATTERN),
        "-var_stream_map", streams,
        str(out / "%v" / PLAYLIST_NAME),
    ]


def audio_copyable(source: SourceInfo) -> bool:
    """Audio already as the ladder wants it (AAC-LC stereo, 44.1/48 kHz, at most AUDIO_COPY_MAX_KBPS,
    as phones record) is copied into every rung: no generation loss, and no encoder time."""
    return (
        source.audio_codec == "aac"
        and source.audio_profile == "LC"
        and source.audio_channels == 2
        and source.audio_sample_rate in (44100, 48000)
        and source.audio_bit_rate is not None
        and source.audio_bit_rate <= AUDIO_COPY_MAX_KBPS * 1000
    )


def _filter_graph(ladder: Sequence[Rung], video_stream: int = 0, to_sdr: Sequence[str] = ()) -> str:
    """Decode once, then a cascade: each rung is scaled from the next larger one, not from the source.

    Scaling 720p to 480p reads 2.25x fewer pixels than scaling 1080p to 480p, and the pixel format
    and output rate are converted once, at the top, for every rung — as is an HDR source's tone
    mapping (`to_sdr`, ending in yuv420p), done at the top rung's size rather than the source's.
    Autorotate has already turned the picture upright. The stream is named by index: `0:v` could
    pick cover art.
    """
    label, filters, parts = f"[0:{video_stream}]", [f"fps={ladder[0].fps}"], []
    for index in reversed(range(len(ladder))):
        rung = ladder[index]
        # Every scale ends with setsar=1: even rounding leaves a SAR a hair off 1:1 otherwise.
        filters += [f"scale={rung.width}:{rung.height}", "setsar=1"]
        if index == len(ladder) - 1:
            filters += list(to_sdr) or ["format=yuv420p"]
        if index:
            filters.append(f"split=2[v{index}][c{index}]")
            parts.append(label + ",".join(filters))
            label, filters = f"[c{index}]", []
        else:
            parts.append(label + ",".join(filters) + "[v0]")
    return ";".join(parts)


def transcode_ladder(
    source_path: str | Path,
    out_dir: str | Path,
    source: SourceInfo,
    ladder: Sequence[Rung],
    on_progress: ProgressCallback | None = None,
    on_segment: SegmentCallback | None = None,
    stall_seconds: float = 120.0,
    limits: Limits = Limits(),
    **encoder_options,
) -> None:
    """Build the command and run it: the whole ladder, published as it grows."""
    cmd = build_ladder_command(source_path, out_dir, source, ladder, **encoder_options)
    run_ladder(cmd, out_dir, source.duration, [r.name for r in ladder], on_progress, on_segment, stall_seconds,
               limits=limits)


def run_ladder(
    cmd: Sequence[str],
    out_dir: str | Path,
    duration: float,
    rung_names: Sequence[str],
    on_progress: ProgressCallback | None = None,
    on_segment: SegmentCallback | None = None,
    stall_seconds: float = 120.0,
    poll_seconds: float = 0.25,
    limits: Limits = Limits(),
) -> None:
    """Run a ladder command under `limits`; report progress (at most once a second) and finished segments in order.

    Raises TranscodeStalled if ffmpeg neither advances nor finishes a segment for `stall_seconds`
    (it is killed first), LimitExceeded if it ran out of CPU time, memory or file size, TranscodeFailed
    if it exits with another error. Callback errors kill ffmpeg too.
    """
    out = Path(out_dir)
    for name in rung_names:
        # A redelivered job may find the last attempt's playlists: they would be reported as new.
        shutil.rmtree(out / name, ignore_errors=True)
        (out / name).mkdir(parents=True)
    watcher = _SegmentWatcher(out, rung_names, on_segment)
    reporter = _ProgressReporter(duration, on_progress)
    proc = spawn(cmd, limits, duration, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    stderr_tail: collections.deque[str] = collections.deque(maxlen=15)
    drain = threading.Thread(target=_drain, args=(proc.stderr, stderr_tail), daemon=True)
    drain.start()
    try:
        _watch(proc, reporter, watcher, stall_seconds, poll_seconds)
        drain.join(timeout=5)
        cpu_used = reap(proc)
        limits.check(proc.returncode, cpu_used, duration, "\n".join(stderr_tail))
        if proc.returncode != 0:
            # The tail names the source and the work folder: scrubbed, as it becomes the video's error.
            source = cmd[cmd.index("-i") + 1].removeprefix("file:") if "-i" in cmd else None
            raise TranscodeFailed(scrub_paths(_failure_reason(proc.returncode, stderr_tail), source=source, work=out))
        watcher.poll()
        unfinished = watcher.unfinished()
        if unfinished:
            raise TranscodeFailed(f"ffmpeg exited without finishing rungs {', '.join(unfinished)}")
        reporter.finish()
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
        for pipe in (proc.stdout, proc.stderr):
            if pipe is not None:
                pipe.close()


def _watch(proc, reporter, watcher, stall_seconds: float, poll_seconds: float) -> None:
    with selectors.DefaultSelector() as selector:
        _watch_with(selector, proc, reporter, watcher, stall_seconds, poll_seconds)


def _watch_with(selector, proc, reporter, watcher, stall_seconds: float, poll_seconds: float) -> None:
    selector.register(proc.stdout, selectors.EVENT_READ)
    pending = b""
    last_advance = time.monotonic()
    stdout_open = True
    while True:
        if stdout_open and selector.select(timeout=poll_seconds):
            chunk = os.read(proc.stdout.fileno(), 65536)
            if not chunk:
                stdout_open = False
                selector.unregister(proc.stdout)
            pending += chunk
            *lines, pending = pending.split(b"\n")
            for line in lines:
                if reporter.feed(line.decode("utf-8", "replace").strip()):
                    last_advance = time.monotonic()
        elif not stdout_open:
            time.sleep(poll_seconds)
        if watcher.poll():
            last_advance = time.monotonic()
        if not stdout_open and exited(proc):  # not reaped yet: run_ladder reads what it used first
            return
        if time.monotonic() - last_advance > stall_seconds:
            proc.send_signal(signal.SIGKILL)
            proc.wait()
            raise TranscodeStalled(
                f"ffmpeg made no progress for {stall_seconds:g} s (at {reporter.percent:.1f}%) and was stopped"
            )


class _ProgressReporter:
    """Turns `-progress` key=value blocks into percent, calling back at most once a second."""

    def __init__(self, duration: float, callback: ProgressCallback | None, stage: str = "transcoding"):
        self.duration = max(duration, 0.001)
        self.callback = callback
        self.stage = stage
        self.percent = 0.0
        self._out_time_us = -1
        self._last_call = float("-inf")

    def feed(self, line: str) -> bool:
        """Take one progress line; True when the output has moved forward."""
        key, _, value = line.partition("=")
        if key != "out_time_us" or not value.lstrip("-").isdigit():
            return False
        out_time_us = int(value)
        if out_time_us <= self._out_time_us:
            return False
        self._out_time_us = out_time_us
        # Held below 100 until ffmpeg has exited cleanly with every rung finished (see finish()).
        self.percent = min(99.9, max(self.percent, out_time_us / 1e6 / self.duration * 100))
        now = time.monotonic()
        if self.callback and now - self._last_call >= 1.0:
            self._last_call = now
            self.callback(self.percent, self.stage)
        return True

    def finish(self) -> None:
        self.percent = 100.0
        if self.callback:
            self.callback(100.0, self.stage)


class _SegmentWatcher:
    """Reads each rung's ffmpeg playlist (rewritten after every segment) and reports new segments."""

    def __init__(self, out_dir: Path, rung_names: Sequence[str], callback: SegmentCallback | None):
        self.out_dir = out_dir
        self.rung_names = list(rung_names)  # lowest first, so at equal progress it publishes first
        self.callback = callback
        self.reported = dict.fromkeys(self.rung_names, 0)
        self.ended = dict.fromkeys(self.rung_names, False)

    def poll(self) -> bool:
        """Report segments listed since the last poll; True if there were any."""
        found = False
        for name in self.rung_names:
            playlist = self.out_dir / name / PLAYLIST_NAME
            try:
                listing = parse_variant(playlist.read_text())
            except FileNotFoundError:
                continue
            self.ended[name] = listing.ended
            init_path = self.out_dir / name / listing.init_uri if listing.init_uri else None
            for segment in listing.segments[self.reported[name]:]:
                path = self.out_dir / name / segment.uri
                sized = Segment(segment.sequence, segment.uri, segment.duration, path.stat().st_size)
                self.reported[name] += 1
                found = True
                if self.callback:
                    self.callback(name, ReadySegment(name, path, init_path, sized))
        return found

    def unfinished(self) -> list[str]:
        return [name for name, ended in self.ended.items() if not ended]


def _drain(stream, tail: collections.deque) -> None:
    for raw in stream:
        line = raw.decode("utf-8", "replace").rstrip()
        if line:
            tail.append(line)


def _failure_reason(returncode: int, tail: collections.deque) -> str:
    how = f"killed by signal {-returncode}" if returncode < 0 else f"exit status {returncode}"
    detail = " | ".join(tail) if tail else "no error output"
    return f"ffmpeg failed ({how}): {detail}"
