"""WebVTT: the one caption format we store and serve (uploaded SRT is converted to it on the way in).

`Cue` is a caption's unit everywhere: parsed from an upload, made by transcription, written as a track, indexed for
search. `write` makes the file players read; `parse_captions` reads an upload (WebVTT or SRT, told apart by content).

Nothing of an upload is passed through: its cues are read into `Cue`s and the file is written anew by `write`, so
header lines, STYLE/REGION/NOTE blocks, cue identifiers and cue settings never reach a player. Cue text keeps the
WebVTT spans players style (`<i>`, `<b>`, `<u>`, `<c.class>`, `<v Speaker>`, `<lang tag>`, `<ruby>`/`<rt>`), rebuilt
from a checked token stream; every other tag (`<font>`, `<script>`, `<img ...>`) is dropped and its words kept as
text. Players render cue text as WebVTT cue nodes, never as HTML; the rebuilt markup holds no attribute, no URL and
no unescaped `<` or `&` outside those spans, so it is harmless wherever it is shown.
"""

from __future__ import annotations

import html
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass


@dataclass(frozen=True)
class Cue:
    """One caption: shown from `start` to `end` (seconds from the video's start), `text` on one or more lines."""

    start: float
    end: float
    text: str
    markup: str | None = None
    """The cue text as WebVTT markup (checked spans, escaped text), when an upload styled it; `text` stays the plain
    words, for search and transcripts. None: `write` escapes `text`."""


def timestamp(seconds: float) -> str:
    """`hh:mm:ss.ttt`, the WebVTT form (hours always written, so every player reads it)."""
    millis = max(0, round(seconds * 1000))
    hours, millis = divmod(millis, 3_600_000)
    minutes, millis = divmod(millis, 60_000)
    secs, millis = divmod(millis, 1000)
    return f"{hours:02d}:{minutes:02d}:{secs:02d}.{millis:03d}"


def write(cues: Iterable[Cue], header: str | None = None) -> str:
    """A WebVTT file of `cues`, in order of start time; `header` (e.g. `HLS_TIMESTAMP_MAP`) on the line after
    "WEBVTT". Text lines kept, blank lines inside a cue dropped (a blank line would end the cue); plain text is
    escaped (`&`, `<`, `>`), so no text can open a tag or be read as a timing line ("-->")."""
    blocks = ["WEBVTT" + (f"\n{header}" if header else "")]
    for cue in sorted(cues, key=lambda c: (c.start, c.end)):
        body = cue.markup if cue.markup is not None else escape(cue.text)
        lines = [line.replace("-->", "--&gt;") for line in body.splitlines() if line.strip()]
        blocks.append(f"{timestamp(cue.start)} --> {timestamp(cue.end)}\n" + "\n".join(lines))
    return "\n\n".join(blocks) + "\n"


