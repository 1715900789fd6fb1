"""Benchmark: what the ladder's speed choices cost in quality and bytes, rung by rung.

    .venv/bin/python benchmarks/ladder_quality.py [--seconds 20] [--workdir /tmp/vf-ladder-bench]

Encodes the benchmark clips (made by benchmarks/ladder.py) twice with the project's one-process
ladder: as it is (x264 veryfast's own 3 B-frames, each rung scaled from the next larger one) and
with PeerTube's choices (`-bf 16 -b_strategy 1`, every rung scaled from the source). For each
rung it reports the bytes and the SSIM / PSNR against the source scaled to the rung's size with
lanczos, so a speed-up that quietly costs picture quality shows here.
"""

from __future__ import annotations

import argparse
import re
import resource
import shutil
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))

from ladder import CLIPS, make_clip  # noqa: E402

from videoforge.modules.processor.encode import build_ladder_command  # noqa: E402
from videoforge.modules.processor.ladder import plan_ladder  # noqa: E402
from videoforge.modules.processor.probe import probe  # noqa: E402


def peertube_variant(cmd: list[str], ladder, video_stream: int) -> list[str]:
    """The same command with every rung scaled from the source and 16 adaptive B-frames."""
    cmd = list(cmd)
    tails = [f"[s{i}]scale={r.width}:{r.height},setsar=1,format=yuv420p[v{i}]" for i, r in enumerate(ladder)]
    labels = "".join(f"[s{i}]" for i in range(len(ladder)))
    graph = ";".join([f"[0:{video_stream}]fps={ladder[0].fps},split={len(ladder)}{labels}", *tails])
    cmd[cmd.index("-filter_complex") + 1] = graph
    at = cmd.index("-force_key_frames") + 2
    cmd[at:at] = ["-bf", "16", "-b_strategy", "1"]
    return cmd


def score(rung_dir: Path, clip: Path, width: int, height: int) -> tuple[float, float]:
    """SSIM (all planes) and PSNR (average) of a rung against the lanczos-scaled source."""
    graph = (f"[1:v]scale={width}:{height}:flags=lanczos,format=yuv420p[ref];"
             "[0:v]split[a][b];[ref]split[r1][r2];[a][r1]ssim;[b][r2]psnr")
    done = subprocess.run(
        ["ffmpeg", "-hide_banner", "-nostdin", "-i", str(rung_dir / "index.m3u8"), "-i", str(clip),
         "-filter_complex", graph, "-f", "null", "-"],
        capture_output=True, text=True, check=True)
    ssim = float(re.search(r"SSIM .*All:([\d.]+)", done.stderr).group(1))
    psnr = float(re.search(r"PSNR .*average:([\d.]+|inf)", done.stderr).group(1))
    return ssim, psnr


def encode(variant: str, clip: Path, out: Path) -> dict:
    shutil.rmtree(out, ignore_errors=True)
    source = probe(clip)
    ladder = plan_ladder(source)
    for rung in ladder:
        (out / rung.name).mkdir(parents=True)
    cmd = build_ladder_command(clip, out, source, ladder)
    if variant == "peertube":
        cmd = peertube_variant(cmd, ladder, source.video_stream)
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.monotonic()
    subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL)
    wall = time.monotonic() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    rungs = {}
    for rung in ladder:
        size = sum(f.stat().st_size for f in (out / rung.name).glob("*.m4s"))
        rungs[rung.name] = (size, *score(out / rung.name, clip, rung.width, rung.height))
    cpu = (after.ru_utime + after.ru_stime) - (before.ru_utime + before.ru_stime)
    return {"wall": wall, "cpu": cpu, "rungs": rungs}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=int, default=20)
    parser.add_argument("--workdir", type=Path, default=Path("/tmp/vf-ladder-bench"))
    args = parser.parse_args()
    args.workdir.mkdir(parents=True, exist_ok=True)
    print("| clip | variant | wall (cpu) | rung | MB | SSIM | PSNR dB |")
    print("|---|---|---|---|---|---|---|")
    for kind in CLIPS:
        clip = make_clip(kind, args.seconds, args.workdir)
        for variant in ("videoforge", "peertube"):
            result = encode(variant, clip, args.workdir / "quality")
            for name, (size, ssim, psnr) in result["rungs"].items():
                print(f"| {kind} | {variant} | {result['wall']:.1f} s ({result['cpu']:.1f}) | {name} | "
                      f"{size / 1e6:.2f} | {ssim:.4f} | {psnr:.2f} |", flush=True)
    shutil.rmtree(args.workdir / "quality", ignore_errors=True)


if __name__ == "__main__":
    main()
