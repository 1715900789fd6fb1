"""HDR sources (PQ, HLG) come out as SDR BT.709 in every rung and the poster, not washed out; SDR is untouched."""

from __future__ import annotations

import pytest

from tests.media import make_clip, make_hdr_clip, saturation, video_stream
from videoforge.modules.processor.artwork import make_poster
from videoforge.modules.processor.colour import to_sdr
from videoforge.modules.processor.encode import build_ladder_command, transcode_ladder
from videoforge.modules.processor.ladder import plan_ladder
from videoforge.modules.processor.probe import probe

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def sdr_saturation(tmp_path_factory):
    """How saturated the test pattern is in plain SDR: what a right mapping gets close to."""
    clip = make_clip(tmp_path_factory.mktemp("sdr") / "sdr.mp4", 320, 180, seconds=2, audio=False)
    return saturation(clip)


@pytest.mark.parametrize("transfer", ["smpte2084", "arib-std-b67"])
def test_an_hdr_source_is_tone_mapped_in_every_rung(tmp_path, transfer, sdr_saturation):
    clip = make_hdr_clip(tmp_path / "hdr.mp4", 320, 180, transfer=transfer)
    source = probe(clip)
    assert source.hdr and source.transfer == transfer and source.primaries == "bt2020"
    rungs = plan_ladder(source, heights=(180, 144))
    transcode_ladder(clip, tmp_path / "out", source, rungs)
    for rung in rungs:
        playlist = tmp_path / "out" / rung.name / "index.m3u8"
        stream = video_stream(playlist)
        assert (stream["pix_fmt"], stream.get("color_transfer"), stream.get("color_primaries")) == (
            "yuv420p", "bt709", "bt709")
        assert saturation(playlist) > 0.7 * sdr_saturation
    # What the mapping prevents: the same picture merely converted to 8 bits is grey.
    assert saturation(clip, "format=yuv420p") < 0.4 * sdr_saturation


def test_an_hdr_poster_is_tone_mapped_too(tmp_path, sdr_saturation):
    clip = make_hdr_clip(tmp_path / "hdr.mp4", 320, 180)
    poster = make_poster(clip, probe(clip), tmp_path / "poster.jpg")
    assert saturation(poster) > 0.7 * sdr_saturation


def test_sdr_sources_get_no_colour_conversion(tmp_path):
    clip = make_clip(tmp_path / "sdr.mp4", 320, 180, seconds=1, audio=False)
    source = probe(clip)
    assert not source.hdr and source.to_sdr() == []
    cmd = build_ladder_command(clip, tmp_path / "out", source, plan_ladder(source))
    assert "zscale" not in cmd[cmd.index("-filter_complex") + 1] and "-color_trc" not in cmd


def test_the_mapping_spells_out_the_source_colour_files_leave_unset():
    first = to_sdr("arib-std-b67")[0]
    assert "tin=arib-std-b67" in first and "min=2020_ncl" in first and "pin=2020" in first and "rin=limited" in first
    assert "rin=full" in to_sdr("smpte2084", "bt2020", "bt2020nc", full_range=True)[0]
    assert to_sdr("bt709") == [] and to_sdr(None) == []
