"""Benchmark: one long video across many workers — the chunked ladder against today's single job.

    .venv/bin/python benchmarks/chunked_ladder.py [--seconds 120] [--chunk-seconds 16] [--workdir /tmp/vf-chunk-bench]

A camera-like 1080p30 source (temporal noise, High profile with CABAC, as benchmarks/ladder.py's "noisy" clip) goes
through real `videoforge worker` processes on SQLite and a storage folder, ladder 1080/720/480/360:

  single-2cores    today's one job (chunking off), one worker free to use both cores
  single-1core     the same, the worker pinned to one core (taskset): the CPU baseline for the chunked 1-core run
  chunked-1core    chunked, one worker pinned to one core
  chunked-2cores   chunked, two workers, each pinned to its own core
  chunked-killed   as chunked-2cores, but one worker is SIGKILLed halfway through its first chunk and a new one
                   started in its place (as an autoscaling group replaces a lost instance)

Wall time is from the job's send to the video's `ready`; CPU is user + system of the workers and their ffmpeg
(os.wait4 on each worker after it stops: its reaped children included). Quality: per-frame SSIM and PSNR of every
rung of chunked-2cores and single-2cores against the source scaled to the rung, and the frames either side of
each chunk join against the rest. The machine is noisy: before each run it waits (up to --max-wait s) for the other
processes to leave the CPUs mostly idle, and records the load.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import signal
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from sqlalchemy import select  # noqa: E402

from videoforge.app import create_app  # noqa: E402
from videoforge.models import TranscodePart, User, Video, new_id, utcnow  # noqa: E402
from videoforge.modules.processor.chunking import first_frame  # noqa: E402
from videoforge.outbox import transcode_message  # noqa: E402
from videoforge.ports.queue import get_queue  # noqa: E402
from videoforge.ports.storage import get_storage  # noqa: E402

SOURCE = ["-f", "lavfi", "-i", "testsrc2=s=1920x1080:r=30,noise=alls=30:allf=t",
          "-f", "lavfi", "-i", "sine=frequency=440:sample_rate=48000",
          "-c:v", "libx264", "-preset", "veryfast", "-profile:v", "high", "-b:v", "35M", "-maxrate", "35M",
          "-bufsize", "35M", "-pix_fmt", "yuv420p", "-c:a", "aac", "-b:a", "128k"]
RUNGS = (1080, 720, 480, 360)


def make_source(seconds: int, workdir: Path) -> Path:
    path = workdir / f"camera-{seconds}s.mp4"
    if not path.exists():  # written aside and renamed: an interrupted run leaves no half a source behind
        partial = path.with_suffix(".partial.mp4")
        subprocess.run(["ffmpeg", "-v", "error", "-y", *SOURCE[:8], "-t", str(seconds), *SOURCE[8:], str(partial)],
                       check=True)
        partial.rename(path)
    return path


def wait_quiet(max_busy: float, max_wait: float) -> float:
    """Wait until the 1-minute load average is under `max_busy` (or give up after max_wait s); the load then."""
    deadline = time.monotonic() + max_wait
    while os.getloadavg()[0] > max_busy and time.monotonic() < deadline:
        time.sleep(5)
    return os.getloadavg()[0]


class Stack:
    """A fresh database and storage folder, the settings every worker of one run shares."""

    def __init__(self, workdir: Path, chunk_seconds: float, chunked: bool):
        shutil.rmtree(workdir, ignore_errors=True)
        workdir.mkdir(parents=True)
        self.settings = {
            "INSTANCE_PATH": str(workdir / "instance"), "DATABASE_URL": f"sqlite:///{workdir}/db.sqlite",
            "STORAGE_PATH": str(workdir / "storage"), "WORK_DIR": str(workdir / "scratch"),
            "WORKER_IN_PROCESS": "false", "MODULES": "processor", "LOG_LEVEL": "WARNING",
            "LADDER_HEIGHTS": ",".join(map(str, RUNGS)), "QUEUE_VISIBILITY_TIMEOUT": "10",
            "WORKER_POLL_SECONDS": "0.5", "RETRY_BACKOFF_SECONDS": "0",
            "CHUNK_THRESHOLD_SECONDS": str(chunk_seconds) if chunked else "0", "CHUNK_SECONDS": str(int(chunk_seconds))}
        (workdir / "scratch").mkdir()
        self.app = create_app(**{k: v for k, v in self.settings.items() if k != "MODULES"}, TESTING=True)
        self.db = self.app.extensions["videoforge.db"]

    def queue(self, source: Path) -> str:
        video_id = new_id()
        with self.db.session() as session:
            user = User(sub=new_id(), email=f"{video_id[:8]}@bench.test")
            session.add(user)
            session.flush()
            key = f"uploads/{user.id}/{video_id}/source"
            get_storage(self.app).upload_file(key, str(source), "video/mp4")
            session.add(Video(id=video_id, owner_id=user.id, title="bench", status="queued", source_key=key,
                              source_size=source.stat().st_size, queued_at=utcnow(), filename=source.name))
            get_queue(self.app).send(transcode_message(video_id), session=session)
        return video_id

    def video(self, video_id: str) -> Video:
        with self.db.session() as session:
            return session.get(Video, video_id)

    def parts(self, video_id: str) -> list[TranscodePart]:
        with self.db.session() as session:
            return list(session.scalars(select(TranscodePart).where(TranscodePart.video_id == video_id)))

    def worker(self, cores: str | None) -> subprocess.Popen:
        env = {k: v for k, v in os.environ.items() if not k.startswith("VIDEOFORGE_")}
        env.update({f"VIDEOFORGE_{k}": v for k, v in self.settings.items()})
        command = [sys.executable, "-m", "videoforge", "worker"]
        if cores is not None:
            command = ["taskset", "-c", cores, *command]
        log = open(Path(self.settings["INSTANCE_PATH"]).parent / "workers.log", "ab")  # noqa: SIM115 - the worker's
        return subprocess.Popen(command, env=env, cwd=ROOT, start_new_session=True, stdout=log, stderr=log)


def stop(process: subprocess.Popen, kill: bool = False) -> float:
    """Stop a worker (SIGKILL to its whole group with `kill`) and return its CPU seconds, its children's included."""
    os.killpg(process.pid, signal.SIGKILL if kill else signal.SIGTERM)
    _, _, usage = os.wait4(process.pid, 0)
    process.returncode = 0
    return usage.ru_utime + usage.ru_stime


