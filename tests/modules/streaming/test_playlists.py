"""Playlist and thumbnail-track signing: every media URI rewritten, everything else byte-for-byte kept."""

from __future__ import annotations

import pytest

from videoforge.modules.streaming.playlists import check_relative_uri, sign_playlist, sign_vtt
from videoforge.ports.storage.sigv4 import QueryPresigner

BASE = "https://cdn.example/v/"


def fake_sign(uri: str) -> str:
    """A stand-in for a presigner that shows exactly what it was given."""
    return f"{BASE}{uri}?sig=1"


MASTER = """#EXTM3U
#EXT-X-VERSION:7
#EXT-X-INDEPENDENT-SEGMENTS
## a comment, kept
#EXT-X-MEDIA:TYPE=AUDIO,GROUP-ID="aud",NAME="English, main",LANGUAGE="en",DEFAULT=YES,URI="audio/en.m3u8"
#EXT-X-MEDIA:TYPE=CLOSED-CAPTIONS,GROUP-ID="cc",NAME="CC1",INSTREAM-ID="CC1"
#EXT-X-SESSION-KEY:METHOD=AES-128,URI="keys/session.key"
#EXT-X-STREAM-INF:BANDWIDTH=3000000,RESOLUTION=1280x720,CODECS="avc1.64001f,mp4a.40.2",AUDIO="aud"
720p/index.m3u8
#EXT-X-STREAM-INF:BANDWIDTH=800000,RESOLUTION=640x360,CODECS="avc1.64001e,mp4a.40.2",AUDIO="aud"
360p/index.m3u8
#EXT-X-I-FRAME-STREAM-INF:BANDWIDTH=90000,CODECS="avc1.64001f",URI="720p/iframes.m3u8"
"""

MEDIA = """#EXTM3U
#EXT-X-VERSION:7
#EXT-X-TARGETDURATION:4
#EXT-X-MEDIA-SEQUENCE:0
#EXT-X-PLAYLIST-TYPE:VOD
#EXT-X-MAP:URI="init.mp4"
#EXT-X-KEY:METHOD=AES-128,URI="key.bin",IV=0x00000000000000000000000000000001
#EXTINF:4.000000,
seg_00000.m4s
#EXT-X-DISCONTINUITY
#EXTINF:4.000000,title with URI= inside
seg_00001.m4s

#EXT-X-PROGRAM-DATE-TIME:2025-03-04T05:06:07.000Z
#EXTINF:2.500,
seg_00002.m4s
#EXT-X-DATERANGE:ID="ad",START-DATE="2025-03-04T05:06:07Z",X-ASSET-URI="https://ads.example/a"
#EXT-X-ENDLIST
"""

LOW_LATENCY = """#EXTM3U
#EXT-X-TARGETDURATION:4
#EXT-X-PART-INF:PART-TARGET=1.0
#EXT-X-SERVER-CONTROL:CAN-BLOCK-RELOAD=YES,PART-HOLD-BACK=3.0
#EXT-X-MAP:URI="init.mp4"
#EXT-X-PART:DURATION=1.0,URI="seg_00009.part0.m4s",INDEPENDENT=YES
#EXT-X-PART:DURATION=1.0,URI="seg_00009.part1.m4s"
#EXTINF:2.0,
seg_00009.m4s
#EXT-X-PRELOAD-HINT:TYPE=PART,URI="seg_00010.part0.m4s"
#EXT-X-RENDITION-REPORT:URI="../360p/index.m3u8",LAST-MSN=9
"""


def uri_lines(text: str) -> list[str]:
    return [line for line in text.splitlines() if line and not line.startswith("#")]


