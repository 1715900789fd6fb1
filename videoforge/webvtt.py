"""WebVTT: the one caption format we store and serve (uploaded SRT is converted to it on the way in).

`Cue` is a caption's unit everywhere: parsed from an upload, made by transcription, written as a track, indexed for
search. `write` makes the file players read.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass


@dataclass(frozen=True)
class Cue:
    """One caption: shown from `start` to `end` (seconds from the video's start), `text` on one or more lines."""

    start: float
    end: float
    text: str


def timestamp(seconds: float) -> str:
    """`hh:mm:ss.ttt`, the WebVTT form (hours always written, so every player reads it)."""
    millis = max(0, round(seconds * 1000))
    hours, millis = divmod(millis, 3_600_000)
    minutes, millis = divmod(millis, 60_000)
    secs, millis = divmod(millis, 1000)
    return f"{hours:02d}:{minutes:02d}:{secs:02d}.{millis:03d}"


def write(cues: Iterable[Cue]) -> str:
    """A WebVTT file of `cues`, in order of start time; text lines kept, blank lines inside a cue dropped (a blank
    line would end the cue), and "-->" escaped so no text can be read as a timing line."""
    blocks = ["WEBVTT"]
    for cue in sorted(cues, key=lambda c: (c.start, c.end)):
        lines = [line.replace("-->", "--&gt;") for line in cue.text.splitlines() if line.strip()]
        blocks.append(f"{timestamp(cue.start)} --> {timestamp(cue.end)}\n" + "\n".join(lines))
    return "\n\n".join(blocks) + "\n"