def run(name: str, source: Path, workdir: Path, cores: list[str | None], chunk_seconds: float, chunked: bool,
        kill: bool = False, keep: bool = False) -> dict:
    stack = Stack(workdir / name, chunk_seconds, chunked)
    video_id = stack.queue(source)
    started = time.monotonic()
    workers = [stack.worker(c) for c in cores]
    cpu, killed = 0.0, None
    try:
        while (video := stack.video(video_id)).status not in ("ready", "failed"):
            if kill and killed is None:
                victim = next((p for p in stack.parts(video_id) if p.number >= 0 and p.status == "processing"
                               and p.progress >= 50 and p.worker and f":{workers[0].pid}:" in p.worker), None)
                if victim is not None:
                    cpu += stop(workers[0], kill=True)
                    killed = {"chunk": victim.number, "at_seconds": round(time.monotonic() - started, 1)}
                    workers[0] = stack.worker(cores[0])  # the group replaces the lost instance
            if any(w.poll() is not None for w in workers):
                raise RuntimeError(f"{name}: a worker stopped; see {workdir / name / 'workers.log'}")
            if time.monotonic() - started > 3600:
                raise RuntimeError(f"{name}: not ready after an hour")
            time.sleep(0.5)
        wall = time.monotonic() - started
    finally:
        cpu += sum(stop(w) for w in workers if w.returncode is None)
    if video.status != "ready":
        raise RuntimeError(f"{name}: {video.error}")
    result = {"run": name, "wall": round(wall, 1), "cpu": round(cpu, 1), "load_before": None, "killed": killed,
              "chunks": len([p for p in stack.parts(video_id) if p.number >= 0]),
              "attempts": sorted(p.attempts for p in stack.parts(video_id) if p.number >= 0)}
    if keep:
        result["take"] = next((workdir / name / "storage" / "processed" / video_id / "takes").iterdir())
        result["fps"] = 30
    return result


