"""Poster and storyboard from real clips: a lit frame, a sprite of the right size, cues covering the video."""

from __future__ import annotations

import re
import subprocess

import pytest

from tests.media import make_clip, mean_luma, video_stream
from videoforge.modules.processor.artwork import make_poster, make_storyboard, storyboard_vtt
from videoforge.modules.processor.probe import probe

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def dark_opening(tmp_path_factory):
    """7 s whose first 1.5 s are black, as many uploads open."""
    clip = make_clip(tmp_path_factory.mktemp("art") / "clip.mp4", 320, 180, seconds=7, black_lead=1.5)
    return clip, probe(clip)


def test_poster_is_a_lit_frame_not_the_black_opening(dark_opening, tmp_path):
    clip, source = dark_opening
    first = tmp_path / "first.jpg"
    subprocess.run(["ffmpeg", "-v", "error", "-i", str(clip), "-frames:v", "1", str(first)], check=True)
    assert mean_luma(first) < 20  # the test clip really opens on black
    poster = make_poster(clip, source, tmp_path / "poster.jpg")
    assert mean_luma(poster) > 60
    stream = video_stream(poster)
    assert (stream["width"], stream["height"]) == (320, 180)


def test_storyboard_sprite_and_cues_cover_the_duration(dark_opening, tmp_path):
    clip, source = dark_opening
    sprite, vtt = make_storyboard(clip, source, tmp_path, interval=2, tile_width=80)
    text = vtt.read_text()
    assert text.startswith("WEBVTT\n")
    cues = re.findall(r"(\d\d:\d\d:\d\d\.\d{3}) --> (\d\d:\d\d:\d\d\.\d{3})\n(\S+)", text)
    assert [c[:2] for c in cues] == [
        ("00:00:00.000", "00:00:02.000"), ("00:00:02.000", "00:00:04.000"),
        ("00:00:04.000", "00:00:06.000"), ("00:00:06.000", "00:00:07.000"),
    ]
    assert cues[1][2] == "storyboard.jpg#xywh=80,0,80,44"
    stream = video_stream(sprite)
    assert (stream["width"], stream["height"]) == (4 * 80, 44)


def test_storyboard_from_keyframes_only(dark_opening, tmp_path):
    clip, source = dark_opening  # the test clip has a keyframe every second
    sprite, vtt = make_storyboard(clip, source, tmp_path, keyframes_only=True)
    assert vtt.read_text().count("storyboard.jpg#xywh=") == 4  # 7 s at the 2 s default interval
    assert mean_luma(sprite) > 30
    stream = video_stream(sprite)
    assert (stream["width"], stream["height"]) == (4 * 160, 90)


def test_vtt_for_long_video_wraps_rows_and_uses_hours():
    text = storyboard_vtt("sb.jpg", duration=3 * 3600 + 5, interval=120, count=91, columns=10, width=160, height=90)
    assert "02:58:00.000 --> 03:00:00.000\nsb.jpg#xywh=1440,720,160,90" in text
    assert text.rstrip().endswith("03:00:00.000 --> 03:00:05.000\nsb.jpg#xywh=0,810,160,90")


def test_portrait_poster_keeps_its_shape(tmp_path):
    clip = make_clip(tmp_path / "tall.mp4", 180, 320, seconds=1, audio=False)
    poster = make_poster(clip, probe(clip), tmp_path / "poster.jpg")
    stream = video_stream(poster)
    assert (stream["width"], stream["height"]) == (180, 320)


def test_storyboard_of_a_single_gop_clip_falls_back_to_a_full_decode(tmp_path):
    # One 2 s GOP holds a single keyframe: too few for the fps filter, so the keyframes-only pass writes nothing.
    clip = make_clip(tmp_path / "short.mp4", seconds=2, audio=False)
    rung = tmp_path / "rung"
    rung.mkdir()
    subprocess.run(["ffmpeg", "-v", "error", "-y", "-i", str(clip), "-c:v", "libx264", "-preset", "ultrafast",
                    "-g", "60", "-keyint_min", "60", "-sc_threshold", "0", "-f", "hls", "-hls_time", "2",
                    "-hls_segment_type", "fmp4", "-hls_playlist_type", "vod", str(rung / "index.m3u8")], check=True)
    sprite, vtt = make_storyboard(rung / "index.m3u8", probe(clip), tmp_path / "board", keyframes_only=True)
    assert sprite.is_file() and sprite.stat().st_size > 0
    assert "storyboard.jpg#xywh=0,0," in vtt.read_text()
