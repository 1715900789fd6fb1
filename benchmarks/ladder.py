"""Benchmark: the one-process ladder against one ffmpeg per rung, on an easy and a noisy 1080p30 clip.

    .venv/bin/python benchmarks/ladder.py [--repeats 3] [--seconds 20] [--workdir /tmp/vf-ladder-bench]

Each measurement runs in a fresh Python subprocess so that getrusage(RUSAGE_CHILDREN) gives the
peak RSS of that measurement's ffmpeg processes alone. The baseline uses the same command
builder with a one-rung ladder per process, so encoder settings are identical by construction.
Runs alternate clip and variant (and flip the order each repeat) so machine drift hits both.
The machine may be shared: before each run it waits (up to --max-wait s) until other processes
keep the CPUs under --max-busy, records that share, and records the ffmpeg CPU time (user + system), which
other processes disturb far less than the wall time.
"""

from __future__ import annotations

import argparse
import hashlib
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
    # High profile with CABAC and deblocking, as cameras and phones record (an `ultrafast` source,
    # CAVLC and no deblocking, decodes 3x faster than anything a phone makes).
    "noisy": ["-f", "lavfi", "-i", "testsrc2=s=1920x1080:r=30,noise=alls=30:allf=t",
              "-c:v", "libx264", "-preset", "veryfast", "-b:v", "35M", "-maxrate", "35M", "-bufsize", "35M"],
}


def make_clip(kind: str, seconds: int, workdir: Path) -> Path:
    recipe = hashlib.sha256(repr(CLIPS[kind]).encode()).hexdigest()[:8]  # a changed recipe makes a new clip
    path = workdir / f"{kind}-{seconds}s-{recipe}.mp4"
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
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    shutil.rmtree(out_dir, ignore_errors=True)
    return {"wall": wall, "cpu": usage.ru_utime + usage.ru_stime, "first_playable": first_playable,
            "peak_rss_gb": usage.ru_maxrss / 1024 / 1024, "duration": source.duration,
            "source_mbps": (source.bit_rate or 0) / 1e6}


def cpu_busy(seconds: float = 2.0) -> float:
    """Fraction of all CPUs busy (anyone's processes) over the next `seconds`, from /proc/stat."""
    def sample():
        fields = [int(x) for x in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
        return fields[3] + fields[4], sum(fields)  # idle + iowait, total
    idle0, total0 = sample()
    time.sleep(seconds)
    idle1, total1 = sample()
    return 1 - (idle1 - idle0) / max(1, total1 - total0)


def wait_for_quiet(max_busy: float, max_wait: float) -> float:
    """Wait until other processes leave the CPUs mostly idle (or `max_wait` passes); return the busy share."""
    deadline = time.monotonic() + max_wait
    busy = cpu_busy()
    while busy > max_busy and time.monotonic() < deadline:
        busy = cpu_busy()
    return busy


def run_one(variant: str, clip: Path, workdir: Path) -> dict:
    cmd = [sys.executable, __file__, "--measure", variant, str(clip), str(workdir / "out")]
    done = subprocess.run(cmd, check=True, capture_output=True, text=True)
    return json.loads(done.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--seconds", type=int, default=20)
    parser.add_argument("--workdir", type=Path, default=Path("/tmp/vf-ladder-bench"))
    parser.add_argument("--max-busy", type=float, default=0.25)
    parser.add_argument("--max-wait", type=float, default=120.0)
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
            busy_before = wait_for_quiet(args.max_busy, args.max_wait)
            result = run_one(variant, clips[kind], args.workdir)
            result["busy_before"] = busy_before
            results.setdefault((kind, variant), []).append(result)
            print(f"repeat {repeat + 1} {kind:5} {variant:8} wall {result['wall']:6.1f} s  "
                  f"cpu {result['cpu']:6.1f} s  first rung {result['first_playable']:5.1f} s  "
                  f"peak RSS {result['peak_rss_gb']:.2f} GB  cpu busy before {busy_before:.0%}",
                  flush=True)
    report(results, args.repeats)


def report(results: dict, repeats: int) -> None:
    med = lambda rows, key: statistics.median(r[key] for r in rows)  # noqa: E731
    print(f"\nMedians of {repeats} runs\n")
    print("| clip | source | ladder wall (cpu) | baseline wall (cpu) | speed-up wall (cpu) | "
          "ladder realtime | ladder peak RSS | baseline peak RSS | first rung playable / full |")
    print("|---|---|---|---|---|---|---|---|---|")
    for kind in CLIPS:
        ladder, base = results[(kind, "ladder")], results[(kind, "baseline")]
        lw, bw, lc, bc = med(ladder, "wall"), med(base, "wall"), med(ladder, "cpu"), med(base, "cpu")
        first = med(ladder, "first_playable")
        print(f"| {kind} | {ladder[0]['source_mbps']:.1f} Mbps | {lw:.1f} s ({lc:.1f}) | {bw:.1f} s ({bc:.1f}) | "
              f"{bw / lw:.2f}x ({bc / lc:.2f}x) | {ladder[0]['duration'] / lw:.2f}x | "
              f"{med(ladder, 'peak_rss_gb'):.2f} GB | {med(base, 'peak_rss_gb'):.2f} GB | "
              f"{first:.1f} s = {first / lw:.2f} |")
    print("\n" + json.dumps({f"{k}/{v}": rows for (k, v), rows in results.items()}))


if __name__ == "__main__":
    main()
