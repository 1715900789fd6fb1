"""Cutting one long video's ladder into chunks any worker may encode, that join into one seamless timeline.

A chunk is a run of whole segments. Its bounds are frames at the ladder's frame rate: chunk k starts at the first
frame at or after its first segment's start time (where the unchunked ladder forces a keyframe too), so every rung
starts the chunk on a keyframe, and the frames of all chunks together are exactly the frames of the whole video.

How the pieces meet (measured with ffprobe on ffmpeg 5.1, tests/modules/processor/test_chunked.py):
- the source is sought a quarter of a frame early (`-ss`), so a source frame whose stored time was rounded down
  (a 1 ms time base) is not dropped; the fps filter then rounds it onto the chunk's first output frame;
- `-frames:v` takes exactly the chunk's frames; the output times are moved to the chunk's place on the whole timeline
  (`-output_ts_offset`), with negative-time avoidance off, so the first chunk is shifted no differently from the rest;
- the fMP4 muxer writes each fragment's own decode time (`frag_discont`) instead of starting every chunk at zero, so
  one init segment per rung serves every chunk (their init segments are byte for byte the same);
- segment numbers continue (`-start_number`), so chunks never write each other's files.
Packet for packet, the joined chunks have the unchunked ladder's timestamps and keyframes.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from fractions import Fraction
from typing import Any

from videoforge.modules.processor.probe import SourceInfo


@dataclass(frozen=True)
class ChunkSpan:
    """One chunk: frames [start_frame, end_frame) at `fps` (end None: to the end), its first segment's number."""

    number: int
    first_segment: int
    start_frame: int
    end_frame: int | None
    fps: Fraction

    @property
    def start(self) -> float:
        """Where the chunk starts on the whole video's timeline, in seconds."""
        return float(self.start_frame / self.fps)

    def seconds(self, duration: float) -> float:
        """How long it is, for a video `duration` seconds long."""
        end = duration if self.end_frame is None else float(self.end_frame / self.fps)
        return max(0.0, min(end, duration) - self.start)

    def input_args(self) -> list[str]:
        """Seek options for ffmpeg's input: a quarter frame before the chunk's first frame."""
        if not self.start_frame:
            return []
        return ["-ss", f"{float((self.start_frame - Fraction(1, 4)) / self.fps):.6f}"]

    def output_args(self) -> list[str]:
        """Output options: the chunk's frames, on the whole video's timeline, in its own segment numbers."""
        frames = ["-frames:v", str(self.end_frame - self.start_frame)] if self.end_frame is not None else []
        return [
            *frames,
            "-output_ts_offset", f"{self.start:.6f}",
            "-avoid_negative_ts", "disabled",
            "-start_number", str(self.first_segment),
            "-hls_segment_options", "movflags=+frag_discont",
        ]

    def to_json(self) -> dict[str, int | str | None]:
        return {"number": self.number, "first_segment": self.first_segment, "start_frame": self.start_frame,
                "end_frame": self.end_frame, "fps": str(self.fps)}

    @classmethod
    def from_json(cls, data: dict[str, int | str | None]) -> ChunkSpan:
        end = data["end_frame"]
        return cls(number=int(data["number"] or 0), first_segment=int(data["first_segment"] or 0),
                   start_frame=int(data["start_frame"] or 0), end_frame=None if end is None else int(end),
                   fps=Fraction(str(data["fps"])))


def plan_chunks(duration: float, fps: Fraction, segment_seconds: int, chunk_seconds: float) -> list[ChunkSpan]:
    """Chunks of about `chunk_seconds` (rounded to whole segments, one at least) covering `duration`.

    A last chunk shorter than half of one is merged into the one before: a few seconds are not worth a job.
    """
    if duration <= 0 or fps <= 0 or segment_seconds <= 0:
        raise ValueError("duration, frame rate and segment length must be positive")
    per_chunk = max(1, round(chunk_seconds / segment_seconds))
    span_seconds = per_chunk * segment_seconds
    count = max(1, math.ceil(duration / span_seconds - 1e-9))
    if count > 1 and duration - (count - 1) * span_seconds < span_seconds / 2:
        count -= 1
    starts = [first_frame(k * span_seconds, fps) for k in range(count)]
    return [ChunkSpan(number=k, first_segment=k * per_chunk, start_frame=starts[k],
                      end_frame=starts[k + 1] if k + 1 < count else None, fps=fps)
            for k in range(count)]


def first_frame(seconds: float, fps: Fraction) -> int:
    """The first frame at or after `seconds` (frame n is shown at n / fps)."""
    return math.ceil(Fraction(seconds) * fps)


def chunking_applies(config: Mapping[str, Any], source: SourceInfo) -> bool:
    """A source longer than CHUNK_THRESHOLD_SECONDS (0: never) is transcoded in chunks; shorter ones in one job."""
    threshold = float(config.get("CHUNK_THRESHOLD_SECONDS") or 0)
    return 0 < threshold < source.duration
