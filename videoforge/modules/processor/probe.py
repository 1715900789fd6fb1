"""Preflight with ffprobe: what the source is, or a human reason why it cannot be played."""

from __future__ import annotations

import json
import math
import re
import subprocess
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path

from videoforge.modules.processor.colour import is_hdr, to_sdr
from videoforge.modules.processor.inputs import NotAllowed, demuxer_of, probe_input
from videoforge.modules.processor.limits import Limits, run
from videoforge.modules.processor.reasons import JobFailure, scrub_paths

MAX_DURATION = 4 * 3600.0
"""Longest source accepted, in seconds."""

MAX_PIXELS = 8192 * 4320
"""Largest displayed frame accepted (8K DCI), in pixels."""

MIN_SIDE = 16
"""Shortest side accepted, in pixels: below this nothing useful can be shown."""

MAX_ASPECT = 8.0
"""Widest long-side : short-side ratio accepted; beyond it the frame is a sliver, not a picture."""


class UnplayableSource(JobFailure):
    """The source can never be transcoded; retrying will not help."""

    permanent = True


@dataclass(frozen=True)
class SourceInfo:
    """A probed source. Width and height are as displayed: after rotation and pixel aspect."""

    width: int
    height: int
    rotation: int  # clockwise degrees the player must turn the coded picture: 0, 90, 180 or 270
    fps: float
    duration: float
    has_audio: bool
    video_codec: str
    audio_codec: str | None
    format_name: str
    bit_rate: int | None
    video_stream: int = 0  # ffprobe index of the picture to transcode (cover art may come first)
    # Colour as ffprobe names it (None when the file does not say); PQ or HLG transfer means HDR.
    transfer: str | None = None
    primaries: str | None = None
    matrix: str | None = None
    full_range: bool = False
    # The first audio stream, as far as the file says (0 / None when it does not).
    audio_profile: str | None = None
    audio_channels: int = 0
    audio_sample_rate: int = 0
    audio_bit_rate: int | None = None

    @property
    def hdr(self) -> bool:
        return is_hdr(self.transfer)

    def to_sdr(self) -> list[str]:
        """Filters that tone-map this source to SDR BT.709 (none when it is SDR already)."""
        return to_sdr(self.transfer, self.primaries, self.matrix, self.full_range)

    @property
    def portrait(self) -> bool:
        return self.height > self.width

    @property
    def short_side(self) -> int:
        return min(self.width, self.height)


def probe(
    path: str | Path,
    max_duration: float = MAX_DURATION,
    max_pixels: int = MAX_PIXELS,
    timeout: float = 60.0,
    limits: Limits = Limits(),
) -> SourceInfo:
    """Describe the source at `path`, or raise UnplayableSource saying what is wrong with it.

    Only the demuxers of the ingest allow-list may open it (inputs.py): a playlist, manifest or file list
    is refused before it can name any other file.
    """
    report = _ffprobe(Path(path), timeout, limits)
    return source_info(report, max_duration=max_duration, max_pixels=max_pixels)


def _ffprobe(path: Path, timeout: float, limits: Limits) -> dict:
    if not path.is_file():
        raise UnplayableSource("the uploaded file is missing")
    if path.stat().st_size == 0:
        raise UnplayableSource("the uploaded file is empty")
    cmd = ["ffprobe", "-v", "error", "-print_format", "json", "-show_format", "-show_streams", *probe_input(path)]
    try:
        done = run(cmd, limits, timeout=timeout)
    except subprocess.TimeoutExpired:
        raise UnplayableSource("the file could not be read in time (damaged or not a video)") from None
    if done.returncode != 0:
        reason = _reason_from_ffprobe_error(done.stderr, _looks_like_mp4(path))
        raise UnplayableSource(scrub_paths(reason, source=path))
    return json.loads(done.stdout or "{}")


def _looks_like_mp4(path: Path) -> bool:
    # Every MP4/MOV starts with an `ftyp` box; ffprobe picks its demuxer by file name, so a text
    # file called .mp4 fails the same way as a cut-off MP4 and only these bytes tell them apart.
    with path.open("rb") as f:
        return f.read(12)[4:8] == b"ftyp"


def _reason_from_ffprobe_error(stderr: str, looks_like_mp4: bool) -> str:
    refused = _REFUSED_FORMAT.search(stderr)
    if refused:
        found = refused.group(1).strip()
        if found in _STILL_IMAGE_FORMATS or found.endswith("_pipe"):
            return "a still image, not a video"
        return f"not a video file (its format, {found}, is not accepted)"
    text = stderr.lower()
    if "moov atom not found" in text:
        if not looks_like_mp4:
            return "not a video file"
        return "the file is truncated or incomplete (its index is missing): upload it again"
    if "invalid data found" in text:
        return "not a video file"
    last = stderr.strip().splitlines()[-1:] or ["unknown error"]
    return f"not a readable video file ({last[0].strip()[:200]})"


