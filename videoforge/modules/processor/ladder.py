"""Plan the rendition ladder for a source: which rungs, at what size, frame rate and bitrate."""

from __future__ import annotations

import itertools
import math
from dataclasses import dataclass
from fractions import Fraction

from videoforge.modules.processor.probe import SourceInfo

DEFAULT_HEIGHTS = (1080, 720, 480, 360)
"""Rungs named by their short side; a portrait 1080x1920 source gets a "1080p" rung 1080 wide."""

MAX_FPS = 60
"""Frame rate cap: faster sources are halved (or thirded...) until they fit."""

# Capped-VBR ceilings at 30 fps (PeerTube's, measured in FACTS.md), by 16:9 pixel count.
_KBPS_AT_30FPS = {
    1920 * 1080: 6200,
    1280 * 720: 3000,
    854 * 480: 1470,
    640 * 360: 1040,
}

AUDIO_KBPS = 128
"""AAC stereo bitrate on every rung."""


@dataclass(frozen=True)
class Rung:
    """One rendition: its short-side name, output size, frame rate and bitrate budget."""

    name: str
    width: int
    height: int
    fps: Fraction
    video_kbps: int  # the capped-VBR ceiling; used as the nominal rate in playlists
    maxrate_kbps: int
    bufsize_kbps: int
    audio_kbps: int = AUDIO_KBPS
    level: str = "4.0"  # H.264 level, sized to this rung so players can trust the CODECS string

    @property
    def codecs_video(self) -> str:
        level_idc = round(float(self.level) * 10)
        return f"avc1.6400{level_idc:02x}"  # High profile, no constraint flags

    def to_json(self) -> dict[str, int | str]:
        """The rung as a chunk job carries it: every chunk of a video encodes the ladder its plan chose."""
        return {"name": self.name, "width": self.width, "height": self.height, "fps": str(self.fps),
                "video_kbps": self.video_kbps, "maxrate_kbps": self.maxrate_kbps, "bufsize_kbps": self.bufsize_kbps,
                "audio_kbps": self.audio_kbps, "level": self.level}

    @classmethod
    def from_json(cls, data: dict[str, int | str]) -> Rung:
        return cls(name=str(data["name"]), width=int(data["width"]), height=int(data["height"]),
                   fps=Fraction(str(data["fps"])), video_kbps=int(data["video_kbps"]),
                   maxrate_kbps=int(data["maxrate_kbps"]), bufsize_kbps=int(data["bufsize_kbps"]),
                   audio_kbps=int(data["audio_kbps"]), level=str(data["level"]))


def plan_ladder(
    source: SourceInfo,
    heights: tuple[int, ...] = DEFAULT_HEIGHTS,
    max_fps: int = MAX_FPS,
    audio_kbps: int = AUDIO_KBPS,
) -> list[Rung]:
    """Rungs for `source`, lowest first. Never upscales; a source below every rung gets one at its own size."""
    if not heights or any(h < 2 for h in heights):
        raise ValueError(f"ladder heights must be positive, got {heights!r}")
    fps = capped_fps(source.fps, max_fps)
    short = source.short_side
    fitting = sorted({h for h in heights if h <= short})
    if not fitting:
        fitting = [_even_down(short)]
    return [_rung(source, h, fps, audio_kbps) for h in fitting]


def capped_fps(fps: float, max_fps: int = MAX_FPS) -> Fraction:
    """The source rate as an exact fraction (29.97 -> 30000/1001), divided by the smallest whole number that fits."""
    rate = Fraction(fps).limit_denominator(1001) if fps > 0 else Fraction(30)
    divisor = max(1, math.ceil(rate / max_fps))
    return rate / divisor


def _rung(source: SourceInfo, short: int, fps: Fraction, audio_kbps: int) -> Rung:
    short = _even_down(short)
    long = _even_round(short * max(source.width, source.height) / source.short_side)
    width, height = (short, long) if source.portrait else (long, short)
    kbps = video_kbps(width * height, float(fps))
    return Rung(
        name=f"{short}p",
        width=width,
        height=height,
        fps=fps,
        video_kbps=kbps,
        maxrate_kbps=kbps,
        bufsize_kbps=2 * kbps,
        audio_kbps=audio_kbps,
        level=h264_level(width, height, float(fps), kbps),
    )


def video_kbps(pixels: int, fps: float) -> int:
    """Bitrate ceiling for a frame size and rate.

    Interpolated log-log between the measured 30 fps points (so a square or odd size lands between
    its neighbours), extrapolated with the end slopes. Higher frame rates need more bits but far
    from proportionally, since consecutive frames differ less: scaled by (fps/30)^0.6 (60 fps ~ x1.5).
    """
    points = sorted(_KBPS_AT_30FPS.items())
    x = math.log(max(pixels, 1))
    if x <= math.log(points[0][0]):
        (p0, k0), (p1, k1) = points[0], points[1]
    elif x >= math.log(points[-1][0]):
        (p0, k0), (p1, k1) = points[-2], points[-1]
    else:
        (p0, k0), (p1, k1) = next(
            (a, b) for a, b in itertools.pairwise(points) if math.log(a[0]) <= x <= math.log(b[0])
        )
    slope = (math.log(k1) - math.log(k0)) / (math.log(p1) - math.log(p0))
    at_30 = math.exp(math.log(k0) + slope * (x - math.log(p0)))
    return max(100, round(at_30 * (max(fps, 1.0) / 30.0) ** 0.6))


# H.264 Table A-1: (level, max macroblocks/s, max macroblocks/frame, max kbit/s for High profile).
_LEVELS = [
    ("3.0", 40500, 1620, 12500),
    ("3.1", 108000, 3600, 17500),
    ("3.2", 216000, 5120, 25000),
    ("4.0", 245760, 8192, 25000),
    ("4.1", 245760, 8192, 62500),
    ("4.2", 522240, 8704, 62500),
    ("5.0", 589824, 22080, 168750),
    ("5.1", 983040, 36864, 300000),
    ("5.2", 2073600, 36864, 300000),
    ("6.0", 4177920, 139264, 300000),
    ("6.1", 8355840, 139264, 600000),
    ("6.2", 16711680, 139264, 1000000),
]


def h264_level(width: int, height: int, fps: float, maxrate_kbps: int) -> str:
    """Smallest H.264 level (3.0 at least: every current player decodes it) that fits the rung."""
    frame_mbs = math.ceil(width / 16) * math.ceil(height / 16)
    for level, max_mbps, max_fs, max_kbps in _LEVELS:
        # The frame-size limit also bounds each side: sqrt(8 * MaxFS) macroblocks.
        side_limit = math.sqrt(8 * max_fs) * 16
        if (
            frame_mbs <= max_fs
            and frame_mbs * fps <= max_mbps
            and maxrate_kbps <= max_kbps
            and max(width, height) <= side_limit
        ):
            return level
    return _LEVELS[-1][0]


def _even_down(n: float) -> int:
    return max(2, int(n) // 2 * 2)


def _even_round(n: float) -> int:
    return max(2, round(n / 2) * 2)
