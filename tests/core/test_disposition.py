"""Content-Disposition for downloads: whatever a title or file name holds, the header stays one well-formed
attachment whose names are safe to save under (RFC 6266, RFC 8187's filename*)."""

from __future__ import annotations

import re
from urllib.parse import unquote

import pytest
from werkzeug.http import parse_options_header

from videoforge.disposition import MAX_NAME_LENGTH, ascii_filename, attachment, safe_filename

HOSTILE = [
    'evil"; filename="other.exe',
    "line\r\nSet-Cookie: a=b",
    "../../etc/passwd",
    "..\\..\\windows\\system32",
    "holiday\u202egpj.mp4",  # a bidi override that makes it read as .jpg
    "zero\u200bwidth\ufeff.mov",
    "nul\x00byte.mp4",
    "   ...hidden.mp4  ",
    "",
    "...",
    "日本語のビデオ.mp4",
    "Café crème 🎬.mkv",
    "a" * 1000 + ".mp4",
    "x." + "y" * 40,  # an "extension" too long to be one
    "CON.mp4; filename*=UTF-8''owned.exe",
    "%41%42 percent.mp4",
    "tab\there|pipe*star?.mp4",
    "\udc80lone surrogate.mp4",
]
ATTR_CHAR = re.compile(r"[A-Za-z0-9!#$&+.^_`|~%-]*")  # RFC 8187 attr-char, and %XX escapes


@pytest.mark.parametrize("name", HOSTILE)
def test_a_hostile_name_makes_one_well_formed_attachment(name):
    header = attachment(name)
    assert header.isascii() and header.isprintable()  # no CR, LF, NUL or anything beyond ASCII
    disposition, params = parse_options_header(header)
    assert disposition == "attachment"
    assert set(params) == {"filename"}  # werkzeug folds filename* into filename: no third parameter slipped in
    fallback = re.fullmatch(r'attachment; filename="([^"\\]*)"; filename\*=UTF-8\'\'(\S*)', header)
    assert fallback is not None, header
    assert ATTR_CHAR.fullmatch(fallback.group(2))
    for saved in (fallback.group(1), unquote(fallback.group(2))):
        assert saved and saved == saved.strip(" ") and not saved.startswith(".")
        assert not set(saved) & set('/\\"\r\n\x00:*?<>|;')
        assert len(saved) <= MAX_NAME_LENGTH
        assert "\u202e" not in saved and "\u200b" not in saved
    assert params["filename"] == unquote(fallback.group(2))


def test_a_safe_name_keeps_what_people_wrote():
    assert safe_filename("Holiday in Rome.mp4") == "Holiday in Rome.mp4"
    assert safe_filename("日本語のビデオ.mp4") == "日本語のビデオ.mp4"
    assert ascii_filename("Café crème 🎬.mkv") == "Cafe creme.mkv"
    assert ascii_filename("日本語のビデオ.mp4") == "video.mp4"
    assert safe_filename("evil\u202egpj.mp4") == "evilgpj.mp4"
    assert safe_filename("a/b\\c.mp4") == "a_b_c.mp4"
    assert safe_filename("") == safe_filename("...") == "video"
    long = safe_filename("a" * 1000 + ".mp4")
    assert long.endswith(".mp4") and len(long) == MAX_NAME_LENGTH
    assert attachment("Holiday.mp4") == "attachment; filename=\"Holiday.mp4\"; filename*=UTF-8''Holiday.mp4"
