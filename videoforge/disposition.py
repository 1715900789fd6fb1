"""Content-Disposition for downloads: a file name anyone may have typed, made safe to offer as a header.

RFC 6266: `attachment; filename="<ASCII>"; filename*=UTF-8''<percent-encoded>`. Browsers that read `filename*`
(RFC 8187, formerly 5987) get the name as typed; the rest get an ASCII stand-in. Either way no name can break out of
the header (quotes, backslashes, CR/LF), name a path (`/`, `\\`, a leading dot), hide characters (bidi overrides
and other invisible formatting) or run past what a file system holds.
"""

from __future__ import annotations

import os
import re
import unicodedata
from urllib.parse import quote

MAX_NAME_LENGTH = 150
"""Characters of a suggested file name (file systems hold 255 bytes; UTF-8 takes up to 4 per character)."""
MAX_EXTENSION_LENGTH = 16
FALLBACK = "video"
"""The name offered when nothing of the given one survives."""

# Characters a file name must not hold on some system (Windows' reserved set), and the header's own delimiters.
_RESERVED = re.compile(r'[/\\:*?"<>|;,]')
_SPACES = re.compile(r"\s+")
_NOT_PLAIN = re.compile(r"[^A-Za-z0-9 ._()+-]")
_UNDERSCORES = re.compile(r"_{2,}")
_DROPPED = ("Cc", "Cf", "Cs", "Co", "Cn", "Zl", "Zp")
"""Control, invisible formatting (bidi overrides among them), surrogate, private-use and unassigned characters, and
line or paragraph separators."""


def safe_filename(name: str) -> str:
    """The name as a file may be called anywhere: NFC, no hidden or control characters, no separators or reserved
    characters (each becomes `_`), no leading dots or spaces, at most MAX_NAME_LENGTH characters with the extension
    kept; FALLBACK when nothing is left."""
    text = unicodedata.normalize("NFC", str(name or ""))
    text = "".join(" " if unicodedata.category(c) == "Zs" else c for c in text
                   if unicodedata.category(c) not in _DROPPED)
    text = _SPACES.sub(" ", _RESERVED.sub("_", text)).strip(" .")
    stem, extension = os.path.splitext(text)
    if len(extension) > MAX_EXTENSION_LENGTH:
        stem, extension = text, ""
    stem = stem.strip(" .")[:MAX_NAME_LENGTH - len(extension)].rstrip(" .")
    return f"{stem or FALLBACK}{extension}"


def ascii_filename(name: str) -> str:
    """An ASCII stand-in for a safe name (accents dropped, anything else `_`), for clients that ignore `filename*`."""
    stem, extension = os.path.splitext(safe_filename(name))
    def plain(text: str) -> str:
        folded = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
        return _UNDERSCORES.sub("_", _NOT_PLAIN.sub("_", folded)).strip(" ._")
    return f"{plain(stem) or FALLBACK}{'.' + plain(extension) if plain(extension) else ''}"


def attachment(name: str) -> str:
    """The Content-Disposition value that makes a browser save the response as `name` (made safe first)."""
    safe = safe_filename(name)
    return f"attachment; filename=\"{ascii_filename(safe)}\"; filename*=UTF-8''{quote(safe, safe='')}"
