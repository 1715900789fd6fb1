"""Benchmark: what tone-mapping an HDR source costs the ladder, against the same file ladder'd without it.

    .venv/bin/python benchmarks/ladder_hdr.py [--repeats 2] [--seconds 20] [--workdir /tmp/vf-ladder-bench]

The source is the test pattern as 10-bit PQ BT.2020 1080p30 (tests/media.make_hdr_clip). "Unmapped"
runs the very same command without the mapping (the washed-out output the mapping exists to prevent),
so the difference is the mapping alone. Runs alternate; each is timed in this process with the ffmpeg
children's CPU time.
"""

from __future__ import annotations

import argparse
import dataclasses
import resource
import shutil
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.media import make_hdr_clip  # noqa: E402
from videoforge.modules.processor.encode import transcode_ladder  # noqa: E402
from videoforge.modules.processor.ladder import plan_ladder  # noqa: E402
from videoforge.modules.processor.probe import probe  # noqa: E402


def timed(clip: Path, source, out: Path) -> tuple[float, float]:
    shutil.rmtree(out, ignore_errors=True)
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.monotonic()
    transcode_ladder(clip, out, source, plan_ladder(source))
    wall = time.monotonic() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return wall, (after.ru_utime + after.ru_stime) - (before.ru_utime + before.ru_stime)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=2)
    parser.add_argument("--seconds", type=int, default=20)
    parser.add_argument("--workdir", type=Path, default=Path("/tmp/vf-ladder-bench"))
    args = parser.parse_args()
    args.workdir.mkdir(parents=True, exist_ok=True)
    clip = args.workdir / f"pq-{args.seconds}s.mp4"
    if not clip.exists():
        make_hdr_clip(clip, 1920, 1080, seconds=args.seconds)
    mapped = probe(clip)
    unmapped = dataclasses.replace(mapped, transfer=None)
    runs: dict[str, list[tuple[float, float]]] = {"mapped": [], "unmapped": []}
    for repeat in range(args.repeats):
        order = ["mapped", "unmapped"] if repeat % 2 == 0 else ["unmapped", "mapped"]
        for name in order:
            result = timed(clip, mapped if name == "mapped" else unmapped, args.workdir / "out")
            runs[name].append(result)
            print(f"repeat {repeat + 1} {name:8} wall {result[0]:5.1f} s  cpu {result[1]:5.1f} s", flush=True)
    shutil.rmtree(args.workdir / "out", ignore_errors=True)
    med = {name: (statistics.median(r[0] for r in rows), statistics.median(r[1] for r in rows))
           for name, rows in runs.items()}
    (mw, mc), (uw, uc) = med["mapped"], med["unmapped"]
    print(f"\nmedians: mapped {mw:.1f} s ({mc:.1f} CPU), unmapped {uw:.1f} s ({uc:.1f} CPU): "
          f"x{mw / uw:.2f} wall, mapped realtime {args.seconds / mw:.2f}x")


if __name__ == "__main__":
    main()