class TestSignPlaylist:
    def test_master_variants_media_and_iframe_uris_are_signed(self):
        signed = sign_playlist(MASTER, fake_sign)
        assert uri_lines(signed) == [f"{BASE}720p/index.m3u8?sig=1", f"{BASE}360p/index.m3u8?sig=1"]
        assert f'URI="{BASE}audio/en.m3u8?sig=1"' in signed
        assert f'URI="{BASE}keys/session.key?sig=1"' in signed
        assert f'#EXT-X-I-FRAME-STREAM-INF:BANDWIDTH=90000,CODECS="avc1.64001f",URI="{BASE}720p/iframes.m3u8?sig=1"' in signed
        # Attributes around the URI keep their order and quoting, commas inside quotes included.
        assert ('#EXT-X-MEDIA:TYPE=AUDIO,GROUP-ID="aud",NAME="English, main",LANGUAGE="en",DEFAULT=YES,'
                f'URI="{BASE}audio/en.m3u8?sig=1"') in signed

    def test_media_playlist_segments_map_and_key_are_signed(self):
        signed = sign_playlist(MEDIA, fake_sign)
        assert uri_lines(signed) == [f"{BASE}seg_0000{i}.m4s?sig=1" for i in range(3)]
        assert f'#EXT-X-MAP:URI="{BASE}init.mp4?sig=1"' in signed
        assert f'#EXT-X-KEY:METHOD=AES-128,URI="{BASE}key.bin?sig=1",IV=0x00000000000000000000000000000001' in signed

    def test_low_latency_parts_and_preload_hints_are_signed(self):
        seen = []
        signed = sign_playlist(LOW_LATENCY.replace("../360p", "360p"), lambda uri: seen.append(uri) or fake_sign(uri))
        assert seen == ["init.mp4", "seg_00009.part0.m4s", "seg_00009.part1.m4s", "seg_00009.m4s",
                        "seg_00010.part0.m4s", "360p/index.m3u8"]
        assert f'#EXT-X-PART:DURATION=1.0,URI="{BASE}seg_00009.part0.m4s?sig=1",INDEPENDENT=YES' in signed
        assert f'#EXT-X-PRELOAD-HINT:TYPE=PART,URI="{BASE}seg_00010.part0.m4s?sig=1"' in signed

    @pytest.mark.parametrize("text", [MASTER, MEDIA])
    def test_everything_but_uris_is_untouched(self, text):
        signed = sign_playlist(text, fake_sign)
        original, rewritten = text.split("\n"), signed.split("\n")
        assert len(original) == len(rewritten)
        for before, after in zip(original, rewritten):
            if 'URI="' in before and not before.startswith("#EXT-X-DATERANGE"):
                assert after != before and after.split('URI="')[0] == before.split('URI="')[0]
            elif before and not before.startswith("#"):
                assert after == fake_sign(before)
            else:
                assert after == before  # tags, comments, blank lines, EXTINF titles, X-ASSET-URI

    def test_crlf_line_endings_are_kept(self):
        signed = sign_playlist(MEDIA.replace("\n", "\r\n"), fake_sign)
        assert signed == sign_playlist(MEDIA, fake_sign).replace("\n", "\r\n")

    def test_uri_is_passed_as_written_and_relative(self):
        seen = []
        sign_playlist("#EXTM3U\n#EXTINF:4,\nsub/dir/seg-1_a.b~c.m4s\n", lambda u: seen.append(u) or u)
        assert seen == ["sub/dir/seg-1_a.b~c.m4s"]

    @pytest.mark.parametrize("uri", [
        "../other/seg.m4s", "a/../../b.m4s", "a/..", "..", "./seg.m4s", "a/./b", "a//b",
        "/abs/seg.m4s", "//evil.example/seg.m4s", "https://evil.example/seg.m4s", "HTTP://X/y",
        "data:application/octet-stream;base64,AAAA", "skd://key", "%2e%2e/secret", "a/%2E%2E/%2e%2e/b",
        "..%2fsecret", "a\\..\\b", "seg.m4s?x=1", "seg.m4s#t=1", "has space.m4s",
    ])
    def test_escaping_uris_are_refused(self, uri):
        for text in (f"#EXTM3U\n#EXTINF:4,\n{uri}\n", f'#EXTM3U\n#EXT-X-MAP:URI="{uri}"\n'):
            with pytest.raises(ValueError, match="URI"):
                sign_playlist(text, fake_sign)

    def test_refusal_happens_before_anything_is_signed_for_that_uri(self):
        seen = []
        with pytest.raises(ValueError):
            sign_playlist(LOW_LATENCY, lambda u: seen.append(u) or u)  # has "../360p/index.m3u8"
        assert "../360p/index.m3u8" not in seen

    @pytest.mark.parametrize("uri", ["seg.m4s", "a/b/c.m4s", "a..b.m4s", ".hidden/x", "v/%20x.m4s", "日本/x.m4s"])
    def test_ordinary_relative_uris_are_accepted(self, uri):
        assert check_relative_uri(uri) == uri

    @pytest.mark.parametrize("text", ["", "WEBVTT\n", "seg.m4s\n", "  #EXTM3U\n"])
    def test_not_a_playlist(self, text):
        with pytest.raises(ValueError, match="EXTM3U"):
            sign_playlist(text, fake_sign)

    def test_unquoted_uri_attribute_is_refused(self):
        with pytest.raises(ValueError, match="quoted"):
            sign_playlist("#EXTM3U\n#EXT-X-MAP:URI=init.mp4\n", fake_sign)

    def test_two_hour_variant_with_the_real_presigner(self):
        """1,800 segments + init: every URL is the presigner's own URL for prefix + relative URI."""
        lines = ["#EXTM3U", "#EXT-X-TARGETDURATION:4", '#EXT-X-MAP:URI="init.mp4"']
        for i in range(1800):
            lines += ["#EXTINF:4.000000,", f"seg_{i:05d}.m4s"]
        text = "\n".join(lines + ["#EXT-X-ENDLIST", ""])
        presigner = QueryPresigner("AK", "SK", region="us-east-1", endpoint_url="http://127.0.0.1:9000")
        prefix, now = "processed/vid/720p/", 1_741_064_767

        signed = sign_playlist(text, lambda uri: presigner.presign("GET", "media", prefix + uri, 3600, now=now))
        urls = uri_lines(signed)
        assert len(urls) == 1800 and len(set(urls)) == 1800
        assert urls[17] == presigner.presign("GET", "media", prefix + "seg_00017.m4s", 3600, now=now)
        assert presigner.presign("GET", "media", prefix + "init.mp4", 3600, now=now) in signed


