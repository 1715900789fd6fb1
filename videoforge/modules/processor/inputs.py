"""How every ffmpeg and ffprobe call opens its input: an allowed demuxer, pinned, reading local files only.

An upload is untrusted bytes. Left to probe freely, ffmpeg reads a text file called `.mp4` as whatever it
looks like: an HLS playlist, a DASH manifest or an ffconcat list then names other files on the worker (another
user's renditions or source) and the attacker's "video" becomes those files. So the first ffprobe already runs
with `-format_whitelist` (ffmpeg 5.1 refuses a probed demuxer not on it at open, before its read_header can
open anything: checked with strace, tests/modules/processor/test_inputs.py) and `-protocol_whitelist file`;
every later call on the source names the demuxer ffprobe found with `-f`.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

INGEST_FORMATS = (
    "mov,mp4,m4a,3gp,3g2,mj2",  # phones (iPhone .mov, Android .mp4/.3gp), cameras, screen recorders
    "matroska,webm",  # .mkv (OBS, Android screen recorders), .webm (browsers' MediaRecorder)
    "avi",  # older cameras and DivX/Xvid, DV and MJPEG in AVI
    "mpegts",  # AVCHD .mts/.m2ts camcorders, dashcams, .ts recordings
    "mpeg",  # MPEG-PS: .mpg, .vob, .mod/.tod camcorders
    "ogg",  # .ogv (Theora)
    "flv",  # OBS and old web video
)
"""Demuxers an upload may be read with: the containers ALLOWED_EXTENSIONS names, plus FLV (OBS records it).

None of these opens another file by itself (the mov demuxer only follows `dref` references when
`enable_drefs` is set, and it is off by default). Left out on purpose: every playlist or list format (hls,
dash, concat, imf, webm_dash_manifest), image sequences (image2, *_pipe), devices and lavfi, and containers
no accepted upload type uses: asf (WMV), mxf (professional cameras), dv (raw DV; DV in AVI or MOV passes),
raw elementary streams (h264, hevc, mpegvideo). Adding one is one line here, after checking it opens nothing.
"""

FORMAT_WHITELIST = ",".join(INGEST_FORMATS)
"""The `-format_whitelist` value. ffmpeg's av_match_list splits both sides at commas and accepts a demuxer
when any piece of its name equals any piece here, so `mov,mp4,...` and `matroska,webm` match whole."""

LADDER_FORMATS = "hls,mov,mp4,m4a,3gp,3g2,mj2"
"""Our own rung playlists: HLS whose fMP4 segments are opened by the mov demuxer (nested opens inherit it)."""


_BARE_NAME = re.compile(r"[A-Za-z0-9_-][A-Za-z0-9_.-]*")


class NotAllowed(ValueError):
    """The source's demuxer is not on the ingest allow-list."""


def file_url(path: str | Path) -> str:
    """`file:` plus the absolute path: a name with a colon can never be taken for another protocol."""
    return "file:" + os.path.abspath(path)


def demuxer_of(format_name: str) -> str:
    """The allowed demuxer ffprobe reported as `format_name`, as `-f` takes it (its first name)."""
    pieces = set(format_name.split(","))
    for allowed in INGEST_FORMATS:
        if pieces & set(allowed.split(",")):
            return allowed.split(",")[0]
    raise NotAllowed(f"{format_name!r} is not an accepted container")


def probe_input(path: str | Path) -> list[str]:
    """Input options of the first ffprobe: the demuxer is still unknown, so only allowed ones may open."""
    return ["-protocol_whitelist", "file", "-format_whitelist", FORMAT_WHITELIST, "-i", file_url(path)]


def source_input(path: str | Path, format_name: str) -> list[str]:
    """Input options of every later call on the source: the probed demuxer, pinned."""
    return ["-protocol_whitelist", "file", "-format_whitelist", FORMAT_WHITELIST,
            "-f", demuxer_of(format_name), "-i", file_url(path)]


def ladder_input(playlist: str | Path) -> list[str]:
    """Input options for one of our rung playlists: read as HLS, and only the files beside it.

    The playlist is ffmpeg's own output, but it is still checked: every URI it lists must be a bare name in
    its folder, so nothing there can make the storyboard read anything else.
    """
    for line in Path(playlist).read_text().splitlines():
        line = line.strip()
        # Segment lines, and every URI="..." of a tag (EXT-X-MAP, and any other a playlist could carry).
        uris = re.findall(r'URI="([^"]*)"', line) if line.startswith("#") else [line] if line else []
        for uri in uris:
            if not _BARE_NAME.fullmatch(uri):
                raise NotAllowed(f"the rung playlist names {uri!r}, not a file beside it")
    return ["-protocol_whitelist", "file", "-format_whitelist", LADDER_FORMATS,
            "-f", "hls", "-allowed_extensions", "m4s,mp4", "-i", file_url(playlist)]


def image_input(path: str | Path) -> list[str]:
    """Input options for a JPEG we wrote ourselves (a poster candidate): one picture, no file-name patterns."""
    return ["-protocol_whitelist", "file", "-format_whitelist", "jpeg_pipe", "-f", "jpeg_pipe", "-i", file_url(path)]
