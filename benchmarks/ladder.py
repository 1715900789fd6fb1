"""Benchmark: the one-process ladder against one ffmpeg per rung, on an easy and a noisy 1080p30 clip.

    .venv/bin/python benchmarks/ladder.py [--repeats 3] [--seconds 20] [--workdir /tmp/vf-ladder-bench]

Each measurement runs in a fresh Python subprocess so that getrusage(RUSAGE_CHILDREN) gives the
peak RSS of that measurement's ffmpeg processes alone. The baseline uses the same command
builder with a one-rung ladder per process, so encoder settings are identical by construction.
Runs alternate clip and variant (and flip the order each repeat) so machine drift hits both.
"""

from __future__ import annotations

import argparse
import json
import resource
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from videoforge.modules.processor.encode import transcode_ladder  # noqa: E402
from videoforge.modules.processor.ladder import plan_ladder  # noqa: E402
from videoforge.modules.processor.probe import probe  # noqa: E402

CLIPS = {
    # Synthetic but encoder-friendly: smooth motion, flat areas.
    "easy": ["-f", "lavfi", "-i", "testsrc2=s=1920x1080:r=30",
             "-c:v", "libx264", "-preset", "veryfast", "-crf", "18"],
    # Temporal noise on every frame: nothing is predictable, as with grainy low-light phone video.
    "noisy": ["-f", "lavfi", "-i", "testsrc2=s=1920x1080:r=30,noise=alls=30:allf=t",
              "-c:v", "libx264", "-preset", "ultrafast", "-b:v", "35M", "-maxrate", "35M", "-bufsize", "35M"],
}


def make_clip(kind: str, seconds: int, workdir: Path) -> Path:
    path = workdir / f"{kind}-{seconds}s.mp4"
    if not path.exists():
        cmd = ["ffmpeg", "-v", "error", "-y", *CLIPS[kind][:4],
               "-f", "lavfi", "-i", "sine=frequency=440:sample_rate=48000",
               "-t", str(seconds), *CLIPS[kind][4:], "-pix_fmt", "yuv420p",
               "-c:a", "aac", "-b:a", "128k", str(path)]
        subprocess.run(cmd, check=True)
    return path


def measure(variant: str, clip: Path, out_dir: Path) -> dict:
    """One measurement, in this (fresh) process: wall time, first playable rung, peak child RSS."""
    shutil.rmtree(out_dir, ignore_errors=True)
    source = probe(clip)
    ladder = plan_ladder(source)
    lowest = ladder[0].name
    first_playable = None
    start = time.monotonic()

    def on_segment(rung: str, ready) -> None:
        nonlocal first_playable
        if rung == lowest and first_playable is None:
            first_playable = time.monotonic() - start

    if variant == "ladder":
        transcode_ladder(clip, out_dir, source, ladder, on_segment=on_segment)
    else:  # one process per rung, lowest first, one after another
        for rung in ladder:
            transcode_ladder(clip, out_dir, source, [rung], on_segment=on_segment)
    wall = time.monotonic() - start
    peak_kb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    shutil.rmtree(out_dir, ignore_errors=True)
    return {"wall": wall, "first_playable": first_playable, "peak_rss_gb": peak_kb / 1024 / 1024,
            "duration": source.duration, "source_mbps": (source.bit_rate or 0) / 1e6}


def run_one(variant: str, clip: Path, workdir: Path) -> dict:
    cmd = [sys.executable, __file__, "--measure", variant, str(clip), str(workdir / "out")]
    done = subprocess.run(cmd, check=True, capture_output=True, text=True)
    return json.loads(done.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--seconds", type=int, default=20)
    parser.add_argument("--workdir", type=Path, default=Path("/tmp/vf-ladder-bench"))
    parser.add_argument("--measure", nargs=3, metavar=("VARIANT", "CLIP", "OUT"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.measure:
        variant, clip, out = args.measure
        print(json.dumps(measure(variant, Path(clip), Path(out))))
        return

    args.workdir.mkdir(parents=True, exist_ok=True)
    clips = {kind: make_clip(kind, args.seconds, args.workdir) for kind in CLIPS}
    results: dict[tuple[str, str], list[dict]] = {}
    for repeat in range(args.repeats):
        order = [(k, v) for k in clips for v in ("ladder", "baseline")]
        if repeat % 2:
            order.reverse()
        for kind, variant in order:
            result = run_one(variant, clips[kind], args.workdir)
            results.setdefault((kind, variant), []).append(result)
            print(f"repeat {repeat + 1} {kind:5} {variant:8} wall {result['wall']:6.1f} s  "
                  f"first rung {result['first_playable']:5.1f} s  peak RSS {result['peak_rss_gb']:.2f} GB",
                  flush=True)
    report(results, args.repeats)


def report(results: dict, repeats: int) -> None:
    med = lambda rows, key: statistics.median(r[key] for r in rows)  # noqa: E731
    print(f"\nMedians of {repeats} runs\n")
    print("| clip | source | ladder (1 process) | baseline (1 per rung, sequential) | speed-up | "
          "ladder realtime | ladder peak RSS | baseline peak RSS | first rung playable / full |")
    print("|---|---|---|---|---|---|---|---|---|")
    for kind in CLIPS:
        ladder, base = results[(kind, "ladder")], results[(kind, "baseline")]
        lw, bw = med(ladder, "wall"), med(base, "wall")
        first = med(ladder, "first_playable")
        print(f"| {kind} | {ladder[0]['source_mbps']:.1f} Mbps | {lw:.1f} s | {bw:.1f} s | {bw / lw:.2f}x | "
              f"{ladder[0]['duration'] / lw:.2f}x | {med(ladder, 'peak_rss_gb'):.2f} GB | "
              f"{med(base, 'peak_rss_gb'):.2f} GB | {first:.1f} s = {first / lw:.2f} |")


if __name__ == "__main__":
    main()