THUMBS = """WEBVTT

NOTE sprite of 5x5 tiles, 160x90 each

1
00:00:00.000 --> 00:00:05.000
storyboard.jpg#xywh=0,0,160,90

2
00:00:05.000 --> 00:00:10.000 align:start
storyboard.jpg#xywh=160,0,160,90

00:00:10.000 --> 00:00:15.000
sprites/b.jpg
"""


class TestSignVtt:
    def test_cue_payloads_are_signed_and_fragments_kept(self):
        seen = []
        signed = sign_vtt(THUMBS, lambda u: seen.append(u) or fake_sign(u))
        assert seen == ["storyboard.jpg", "storyboard.jpg", "sprites/b.jpg"]
        assert f"{BASE}storyboard.jpg?sig=1#xywh=0,0,160,90" in signed
        assert f"{BASE}storyboard.jpg?sig=1#xywh=160,0,160,90" in signed
        assert f"{BASE}sprites/b.jpg?sig=1\n" in signed

    def test_header_notes_identifiers_and_timings_untouched(self):
        signed = sign_vtt(THUMBS, fake_sign).split("\n")
        for before, after in zip(THUMBS.split("\n"), signed):
            if before.startswith(("storyboard", "sprites")):
                assert after != before
            else:
                assert after == before

    def test_crlf_kept(self):
        assert sign_vtt(THUMBS.replace("\n", "\r\n"), fake_sign) == sign_vtt(THUMBS, fake_sign).replace("\n", "\r\n")

    @pytest.mark.parametrize("payload", ["../secret.jpg#xywh=0,0,1,1", "/etc/passwd#xywh=0,0,1,1",
                                         "https://evil.example/a.jpg#xywh=0,0,1,1", "#xywh=0,0,1,1"])
    def test_escaping_payloads_are_refused(self, payload):
        with pytest.raises(ValueError, match="URI"):
            sign_vtt(f"WEBVTT\n\n00:00:00.000 --> 00:00:05.000\n{payload}\n", fake_sign)

    def test_not_a_vtt(self):
        with pytest.raises(ValueError, match="WEBVTT"):
            sign_vtt("#EXTM3U\n", fake_sign)
