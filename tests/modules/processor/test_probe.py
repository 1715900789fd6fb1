"""Preflight: what ffprobe says about real generated clips, and the human reasons for refusing one."""

import pytest

from tests.media import make_audio_only, make_clip, make_text_file, make_truncated
from videoforge.modules.processor.probe import UnplayableSource, probe, source_info


@pytest.fixture(scope="module")
def clips(tmp_path_factory):
    d = tmp_path_factory.mktemp("probe")
    return {
        "landscape": make_clip(d / "landscape.mp4", 320, 180, seconds=2),
        "portrait": make_clip(d / "portrait.mp4", 180, 320, seconds=1),
        "silent": make_clip(d / "silent.mp4", 320, 180, seconds=1, audio=False),
        "odd": make_clip(d / "odd.mp4", 321, 181, seconds=1, pix_fmt="yuv444p"),
        "fast": make_clip(d / "fast.mp4", 320, 180, seconds=1, fps=60),
        "uhd": make_clip(d / "uhd.mp4", 3840, 2160, seconds=0.2, audio=False),
        "rotated": make_clip(d / "rotated.mp4", 320, 180, seconds=1, rotate=90),
        "sliver": make_clip(d / "sliver.mp4", 2000, 16, seconds=0.2, audio=False),
        "audio_only": make_audio_only(d / "tone.m4a", seconds=1),
        "text": make_text_file(d / "list.mp4"),
    }


def test_landscape_clip(clips):
    info = probe(clips["landscape"])
    assert (info.width, info.height, info.rotation) == (320, 180, 0)
    assert info.fps == 30 and info.duration == pytest.approx(2.0, abs=0.1)
    assert info.has_audio and info.video_codec == "h264" and info.audio_codec == "aac"
    assert "mp4" in info.format_name and info.bit_rate > 0


@pytest.mark.parametrize("name, size, audio, fps", [
    ("portrait", (180, 320), True, 30),
    ("silent", (320, 180), False, 30),
    ("odd", (321, 181), True, 30),
    ("fast", (320, 180), True, 60),
    ("uhd", (3840, 2160), False, 30),
])
def test_generated_clips(clips, name, size, audio, fps):
    info = probe(clips[name])
    assert (info.width, info.height) == size
    assert info.has_audio is audio
    assert info.fps == fps


def test_rotation_swaps_displayed_dimensions(clips):
    info = probe(clips["rotated"])
    assert info.rotation in (90, 270)
    assert (info.width, info.height) == (180, 320) and info.portrait


@pytest.mark.parametrize("name, reason", [
    ("text", "not a video file"),
    ("audio_only", "no video stream"),
    ("sliver", "dimensions 2000x16 are not supported"),
])
def test_unplayable_files_are_refused_with_a_reason(clips, name, reason):
    with pytest.raises(UnplayableSource, match=reason) as caught:
        probe(clips[name])
    assert caught.value.permanent


def test_truncated_upload_is_named_as_such(clips, tmp_path):
    cut = make_truncated(clips["landscape"], tmp_path / "cut.mp4")
    with pytest.raises(UnplayableSource, match="truncated"):
        probe(cut)


def test_empty_and_missing_files(tmp_path):
    (tmp_path / "empty.mp4").write_bytes(b"")
    with pytest.raises(UnplayableSource, match="empty"):
        probe(tmp_path / "empty.mp4")
    with pytest.raises(UnplayableSource, match="missing"):
        probe(tmp_path / "nothing.mp4")


def test_limits_are_parameters(clips):
    with pytest.raises(UnplayableSource, match=r"longer than the 1.5 s limit \(2 s\)"):
        probe(clips["landscape"], max_duration=1.5)
    with pytest.raises(UnplayableSource, match="dimensions 3840x2160 are not supported"):
        probe(clips["uhd"], max_pixels=1920 * 1080)


def report(video=None, audio=False, duration="10.0", fmt="mov,mp4,m4a,3gp,3g2,mj2"):
    streams = [dict({"codec_type": "video", "codec_name": "h264", "width": 1920, "height": 1080,
                     "avg_frame_rate": "30/1"}, **(video or {}))]
    if audio:
        streams.append({"codec_type": "audio", "codec_name": "aac"})
    return {"streams": streams, "format": {"format_name": fmt, "duration": duration}}


@pytest.mark.parametrize("rep, reason", [
    (report(duration="0.000000"), "zero duration"),
    (report(duration="N/A"), "zero duration"),
    (report(duration=str(5 * 3600)), r"longer than the 4 h limit \(5 h\)"),
    (report({"width": 40000, "height": 2}), "dimensions 40000x2 are not supported"),
    (report({"width": 0, "height": 0}), "no picture size"),
    (report(fmt="png_pipe"), "still image"),
    ({"streams": [{"codec_type": "video", "disposition": {"attached_pic": 1}, "width": 600, "height": 600},
                  {"codec_type": "audio", "codec_name": "mp3"}], "format": {"duration": "3"}},
     "no video stream"),
])
def test_preflight_rules(rep, reason):
    with pytest.raises(UnplayableSource, match=reason):
        source_info(rep)


def test_anamorphic_pixels_and_phone_rotation_tags():
    dvd = source_info(report({"width": 720, "height": 576, "sample_aspect_ratio": "16:15"}))
    assert (dvd.width, dvd.height) == (768, 576)
    phone = source_info(report({"tags": {"rotate": "90"}, "avg_frame_rate": "0/0", "r_frame_rate": "30000/1001"}))
    assert (phone.width, phone.height, phone.rotation) == (1080, 1920, 90)
    assert phone.fps == pytest.approx(29.97, abs=0.01)
