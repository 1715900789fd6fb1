"""Poster from a representative frame, and a storyboard: one sprite JPEG with its WebVTT index.

Every step checks that ffmpeg really wrote its picture: an exit status of 0 with no output (a window with no
frame in it) is a normal outcome, not a reason to fail on a missing file.
"""

from __future__ import annotations

import math
import subprocess
from pathlib import Path

from videoforge.modules.processor.encode import TranscodeFailed
from videoforge.modules.processor.inputs import image_input, ladder_input, source_input
from videoforge.modules.processor.limits import Limits, run
from videoforge.modules.processor.probe import SourceInfo
from videoforge.modules.processor.reasons import scrub_paths

POSTER_MAX_SIDE = 1280
"""Long side of the poster, at most; smaller sources keep their size."""

POSTER_POSITIONS = (0.15, 0.40, 0.65)
"""Where to look for a poster, as fractions of the duration, in order of preference."""

DARK_LUMA = 40.0
"""Mean luma (0-255; black is 0 to 16) under which a candidate poster counts as a dark frame."""


def make_poster(path: str | Path, source: SourceInfo, out_jpg: str | Path, timeout: float = 120.0,
                limits: Limits = Limits()) -> Path:
    """Write a JPEG poster: the most typical frame of a 2 s window, skipping dark candidates.

    Openings are often black or a fade, so the first frame is only the last resort. Each candidate is
    ffmpeg's `thumbnail` pick (closest to the window's mean histogram, so not a flash or a cut). A window
    with no frame in it (a still picture over long sound, a picture that starts late) gives no candidate.
    """
    out = Path(out_jpg)
    width, height = _fit(source.width, source.height, POSTER_MAX_SIDE)
    best: tuple[float, bytes] | None = None
    window = min(2.0, source.duration / 2)
    frames = max(1, round(source.fps * window))
    for fraction in (*POSTER_POSITIONS, None):
        if fraction is None and best is not None:
            break
        # The last resort (no window had a frame) is the first frames of the file, wherever they are.
        start = None if fraction is None else max(0.0, min(source.duration * fraction, source.duration - window - 0.05))
        seek = ["-ss", f"{start:.3f}"] if start is not None else []
        span = ["-t", f"{window:.3f}"] if start is not None else []
        out.unlink(missing_ok=True)
        _run([
            "ffmpeg", "-v", "error", "-nostdin", "-y", *seek, *source_input(path, source.format_name),
            *span, "-an",
            # Tone-mapped after the scale: the same picture as the rungs, at poster size for a fraction of the cost.
            "-vf", ",".join([f"thumbnail={frames}", f"scale={width}:{height}", *source.to_sdr(), "setsar=1"]),
            "-frames:v", "1", "-q:v", "3", str(out),
        ], timeout, "poster", limits, source.duration, source=path, work=out.parent)
        if not _written(out):
            continue
        luma = mean_luma(out, limits)
        if best is None or luma > best[0]:
            best = (luma, out.read_bytes())
        if luma >= DARK_LUMA:
            return out
    if best is None:
        raise TranscodeFailed("poster: no frame of the video could be decoded")
    out.write_bytes(best[1])  # every candidate was dark: keep the brightest
    return out


