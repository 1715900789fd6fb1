"""Signing stored HLS playlists and WebVTT thumbnail tracks: every media URI becomes an absolute signed URL."""

from __future__ import annotations

import re
from collections.abc import Callable
from urllib.parse import unquote

Sign = Callable[[str], str]
"""Turns a URI relative to the playlist (e.g. "seg_00001.m4s", "720p/index.m3u8") into an absolute URL."""

# An attribute in a tag's attribute list: NAME=value, the value quoted (no quotes inside, per RFC 8216) or bare.
_ATTRIBUTE = re.compile(r'([A-Z0-9-]+)=("[^"]*"|[^,]*)')
_SCHEME = re.compile(r"[A-Za-z][A-Za-z0-9+.-]*:")
_SAFE_URI = re.compile(r"[A-Za-z0-9_.~-]+(?:/[A-Za-z0-9_.~-]+)*").fullmatch  # the common case, checked fast


def check_relative_uri(uri: str) -> str:
    """Return `uri` if it names a file at or below the playlist's folder; ValueError otherwise."""
    if _SAFE_URI(uri) and uri[0] != "." and "/." not in uri:
        return uri
    if not uri:
        raise ValueError("empty URI in playlist")
    if _SCHEME.match(uri) or uri.startswith(("/", "\\")):
        raise ValueError(f"URI {uri!r} must be relative to the playlist (no scheme, no leading '/')")
    if "?" in uri or "#" in uri:
        raise ValueError(f"URI {uri!r} must be a plain relative path (no query or fragment)")
    # Check the decoded form as well, so "%2e%2e/" cannot climb either.
    for form in (uri, unquote(uri)):
        if "\\" in form or any(part in ("", ".", "..") for part in form.split("/")):
            raise ValueError(f"URI {uri!r} must not contain '..', '.', empty segments or backslashes")
    if any(ch.isspace() or ord(ch) < 0x20 for ch in uri):
        raise ValueError(f"URI {uri!r} contains whitespace or control characters")
    return uri


def _sign_attributes(line: str, sign: Sign) -> str:
    """Rewrite the URI="..." attribute of a tag line, leaving every other byte of it alone."""
    colon = line.find(":")
    if colon < 0:
        return line
    pos, out = colon + 1, [line[: colon + 1]]
    for match in _ATTRIBUTE.finditer(line, pos):
        if match.start() != pos:  # not a well-formed attribute list: nothing we understand to rewrite
            return line
        name, value = match.group(1), match.group(2)
        if name == "URI":
            if len(value) < 2 or value[0] != '"' or value[-1] != '"':
                raise ValueError(f"URI attribute must be a quoted string in {line!r}")
            value = '"' + sign(check_relative_uri(value[1:-1])) + '"'
        out.append(f"{name}={value}")
        pos = match.end()
        if pos < len(line):
            if line[pos] != ",":
                return line
            out.append(",")
            pos += 1
    return "".join(out)


def sign_playlist(text: str, sign: Sign) -> str:
    """Return the HLS playlist (master or media) with each URI replaced by `sign(uri)`.

    Rewritten: URI lines (segments, variant playlists) and the URI attribute of any tag that has one
    (EXT-X-MAP, -KEY, -MEDIA, -I-FRAME-STREAM-INF, -PART, -PRELOAD-HINT, -RENDITION-REPORT,
    -SESSION-KEY, -SESSION-DATA). Other tags, comments, blank lines and line endings stay as they are.
    """
    if not text.lstrip("\ufeff").startswith("#EXTM3U"):
        raise ValueError("not an HLS playlist: it must start with #EXTM3U")
    lines = text.split("\n")
    for index, line in enumerate(lines):
        if not line:
            continue
        if line[0] == "#":
            if "URI=" in line and line.startswith("#EXT"):
                end = "\r" if line[-1] == "\r" else ""
                lines[index] = _sign_attributes(line[: len(line) - len(end)], sign) + end
            continue
        uri = line.strip()
        if not uri:
            continue
        end = "\r" if line[-1] == "\r" else ""
        lines[index] = sign(check_relative_uri(uri)) + end
    return "\n".join(lines)


def sign_vtt(text: str, sign: Sign) -> str:
    """Return the WebVTT thumbnails track with each cue's `image#xywh=...` payload signed, fragment kept."""
    if not text.lstrip("\ufeff").startswith("WEBVTT"):
        raise ValueError("not a WebVTT file: it must start with WEBVTT")
    lines = text.split("\n")
    in_payload = False
    for index, line in enumerate(lines):
        body = line.rstrip("\r")
        if not body.strip():
            in_payload = False  # a blank line ends a cue
            continue
        if "-->" in body:
            in_payload = True  # cue timings: the lines after it, up to a blank one, are the payload
            continue
        if not in_payload:
            continue  # header, NOTE/STYLE blocks, cue identifiers
        path, hash_, fragment = body.strip().partition("#")
        lines[index] = sign(check_relative_uri(path)) + hash_ + fragment + line[len(body):]
    return "\n".join(lines)