def source_info(report: dict, max_duration: float = MAX_DURATION, max_pixels: int = MAX_PIXELS) -> SourceInfo:
    """Turn an ffprobe JSON report into a SourceInfo, applying the preflight rules."""
    streams = report.get("streams", [])
    fmt = report.get("format", {})
    # Cover art in audio files shows up as a video stream flagged attached_pic: it is not a video.
    videos = [
        s for s in streams
        if s.get("codec_type") == "video" and not s.get("disposition", {}).get("attached_pic")
    ]
    audios = [s for s in streams if s.get("codec_type") == "audio"]
    if not videos:
        raise UnplayableSource("no video stream (audio-only or not a video file)" if audios else "no video stream")
    video = videos[0]
    format_name = fmt.get("format_name", "")
    if format_name in _STILL_IMAGE_FORMATS or format_name.endswith("_pipe"):
        raise UnplayableSource("a still image, not a video")
    try:
        demuxer_of(format_name)
    except NotAllowed:
        raise UnplayableSource(f"not a video file (its format, {format_name or 'unknown'}, is not accepted)") from None

    coded_w, coded_h = int(video.get("width") or 0), int(video.get("height") or 0)
    if coded_w <= 0 or coded_h <= 0:
        raise UnplayableSource("the video stream has no picture size")
    rotation = _rotation(video)
    width, height = _displayed_size(coded_w, coded_h, video.get("sample_aspect_ratio"), rotation)
    _check_dimensions(width, height, max_pixels)

    duration = _duration(fmt, video)
    if duration <= 0:
        raise UnplayableSource("zero duration")
    if duration > max_duration:
        raise UnplayableSource(
            f"longer than the {_hours(max_duration)} limit ({_hours(duration)})"
        )

    bit_rate = fmt.get("bit_rate")
    return SourceInfo(
        width=width,
        height=height,
        rotation=rotation,
        fps=_frame_rate(video),
        duration=duration,
        has_audio=bool(audios),
        video_codec=video.get("codec_name", "unknown"),
        audio_codec=audios[0].get("codec_name") if audios else None,
        format_name=format_name,
        bit_rate=int(bit_rate) if bit_rate and str(bit_rate).isdigit() else None,
        video_stream=int(video.get("index", 0)),
        transfer=video.get("color_transfer"),
        primaries=video.get("color_primaries"),
        matrix=video.get("color_space"),
        full_range=video.get("color_range") == "pc",
        **_audio_fields(audios[0] if audios else {}),
    )


def _audio_fields(audio: dict) -> dict:
    rate = str(audio.get("bit_rate") or "")
    return {
        "audio_profile": audio.get("profile"),
        "audio_channels": int(audio.get("channels") or 0),
        "audio_sample_rate": int(audio.get("sample_rate") or 0),
        "audio_bit_rate": int(rate) if rate.isdigit() else None,
    }


_STILL_IMAGE_FORMATS = {"image2", "png_pipe", "jpeg_pipe", "webp_pipe", "bmp_pipe", "tiff_pipe"}
# ffmpeg names the demuxer it probed in the log prefix of its refusal: "[hls @ 0x55d0...] Format not on whitelist".
_REFUSED_FORMAT = re.compile(r"\[([^\]@]+) @ 0x[0-9a-f]+\] Format not on whitelist")


def _rotation(video: dict) -> int:
    """Clockwise display rotation, from the display matrix (counter-clockwise there) or the old rotate tag."""
    for side in video.get("side_data_list", []):
        if "rotation" in side:
            return round(-float(side["rotation"])) % 360
    tag = video.get("tags", {}).get("rotate")
    if tag is not None:
        return round(float(tag)) % 360
    return 0


def _displayed_size(width: int, height: int, sar: str | None, rotation: int) -> tuple[int, int]:
    ratio = _fraction(sar, sep=":")
    if ratio and ratio != 1:
        # Anamorphic sources (DVD, some broadcast) store non-square pixels: stretch the width.
        width = max(1, round(width * ratio))
    if rotation in (90, 270):
        width, height = height, width
    return width, height


def _check_dimensions(width: int, height: int, max_pixels: int) -> None:
    short, long = min(width, height), max(width, height)
    if short < MIN_SIDE or width * height > max_pixels or long / short > MAX_ASPECT:
        raise UnplayableSource(f"dimensions {width}x{height} are not supported")


def _duration(fmt: dict, video: dict) -> float:
    for value in (fmt.get("duration"), video.get("duration")):
        if value is None:
            continue
        try:
            seconds = float(value)
        except (TypeError, ValueError):
            continue
        if math.isfinite(seconds):
            return seconds
    return 0.0


def _frame_rate(video: dict) -> float:
    # avg_frame_rate is right for variable-rate phone footage; r_frame_rate is the fallback
    # (it can be a timebase-like 90000/1 for such footage, hence second choice).
    for key in ("avg_frame_rate", "r_frame_rate"):
        rate = _fraction(video.get(key), sep="/")
        if rate and 0 < rate <= 1000:
            return float(rate)
    return 30.0


def _fraction(text: str | None, sep: str) -> Fraction | None:
    if not text or sep not in text:
        return None
    num, den = text.split(sep, 1)
    try:
        if int(den) == 0:
            return None
        return Fraction(int(num), int(den))
    except ValueError:
        return None


def _hours(seconds: float) -> str:
    if seconds >= 3600:
        return f"{seconds / 3600:.1f}".removesuffix(".0") + " h"
    if seconds >= 60:
        return f"{seconds / 60:.0f} min"
    return f"{seconds:.1f}".removesuffix(".0") + " s"