def make_storyboard(
    path: str | Path,
    source: SourceInfo,
    out_dir: str | Path,
    interval: float | None = None,
    tile_width: int = 160,
    columns: int = 10,
    max_tiles: int = 100,
    sprite_name: str = "storyboard.jpg",
    vtt_name: str = "storyboard.vtt",
    keyframes_only: bool = False,
    timeout: float = 600.0,
    limits: Limits = Limits(),
) -> tuple[Path, Path]:
    """One sprite of thumbnails every `interval` seconds and a WebVTT mapping times to tiles.

    The VTT names the sprite relatively (`storyboard.jpg#xywh=...`) so the streaming side can
    sign it. `keyframes_only` decodes keyframes alone: pass the lowest rung's playlist (2 s GOPs)
    to make the storyboard for a fraction of a full decode. A `.m3u8` path is always our own rung
    playlist, read as HLS from its folder only; any other path is the source, read with its probed demuxer.
    """
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    if interval is None:
        interval = float(max(2, math.ceil(source.duration / max_tiles)))
    count = max(1, math.ceil(source.duration / interval - 1e-6))
    columns = min(columns, count)
    rows = math.ceil(count / columns)
    width, height = _fit(source.width, source.height, tile_width, by_width=True)
    sprite = out / sprite_name
    sprite.unlink(missing_ok=True)
    tiles = f"fps=1/{interval:g},scale={width}:{height},setsar=1,tile={columns}x{rows}"
    reads = ladder_input(path) if Path(path).suffix == ".m3u8" else source_input(path, source.format_name)
    for skip_non_keyframes in ((True, False) if keyframes_only else (False,)):
        cmd = ["ffmpeg", "-v", "error", "-nostdin", "-y"]
        if skip_non_keyframes:
            cmd += ["-skip_frame", "nokey"]
        cmd += [*reads, "-an", "-vf", tiles, "-frames:v", "1", "-q:v", "5", str(sprite)]
        _run(cmd, timeout, "storyboard", limits, source.duration, source=path, work=out)
        # A clip of one GOP has a single keyframe, too few for the fps filter to emit a tile: decode it all.
        if _written(sprite):
            break
    else:
        raise TranscodeFailed("storyboard: ffmpeg wrote no picture")
    vtt = out / vtt_name
    vtt.write_text(storyboard_vtt(sprite_name, source.duration, interval, count, columns, width, height))
    return sprite, vtt


def storyboard_vtt(
    sprite_uri: str, duration: float, interval: float, count: int, columns: int, width: int, height: int
) -> str:
    """WebVTT cues, one per tile, covering [0, duration] without gaps."""
    lines = ["WEBVTT", ""]
    for index in range(count):
        start, end = index * interval, min((index + 1) * interval, duration)
        x, y = (index % columns) * width, (index // columns) * height
        lines += [f"{_timestamp(start)} --> {_timestamp(end)}", f"{sprite_uri}#xywh={x},{y},{width},{height}", ""]
    return "\n".join(lines)


def mean_luma(image: str | Path, limits: Limits = Limits()) -> float:
    """Average luma of a picture, 0-255: the picture averaged down to one grey pixel."""
    done = run(["ffmpeg", "-v", "error", "-nostdin", *image_input(image),
                "-vf", "scale=1:1:flags=area,format=gray", "-frames:v", "1", "-f", "rawvideo", "-"],
               limits, timeout=60)
    return float(done.stdout[0]) if done.returncode == 0 and done.stdout else 0.0


def _fit(width: int, height: int, limit: int, by_width: bool = False) -> tuple[int, int]:
    """Even dimensions scaled down (never up) so the long side (or the width) is at most `limit`."""
    side = width if by_width else max(width, height)
    factor = min(1.0, limit / side)
    return max(2, round(width * factor / 2) * 2), max(2, round(height * factor / 2) * 2)


def _timestamp(seconds: float) -> str:
    millis = round(seconds * 1000)
    hours, millis = divmod(millis, 3_600_000)
    minutes, millis = divmod(millis, 60_000)
    secs, millis = divmod(millis, 1000)
    return f"{hours:02d}:{minutes:02d}:{secs:02d}.{millis:03d}"


def _written(path: Path) -> bool:
    return path.is_file() and path.stat().st_size > 0


def _run(cmd: list[str], timeout: float, what: str, limits: Limits, duration: float, **places: str | Path) -> None:
    """Run one artwork ffmpeg under `limits`; its failure as a reason naming `places` (source, work), no path."""
    try:
        done = run(cmd, limits, duration, timeout=timeout)
    except subprocess.TimeoutExpired:
        raise TranscodeFailed(f"{what}: ffmpeg took longer than {timeout:g} s") from None
    if done.returncode != 0:
        tail = " | ".join(done.stderr.strip().splitlines()[-5:]) or "no error output"
        raise TranscodeFailed(scrub_paths(f"{what}: ffmpeg failed (exit status {done.returncode}): {tail}", **places))
