"""Rung planning: sizes, order, frame rate caps, bitrates and H.264 levels."""

from fractions import Fraction

import pytest

from videoforge.modules.processor.ladder import capped_fps, h264_level, plan_ladder, video_kbps
from videoforge.modules.processor.probe import SourceInfo


def source(width, height, fps=30.0):
    return SourceInfo(width=width, height=height, rotation=0, fps=fps, duration=10.0, has_audio=True,
                      video_codec="h264", audio_codec="aac", format_name="mp4", bit_rate=None)


@pytest.mark.parametrize("width, height, expected", [
    (1920, 1080, [("360p", 640, 360), ("480p", 854, 480), ("720p", 1280, 720), ("1080p", 1920, 1080)]),
    (3840, 2160, [("360p", 640, 360), ("480p", 854, 480), ("720p", 1280, 720), ("1080p", 1920, 1080)]),
    (1280, 720, [("360p", 640, 360), ("480p", 854, 480), ("720p", 1280, 720)]),
    (1000, 562, [("360p", 640, 360), ("480p", 854, 480)]),  # never upscaled to 720p
    (1080, 1920, [("360p", 360, 640), ("480p", 480, 854), ("720p", 720, 1280), ("1080p", 1080, 1920)]),
    (720, 1280, [("360p", 360, 640), ("480p", 480, 854), ("720p", 720, 1280)]),
    (641, 361, [("360p", 640, 360)]),  # odd source: even output
    (320, 180, [("180p", 320, 180)]),  # below every rung: one rung at its own size
    (321, 241, [("240p", 320, 240)]),
    (1440, 1080, [("360p", 480, 360), ("480p", 640, 480), ("720p", 960, 720), ("1080p", 1440, 1080)]),
    (1080, 1080, [("360p", 360, 360), ("480p", 480, 480), ("720p", 720, 720), ("1080p", 1080, 1080)]),
])
def test_rungs_follow_the_short_side_keep_aspect_and_never_upscale(width, height, expected):
    rungs = plan_ladder(source(width, height))
    assert [(r.name, r.width, r.height) for r in rungs] == expected
    for rung in rungs:
        assert rung.width % 2 == 0 and rung.height % 2 == 0
        assert rung.width <= width and rung.height <= height
        assert abs(rung.width / rung.height - width / height) < 0.01


def test_configured_heights_are_sorted_lowest_first_and_filtered():
    rungs = plan_ladder(source(1920, 1080), heights=(720, 240, 1440))
    assert [r.name for r in rungs] == ["240p", "720p"]


@pytest.mark.parametrize("fps, expected", [
    (30, Fraction(30)), (29.97002997, Fraction(30000, 1001)), (60, Fraction(60)),
    (59.94005994, Fraction(60000, 1001)), (120, Fraction(60)), (100, Fraction(50)),
    (144, Fraction(48)), (240, Fraction(60)), (24, Fraction(24)), (0, Fraction(30)),
])
def test_frame_rate_is_capped_at_60_by_whole_divisors(fps, expected):
    assert capped_fps(fps) == expected
    assert all(r.fps == expected for r in plan_ladder(source(1280, 720, fps)))


def test_bitrates_match_the_measured_table_at_30_fps_and_grow_with_size_and_rate():
    rungs = {r.name: r for r in plan_ladder(source(1920, 1080))}
    assert [rungs[n].video_kbps for n in ("1080p", "720p", "480p", "360p")] == [6200, 3000, 1470, 1040]
    assert rungs["720p"].maxrate_kbps == 3000 and rungs["720p"].bufsize_kbps == 6000
    at_60 = {r.name: r for r in plan_ladder(source(1920, 1080, 60))}
    assert 1.3 < at_60["1080p"].video_kbps / 6200 < 1.7
    square = {r.name: r for r in plan_ladder(source(1080, 1080))}
    assert 3000 < square["1080p"].video_kbps < 6200
    assert video_kbps(320 * 180, 30) < 1040


@pytest.mark.parametrize("width, height, fps, kbps, level", [
    (640, 360, 30, 1040, "3.0"), (1280, 720, 30, 3000, "3.1"), (1920, 1080, 30, 6200, "4.0"),
    (1920, 1080, 60, 9400, "4.2"), (1280, 720, 60, 4600, "3.2"), (3840, 2160, 30, 20000, "5.1"),
])
def test_h264_level_is_the_smallest_that_fits(width, height, fps, kbps, level):
    assert h264_level(width, height, fps, kbps) == level


def test_codecs_string_names_high_profile_and_level():
    rungs = {r.name: r for r in plan_ladder(source(1920, 1080))}
    assert rungs["1080p"].codecs_video == "avc1.640028"
    assert rungs["720p"].codecs_video == "avc1.64001f"


def test_bad_heights_are_refused():
    with pytest.raises(ValueError, match="ladder heights"):
        plan_ladder(source(1920, 1080), heights=())