def quality(take: Path, source: Path, rung: int, joins: list[int]) -> dict:
    """Mean SSIM and PSNR of one rung against the source scaled to it, and at the frames either side of each join."""
    folder = take / f"{rung}p"
    joined = folder / "joined.mp4"
    with joined.open("wb") as out:
        lines = (folder / "index.m3u8").read_text().splitlines()
        init = next(line.split('"')[1] for line in lines if line.startswith("#EXT-X-MAP"))
        out.write((folder / init).read_bytes())
        for line in lines:
            if line and not line.startswith("#"):
                out.write((folder / line).read_bytes())
    width = {1080: 1920, 720: 1280, 480: 854, 360: 640}[rung]
    stats = folder / "ssim.log"
    subprocess.run(["ffmpeg", "-v", "error", "-i", str(joined), "-i", str(source), "-lavfi",
                    f"[1:v]scale={width}:{rung},setsar=1[ref];[0:v][ref]ssim=stats_file={stats}", "-f", "null", "-"],
                   check=True)
    per_frame = [float(line.split("All:")[1].split()[0]) for line in stats.read_text().splitlines()]
    edges = {f for j in joins for f in (j - 1, j) if 0 <= f < len(per_frame)}
    return {"ssim_mean": round(statistics.fmean(per_frame), 5),
            "ssim_at_joins": round(statistics.fmean(per_frame[f] for f in edges), 5) if edges else None,
            "ssim_elsewhere": round(statistics.fmean(v for i, v in enumerate(per_frame) if i not in edges), 5)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seconds", type=int, default=120)
    parser.add_argument("--chunk-seconds", type=int, default=16)
    parser.add_argument("--workdir", type=Path, default=Path("/tmp/vf-chunk-bench"))
    parser.add_argument("--max-busy", type=float, default=0.5, help="1-minute load to wait for before each run")
    parser.add_argument("--max-wait", type=float, default=120)
    parser.add_argument("--only", nargs="*", help="run only these")
    args = parser.parse_args()
    args.workdir.mkdir(parents=True, exist_ok=True)
    source = make_source(args.seconds, args.workdir)
    plan = [("single-2cores", [None], False, False), ("chunked-2cores", ["0", "1"], True, False),
            ("chunked-1core", ["0"], True, False), ("single-1core", ["0"], False, False),
            ("chunked-killed", ["0", "1"], True, True)]
    results = {}
    for name, cores, chunked, kill in plan:
        if args.only and name not in args.only:
            continue
        load = wait_quiet(args.max_busy, args.max_wait)
        result = run(name, source, args.workdir, cores, args.chunk_seconds, chunked, kill,
                     keep=name in ("single-2cores", "chunked-2cores"))
        result["load_before"] = round(load, 2)
        results[name] = result
        print(json.dumps({k: v for k, v in result.items() if k not in ("take",)}), flush=True)
    summary: dict = {}
    if {"chunked-1core", "chunked-2cores"} <= results.keys():
        summary["speedup_2_workers_vs_1"] = round(
            results["chunked-1core"]["wall"] / results["chunked-2cores"]["wall"], 2)
    if {"single-2cores", "chunked-2cores"} <= results.keys():
        summary["chunked_2_workers_vs_single_job"] = round(
            results["single-2cores"]["wall"] / results["chunked-2cores"]["wall"], 2)
        summary["cpu_overhead_2cores"] = round(
            results["chunked-2cores"]["cpu"] / results["single-2cores"]["cpu"] - 1, 3)
        joins = [first_frame(k * args.chunk_seconds, 30) for k in range(1, int(args.seconds // args.chunk_seconds) + 1)]
        summary["quality"] = {
            f"{rung}p": {"chunked": quality(results["chunked-2cores"]["take"], source, rung, joins),
                         "single": quality(results["single-2cores"]["take"], source, rung, [])}
            for rung in RUNGS}
    if {"chunked-1core", "single-1core"} <= results.keys():
        summary["cpu_overhead_1core"] = round(
            results["chunked-1core"]["cpu"] / results["single-1core"]["cpu"] - 1, 3)
    if {"chunked-killed", "chunked-2cores"} <= results.keys():
        summary["extra_wall_when_killed"] = round(
            results["chunked-killed"]["wall"] - results["chunked-2cores"]["wall"], 1)
        summary["one_chunk_wall_2cores"] = round(results["chunked-2cores"]["wall"] / results["chunked-2cores"]["chunks"]
                                                 * 2, 1)
    print(json.dumps(summary, indent=2))


if __name__ == "__main__":
    main()