def escape(text: str) -> str:
    """Plain text as WebVTT cue text: the three characters that could start markup or a timing arrow escaped."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


# --- reading an upload ---------------------------------------------------------------------------------------------

HLS_TIMESTAMP_MAP = "X-TIMESTAMP-MAP=MPEGTS:0,LOCAL:00:00:00.000"
"""Cue time 0 is media time 0. Our fMP4 renditions start at decode time 0 on every track (ffmpeg's hls muxer), which
hls.js takes as its initPTS; with this line hls.js maps cues without waiting for that initPTS (without it, it
refuses to place cues until the first media fragment is parsed), and Safari reads the same identity map."""

MAX_BYTES = 2 * 1024 * 1024
"""Largest caption file (the gallery's CAPTION_MAX_BYTES)."""
MAX_CUES = 20_000
"""Most cues in one file: a cue every 0.4 s for two hours (the gallery's CAPTION_MAX_CUES)."""
MAX_CUE_CHARS = 1000
"""Longest cue text in characters: no player shows more at once (the gallery's CAPTION_MAX_CUE_CHARS)."""
MAX_SECONDS = 24 * 3600
"""No cue starts or ends past 24 hours: longer than any video we accept."""


class CaptionFileError(ValueError):
    """A caption file we cannot take: `line` (1-based, None for the file as a whole) and what is wrong with it."""

    def __init__(self, line: int | None, message: str):
        super().__init__(f"Line {line}: {message}" if line else message)
        self.line = line
        self.message = message


_VTT_TIME = r"(?:(\d+):)?(\d{2}):(\d{2})\.(\d{3})"
_SRT_TIME = r"(\d+):(\d{1,2}):(\d{1,2})[,.](\d{1,3})"
_VTT_TIMING = re.compile(rf"[ \t]*{_VTT_TIME}[ \t]*-->[ \t]*{_VTT_TIME}(?:[ \t]+.*)?")
# SRT as written in the wild: one-digit fields, "." for ",", a missing index, and "X1:.. Y2:.." coordinates after.
_SRT_TIMING = re.compile(rf"[ \t]*{_SRT_TIME}[ \t]*-->[ \t]*{_SRT_TIME}(?:[ \t]+.*)?")
_LOOKS_TIMED = re.compile(r"[ \t]*[0-9]+:[0-9]")
_VTT_SIGNATURE = re.compile(r"WEBVTT(?:[ \t].*)?")
# Unicode's control characters (C0 but tab and newline, DEL, C1), lone surrogates and the line/paragraph separators.
_CONTROL = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\ud800-\udfff\u2028\u2029]")
_SKIPPED_BLOCK = re.compile(r"(?:NOTE|STYLE|REGION)(?:[ \t].*)?")
# UTF-32 first: its little-endian BOM starts with UTF-16's.
_BOMS = ((b"\xff\xfe\x00\x00", None, "UTF-32"), (b"\x00\x00\xfe\xff", None, "UTF-32"),
         (b"\xef\xbb\xbf", "utf-8", "UTF-8"), (b"\xff\xfe", "utf-16-le", "UTF-16"),
         (b"\xfe\xff", "utf-16-be", "UTF-16"))


def parse_captions(data: bytes, filename: str = "", *, max_bytes: int = MAX_BYTES, max_cues: int = MAX_CUES,
                   max_cue_chars: int = MAX_CUE_CHARS) -> list[Cue]:
    """The cues of an uploaded WebVTT or SRT file, told apart by content (`filename` only words the error when the
    content is neither). CaptionFileError names the 1-based line at fault: encoding, size, timings, count, text."""
    if len(data) > max_bytes:
        raise CaptionFileError(None, f"The file is {len(data) / 1048576:.1f} MiB; a caption file may be at most "
                                     f"{max_bytes / 1048576:g} MiB.")
    # A second BOM (a UTF-16 file once saved through a UTF-8 one) is a character of no use: dropped too.
    lines = _decode(data).lstrip("\ufeff").replace("\r\n", "\n").replace("\r", "\n").split("\n")
    first = next((n for n, line in enumerate(lines) if line.strip()), None)
    if first is None:
        raise CaptionFileError(None, "The file is empty.")
    if _VTT_SIGNATURE.fullmatch(lines[0]):
        cues = _read_blocks(lines, 1, _VTT_TIMING, webvtt=True, limits=(max_cues, max_cue_chars))
    elif _SRT_TIMING.fullmatch(lines[first]) or (
            lines[first].strip().isdigit() and first + 1 < len(lines) and _SRT_TIMING.fullmatch(lines[first + 1])):
        cues = _read_blocks(lines, first, _SRT_TIMING, webvtt=False, limits=(max_cues, max_cue_chars))
    else:
        said = " (though it is named .vtt)" if filename.lower().endswith(".vtt") else (
            " (though it is named .srt)" if filename.lower().endswith(".srt") else "")
        raise CaptionFileError(first + 1, f"not a caption file{said}: WebVTT starts with \"WEBVTT\", SRT with a cue "
                                          "number and a timing line such as 00:00:01,000 --> 00:00:04,000.")
    if not cues:
        raise CaptionFileError(None, "The file holds no cues.")
    return cues


def _decode(data: bytes) -> str:
    """UTF-8 (with or without its BOM) or UTF-16 with a BOM; anything else is refused, named where we can."""
    encoding = "utf-8"
    for bom, codec, name in _BOMS:
        if data.startswith(bom):
            if codec is None:
                raise CaptionFileError(None, f"The file is {name}; save it as UTF-8.")
            data, encoding = data[len(bom):], codec
            break
    else:
        if b"\x00" in data:
            # UTF-16 without a BOM puts a NUL beside every ASCII character; other NULs mean binary data.
            line = data[:data.index(b"\x00")].count(b"\n") + 1
            if data[1::2].count(0) > len(data) // 4 or data[0::2].count(0) > len(data) // 4:
                raise CaptionFileError(line, "the file looks like UTF-16 without a byte-order mark; save it as "
                                             "UTF-8.")
            raise CaptionFileError(line, "a NUL byte: this is binary data, not a caption file.")
    try:
        return data.decode(encoding)
    except UnicodeDecodeError as exc:
        line = data[:exc.start].decode(encoding, "replace").count("\n") + 1
        if encoding == "utf-8":
            raise CaptionFileError(line, f"not UTF-8 text (byte 0x{data[exc.start]:02X}; a Windows-1252 or "
                                         "Latin-1 file?); save the file as UTF-8.") from None
        raise CaptionFileError(line, "not valid UTF-16 text.") from None


def _read_blocks(lines: list[str], start: int, timing: re.Pattern[str], *, webvtt: bool,
                 limits: tuple[int, int]) -> list[Cue]:
    """Cues from blank-line separated blocks: [identifier,] timing line, text lines. WebVTT's NOTE, STYLE and REGION
    blocks are skipped; in SRT the identifier is the cue number."""
    max_cues, max_chars = limits
    cues: list[Cue] = []
    for block, end in _blocks(lines, start, webvtt):
        if webvtt and _SKIPPED_BLOCK.fullmatch(lines[block]):
            continue
        at = block if "-->" in lines[block] else block + 1
        if at >= end or "-->" not in lines[at]:
            # A first line that starts like a time was meant as the timing line, not as an identifier.
            wrong = block if _LOOKS_TIMED.match(lines[block]) else min(at, end - 1)
            example = "00:00:01.000 --> 00:00:04.000" if webvtt else "00:00:01,000 --> 00:00:04,000"
            raise CaptionFileError(wrong + 1, f"expected a cue timing line such as {example}, found "
                                              f"{_shown(lines[wrong])}.")
        if len(cues) >= max_cues:
            raise CaptionFileError(at + 1, f"more than {max_cues:,} cues; split the file or merge cues.")
        start_s, end_s = _timing(lines[at], at + 1, timing)
        text, markup = _payload(lines, at + 1, end, webvtt, max_chars)
        if text:  # an empty cue shows nothing: dropped
            cues.append(Cue(start_s, end_s, text, markup))
    return cues


def _blocks(lines: list[str], start: int, webvtt: bool) -> Iterator[tuple[int, int]]:
    """(first line, end) of each run of non-blank lines from `start`; WebVTT's header lines (X-TIMESTAMP-MAP and the
    like) run to the first blank line, or to a timing line, and are skipped."""
    index = start
    if webvtt:
        while index < len(lines) and lines[index].strip() and "-->" not in lines[index]:
            index += 1
    while index < len(lines):
        if not lines[index].strip():
            index += 1
            continue
        block = index
        while index < len(lines) and lines[index].strip():
            index += 1
        yield block, index


def _payload(lines: list[str], first: int, end: int, webvtt: bool, max_chars: int) -> tuple[str, str | None]:
    """A cue's text lines `first`..`end`, checked: no arrow (a missing blank line), no control characters, not too
    long."""
    for number, line in enumerate(lines[first:end], start=first + 1):
        if "-->" in line:
            raise CaptionFileError(number, "cue text cannot hold \"-->\" (is a blank line missing before this cue?).")
        _check_characters(line, number)
    text, markup = cue_text("\n".join(lines[first:end]), webvtt=webvtt)
    _check_characters(text, first + 1)  # character references may name control characters too
    if len(text) > max_chars:
        raise CaptionFileError(first, f"the cue's text is {len(text):,} characters; at most {max_chars:,}.")
    return text, markup


def _timing(line: str, number: int, timing: re.Pattern[str]) -> tuple[float, float]:
    match = timing.fullmatch(line)
    if match is None:
        form = "hh:mm:ss.ttt --> hh:mm:ss.ttt" if timing is _VTT_TIMING else "hh:mm:ss,ttt --> hh:mm:ss,ttt"
        raise CaptionFileError(number, f"malformed timing line {_shown(line)}; expected {form}.")
    start, end = _seconds(match.groups()[:4], number), _seconds(match.groups()[4:], number)
    if start >= end:
        raise CaptionFileError(number, f"the cue ends ({timestamp(end)}) before it starts ({timestamp(start)}).")
    return start, end


def _seconds(parts: tuple[str | None, ...], number: int) -> float:
    hours, minutes, seconds, millis = parts
    if (hours and len(hours) > 3) or int(minutes or 0) > 59 or int(seconds or 0) > 59:
        raise CaptionFileError(number, "a time out of range (minutes and seconds go to 59).")
    total = (int(hours or 0) * 3600 + int(minutes or 0) * 60 + int(seconds or 0)
             + int((millis or "0").ljust(3, "0")) / 1000)
    if total > MAX_SECONDS:
        raise CaptionFileError(number, "a time past 24 hours.")
    return total


def _check_characters(text: str, number: int) -> None:
    """No control characters but tab and line breaks (they have no place in a caption and confuse players)."""
    found = _CONTROL.search(text)
    if found:
        raise CaptionFileError(number, f"a control character (U+{ord(found.group()):04X}); remove it.")


def _shown(line: str) -> str:
    return repr(line if len(line) <= 60 else line[:57] + "...")


# --- cue text: checked spans, escaped text --------------------------------------------------------------------------

_SPANS = {"c", "i", "b", "u", "ruby", "rt", "v", "lang"}
"""WebVTT's cue spans; `v` and `lang` take an annotation (a speaker, a language tag)."""
# A tag starts with a letter, "/" or a digit (a timestamp); any other "<" is text ("1 < 2"), escaped when written.
_TOKEN = re.compile(r"<([A-Za-z/0-9][^<>\n]*)>"  # a tag
                    r"|&(#[0-9]{1,7}|#[xX][0-9a-fA-F]{1,6}|[A-Za-z][A-Za-z0-9]{0,31});"  # a character reference
                    r"|\{\\[^{}\n]*\}")  # an SRT/ASS override code such as {\an8}
_TAG = re.compile(r"(/?)([A-Za-z]+)((?:\.[A-Za-z0-9_-]+)*)(?:[ \t]+([^\n]*))?")
_SPEAKER = re.compile(r"[^\x00-\x1f<>&\"]{1,100}")
_LANG_ANNOTATION = re.compile(r"[A-Za-z0-9-]{1,35}")


def cue_text(raw: str, *, webvtt: bool) -> tuple[str, str | None]:
    """The plain words of a cue (tags removed, character references decoded) and its markup rebuilt from the WebVTT
    spans alone, or None when it has none. SRT's `{\\an8}` position codes are dropped; in SRT `&` is literal."""
    plain: list[str] = []
    markup: list[str] = []
    open_spans: list[str] = []
    styled = False
    pos = 0
    for match in _TOKEN.finditer(raw):
        words = raw[pos:match.start()]
        plain.append(words)
        markup.append(escape(words))
        pos = match.end()
        if match.group(0).startswith("{"):
            continue  # an SRT/ASS override code: positions and colours we do not keep
        if match.group(2) is not None:  # a character reference
            words = html.unescape(match.group(0)) if webvtt else match.group(0)
            plain.append(words)
            markup.append(escape(words))
            continue
        span = _span(match.group(1), open_spans)
        if span:
            markup.append(span)
            styled = True
    plain.append(raw[pos:])
    markup.append(escape(raw[pos:]))
    markup.extend(f"</{name}>" for name in reversed(open_spans))
    text = "\n".join(line.strip() for line in "".join(plain).split("\n") if line.strip())
    if not styled:
        return text, None
    return text, "\n".join(line.strip() for line in "".join(markup).split("\n") if line.strip())


def _span(tag: str, open_spans: list[str]) -> str | None:
    """A WebVTT span tag rebuilt from its checked parts, or None to drop it (unknown tags, stray closings, timestamps);
    `open_spans` tracks what is open, so every closing tag matches."""
    match = _TAG.fullmatch(tag.strip())
    if match is None:
        return None
    closing, name, classes, annotation = match.groups()
    name = name.lower()
    if name not in _SPANS:
        return None
    if closing:
        if name not in open_spans:
            return None
        closed = []
        while open_spans:  # closing an outer span closes the ones inside it, as players do
            inner = open_spans.pop()
            closed.append(f"</{inner}>")
            if inner == name:
                break
        return "".join(closed)
    if len(open_spans) >= 8:
        return None  # nesting deeper than any caption needs: keep the words, drop the span
    open_spans.append(name)
    checked = {"v": _SPEAKER, "lang": _LANG_ANNOTATION}.get(name)
    note = (annotation or "").strip()
    return f"<{name}{classes} {note}>" if checked and checked.fullmatch(note) else f"<{name}{classes}>"
