"""HLS media playlists as text: each rung's variant as it grows or once done (streaming writes the master)."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

AUDIO_CODEC = "mp4a.40.2"  # AAC-LC


@dataclass(frozen=True)
class Segment:
    """One finished media segment of a rung, as listed in ffmpeg's own playlist."""

    sequence: int
    uri: str  # relative to the rung's playlist, e.g. "seg_00003.m4s"
    duration: float
    size: int = 0  # bytes, once known; gives the rung its measured bandwidths


@dataclass(frozen=True)
class VariantListing:
    """What ffmpeg's variant playlist says so far."""

    init_uri: str | None
    segments: tuple[Segment, ...]
    ended: bool


def parse_variant(text: str) -> VariantListing:
    """Read a media playlist (ffmpeg's), keeping only what republishing needs."""
    init_uri, segments, ended = None, [], False
    sequence, duration = 0, None
    for line in text.splitlines():
        line = line.strip()
        if line.startswith("#EXT-X-MEDIA-SEQUENCE:"):
            sequence = int(line.split(":", 1)[1])
        elif line.startswith("#EXT-X-MAP:"):
            init_uri = _attribute(line, "URI")
        elif line.startswith("#EXTINF:"):
            duration = float(line.split(":", 1)[1].split(",", 1)[0])
        elif line == "#EXT-X-ENDLIST":
            ended = True
        elif line and not line.startswith("#") and duration is not None:
            segments.append(Segment(sequence=sequence, uri=line, duration=duration))
            sequence, duration = sequence + 1, None
    return VariantListing(init_uri=init_uri, segments=tuple(segments), ended=ended)


def variant_playlist(
    segments: Sequence[Segment],
    init_uri: str | None,
    complete: bool,
    target_duration: float | None = None,
    uri_for=lambda uri: uri,
) -> str:
    """A rung's media playlist: EVENT while the ladder still grows, VOD with ENDLIST once done.

    `uri_for` rewrites each URI (init and segments), e.g. to sign it at serving time.
    """
    longest = max((s.duration for s in segments), default=0.0)
    # TARGETDURATION must be >= every segment rounded to the nearest integer (RFC 8216 4.3.3.1).
    target = max(1, round(longest), math.ceil(target_duration or 0))
    lines = [
        "#EXTM3U",
        "#EXT-X-VERSION:7",
        f"#EXT-X-TARGETDURATION:{target}",
        f"#EXT-X-MEDIA-SEQUENCE:{segments[0].sequence if segments else 0}",
        f"#EXT-X-PLAYLIST-TYPE:{'VOD' if complete else 'EVENT'}",
        "#EXT-X-INDEPENDENT-SEGMENTS",
    ]
    if init_uri:
        lines.append(f'#EXT-X-MAP:URI="{uri_for(init_uri)}"')
    for segment in segments:
        lines.append(f"#EXTINF:{segment.duration:.6f},")
        lines.append(uri_for(segment.uri))
    if complete:
        lines.append("#EXT-X-ENDLIST")
    return "\n".join(lines) + "\n"


def _attribute(line: str, name: str) -> str | None:
    for part in line.split(":", 1)[1].split(","):
        key, _, value = part.partition("=")
        if key.strip() == name:
            return value.strip().strip('"')
    return None
