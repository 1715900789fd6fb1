"""Reading uploaded captions (WebVTT and SRT, told apart by content), refusing broken files with the line at fault,
and writing them back as WebVTT with nothing of the upload passed through but its cues."""

from __future__ import annotations

import re

import pytest

from videoforge.languages import canonical_tag, own_name
from videoforge.webvtt import HLS_TIMESTAMP_MAP, CaptionFileError, Cue, parse_captions, write

VTT = """WEBVTT - two speakers
Kind: captions
X-TIMESTAMP-MAP=MPEGTS:900000,LOCAL:00:00:00.000

STYLE
::cue { background: url(https://evil.example/x.png) }

REGION
id:fred width:40%

NOTE a comment
spanning lines

intro
00:00:01.000 --> 00:00:02.500 align:start line:0 region:fred
<v.loud Ann>Hello</v> <i>world</i>

00:01:00.000 --> 01:00:02.000
Two &amp; more
lines
"""

SRT = """1
00:00:01,000 --> 00:00:02,000
<i>Bonjour</i> & {\\an8}salut

2
00:00:03,5 --> 00:00:04,250 X1:10 X2:20 Y1:5 Y2:9
Au revoir
"""


def refusal(data: bytes, filename: str = "subs.vtt", **limits) -> CaptionFileError:
    with pytest.raises(CaptionFileError) as caught:
        parse_captions(data, filename, **limits)
    return caught.value


# --- reading ---------------------------------------------------------------------------------------------------------

def test_webvtt_cues_come_out_without_header_blocks_identifiers_or_settings():
    cues = parse_captions(VTT.encode(), "subs.vtt")
    assert [(c.start, c.end, c.text) for c in cues] == [(1.0, 2.5, "Hello world"), (60.0, 3602.0, "Two & more\nlines")]
    assert cues[0].markup == "<v.loud Ann>Hello</v> <i>world</i>"
    written = write(cues)
    for gone in ("STYLE", "evil.example", "REGION", "NOTE", "intro", "align:", "region:", "MPEGTS:900000", "Kind:"):
        assert gone not in written


def test_srt_is_converted_and_recognised_by_content_whatever_its_name():
    for name in ("subs.srt", "subs.vtt", "subs.txt", ""):
        cues = parse_captions(SRT.encode(), name)
        assert [(c.start, c.end, c.text) for c in cues] == [(1.0, 2.0, "Bonjour & salut"), (3.5, 4.25, "Au revoir")]
    assert cues[0].markup == "<i>Bonjour</i> &amp; salut"  # SRT's "&" is literal; its position code is dropped
    assert parse_captions(VTT.encode(), "subs.srt")[0].text == "Hello world"  # WebVTT named .srt is WebVTT


def test_an_srt_without_cue_numbers_and_with_windows_line_ends_is_read():
    body = "00:00:01,000 --> 00:00:02,000\r\nOne\r\n\r\n00:00:03,000 --> 00:00:04,000\r\nTwo\r\n"
    assert [c.text for c in parse_captions(body.encode(), "x.srt")] == ["One", "Two"]


@pytest.mark.parametrize("encode", [
    lambda text: b"\xef\xbb\xbf" + text.encode(),
    lambda text: text.encode("utf-16"),  # with its BOM, either byte order
    lambda text: b"\xfe\xff" + text.encode("utf-16-be"),
])
def test_a_utf8_bom_and_utf16_with_a_bom_are_read(encode):
    text = VTT.replace("Hello", "Héllo 日本")
    assert parse_captions(encode(text), "subs.vtt")[0].text == "Héllo 日本 world"
    assert parse_captions(encode(SRT), "subs.srt")[1].text == "Au revoir"


def test_empty_cues_are_dropped_and_order_is_the_writers_job():
    body = b"WEBVTT\n\n00:00:05.000 --> 00:00:06.000\nlater\n\n00:00:01.000 --> 00:00:02.000\n\n" \
           b"00:00:03.000 --> 00:00:04.000\nsooner\n"
    cues = parse_captions(body, "x.vtt")
    assert [c.text for c in cues] == ["later", "sooner"]
    assert write(cues).index("sooner") < write(cues).index("later")


# --- refusing, with the line -----------------------------------------------------------------------------------------

@pytest.mark.parametrize("body, line, words", [
    (b"WEBVTT\n\n00:00:02.000 --> 00:00:01.000\nbackwards\n", 3, "before it starts"),
    (b"WEBVTT\n\n00:00:01.000 --> 00:00:01.000\nzero length\n", 3, "before it starts"),
    (b"1\n00:00:01,000 --> 00:00:02,000\nok\n\n2\n00:00:05,000 --> 00:00:04,000\nbackwards\n", 6, "before it starts"),
    (b"WEBVTT\n\n00:00:01.000 -> 00:00:02.000\nx\n", 3, "timing line"),
    (b"1\n00:00:01,000 --> 00:00:02,000\nok\n\n2\n00:00:03,000 -> 00:00:04,000\nx\n", 6, "timing line"),
    (b"WEBVTT\n\n00:00:01.000 --> 00:00:02\nx\n", 3, "malformed timing"),
    (b"WEBVTT\n\n00:00:01.000 --> 00:61:02.000\nx\n", 3, "out of range"),
    (b"WEBVTT\n\n00:00:01.000 --> 25:00:00.000\nx\n", 3, "24 hours"),
    (b"WEBVTT\n\n00:00:01.000 --> 99999999999999:00:00.000\nx\n", 3, "out of range"),
    (b"WEBVTT\n\n00:00:01.000 --> 00:00:02.000\none\n00:00:03.000 --> 00:00:04.000\ntwo\n", 5, "blank line"),
    (b"WEBVTT\n\nspeaker\nnot a timing\n", 4, "timing line"),
    (b"WEBVTT\n\n00:00:01.000 --> 00:00:02.000\nbell\x07\n", 4, "U+0007"),
    (b"WEBVTT\n\n00:00:01.000 --> 00:00:02.000\nc1 \xc2\x85 control\n", 4, "U+0085"),
    ("WEBVTT\n\n00:00:01.000 --> 00:00:02.000\ncafé\n".encode("cp1252"), 4, "not UTF-8"),
    (b"WEBVTT\n\n00:00:01.000 --> 00:00:02.000\nx\x00y\n", 4, "binary"),
    (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", 3, "binary"),
    ("WEBVTT\n\n00:00:01.000 --> 00:00:02.000\nx\n".encode("utf-16-le"), 1, "UTF-16 without a byte-order mark"),
    (b"Hello there\nthis is prose\n", 1, "not a caption file (though it is named .vtt)"),
    (b"\n\n  \nWEBVTT\n", 4, "not a caption file"),
])
def test_broken_files_name_the_line(body, line, words):
    error = refusal(body)
    assert error.line == line, str(error)
    assert words in error.message
    assert str(error).startswith(f"Line {line}: ")


def test_a_utf32_file_an_empty_file_and_one_without_cues_are_refused_naming_why():
    assert "UTF-32" in str(refusal("WEBVTT\n".encode("utf-32")))
    assert str(refusal(b"")) == "The file is empty."
    assert str(refusal(b"WEBVTT\n\nNOTE nothing else\n")) == "The file holds no cues."
    assert str(refusal(b"WEBVTT\n\n00:00:01.000 --> 00:00:02.000\n\n")) == "The file holds no cues."


def test_size_cue_count_and_text_length_limits():
    big = refusal(b"WEBVTT\n\n" + b"x" * (3 * 1024 * 1024))
    assert big.line is None and "3.0 MiB" in big.message and "at most 2 MiB" in big.message
    cues = b"".join(b"00:00:%02d.000 --> 00:00:%02d.500\nword\n\n" % (n, n) for n in range(6))
    assert len(parse_captions(b"WEBVTT\n\n" + cues, max_cues=6)) == 6
    many = refusal(b"WEBVTT\n\n" + cues, max_cues=5)
    assert many.line == 18 and "more than 5 cues" in many.message
    long = refusal(b"WEBVTT\n\n00:00:01.000 --> 00:00:02.000\n" + b"a" * 1001 + b"\n")
    assert long.line == 3 and "1,001 characters" in long.message


def test_twenty_thousand_cues_are_read():
    body = b"WEBVTT\n\n" + b"".join(b"%02d:%02d:%02d.000 --> %02d:%02d:%02d.500\nwords %d\n\n"
                                    % (n // 3600, n // 60 % 60, n % 60, n // 3600, n // 60 % 60, n % 60, n)
                                    for n in range(20_000))
    assert len(parse_captions(body)) == 20_000


# --- cue text: harmless markup ---------------------------------------------------------------------------------------

@pytest.mark.parametrize("raw, text, markup", [
    ("<b>bold</b> <u>under</u> <c.yellow.bg_blue>class</c>", "bold under class",
     "<b>bold</b> <u>under</u> <c.yellow.bg_blue>class</c>"),
    ("<script>alert(1)</script>", "alert(1)", None),
    ('<img src=x onerror="alert(1)">pic', "pic", None),
    ('<a href="javascript:alert(1)">link</a>', "link", None),
    ('<font color="#ff0000">red</font>', "red", None),
    ('<i onclick="x()">attr</i>', "attr", "<i>attr</i>"),  # the span stays, its "annotation" does not
    ("<i>never closed", "never closed", "<i>never closed</i>"),
    ("stray </b> close", "stray  close", None),
    ("<b><i>crossed</b></i>", "crossed", "<b><i>crossed</i></b>"),
    ("1 < 2 && 3 > 2", "1 < 2 && 3 > 2", None),
    ("&lt;b&gt;not a tag&lt;/b&gt; &nbsp;&lrm;&#x41;", "<b>not a tag</b> \xa0\u200eA", None),
    ("<v Ann \"the\" <x>>Hi</v>", '<v Ann "the" >Hi', None),  # no tag holds "<": text, escaped
    ('<v Ann>Hi</v> <lang en-GB>colour</lang> <lang bad"tag>x</lang>', "Hi colour x",
     "<v Ann>Hi</v> <lang en-GB>colour</lang> <lang>x</lang>"),
    ("<ruby>漢<rt>kan</rt></ruby> <00:00:01.500>karaoke", "漢kan karaoke", "<ruby>漢<rt>kan</rt></ruby> karaoke"),
])
def test_cue_markup_keeps_only_webvtt_spans_and_escapes_the_rest(raw, text, markup):
    body = f"WEBVTT\n\n00:00:01.000 --> 00:00:02.000\n{raw}\n".encode()
    cue = parse_captions(body)[0]
    assert (cue.text, cue.markup) == (text, markup)
    written = write([cue])
    payload = written.split("\n", 3)[3]
    # Every tag left is a WebVTT span with classes, or a speaker or language annotation: no attribute, no URL.
    for tag in re.findall(r"<[^>]*>", payload):
        assert re.fullmatch(r"</?(c|i|b|u|ruby|rt|v|lang)(\.[\w-]+)*( [^<>&\"=]+)?>", tag), tag
    assert parse_captions(written.encode())[0].text == text  # what we write reads back as the same words


def test_write_escapes_plain_text_and_carries_the_hls_timestamp_map():
    written = write([Cue(1, 2, "a <b> & c --> d\n\nsecond")], HLS_TIMESTAMP_MAP)
    assert written == ("WEBVTT\nX-TIMESTAMP-MAP=MPEGTS:0,LOCAL:00:00:00.000\n\n"
                       "00:00:01.000 --> 00:00:02.000\na &lt;b&gt; &amp; c --&gt; d\nsecond\n")
    assert parse_captions(written.encode())[0].text == "a <b> & c --> d\nsecond"
    assert write([Cue(0, 1, "x")]).startswith("WEBVTT\n\n00:00:00.000")


# --- language tags ---------------------------------------------------------------------------------------------------

@pytest.mark.parametrize("tag, canonical", [
    ("en", "en"), ("EN", "en"), ("pt-br", "pt-BR"), ("zh-hant", "zh-Hant"), ("ZH-HANT-tw", "zh-Hant-TW"),
    ("es-419", "es-419"), ("yue", "yue"), ("sr-Latn-RS", "sr-Latn-RS"),
    ("", None), ("e", None), ("english", None), ("x-klingon", None), ("en-US-u-ca-gregory", None), ("en_US", None),
    ("en-", None), ("i-default", None), ('en"', None), ("en-US\n", None), ("de-1996", None),
])
def test_language_tags_are_strict_and_canonical(tag, canonical):
    assert canonical_tag(tag) == canonical


def test_labels_default_to_the_languages_own_name():
    assert [own_name(t) for t in ("fr", "pt-BR", "pt-AO", "zh-Hant-TW", "en-US", "tlh")] == [
        "Français", "Português (Brasil)", "Português", "中文 (繁體)", "English (US)", "tlh"]
