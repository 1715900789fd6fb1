"""The ingest allow-list: playlists, manifests and file lists are refused before they can open anything, real
containers still go through, and every later ffmpeg call pins the probed demuxer and reads local files only."""

from __future__ import annotations

import json
import os
import subprocess
import time
from pathlib import Path

import pytest

from tests.hostile import HOSTILE, hls_playlist
from tests.media import make_clip
from videoforge.modules.processor import artwork
from videoforge.modules.processor.artwork import make_poster, make_storyboard
from videoforge.modules.processor.encode import build_ladder_command, transcode_ladder
from videoforge.modules.processor.inputs import FORMAT_WHITELIST, NotAllowed, demuxer_of, ladder_input
from videoforge.modules.processor.ladder import plan_ladder
from videoforge.modules.processor.probe import UnplayableSource, probe


@pytest.fixture(scope="module")
def secret(tmp_path_factory) -> Path:
    """Someone else's video on the worker's disk."""
    return make_clip(tmp_path_factory.mktemp("victim") / "source.mp4", 320, 180, seconds=1)


@pytest.mark.parametrize("kind", sorted(HOSTILE))
def test_hostile_kinds_are_refused_before_opening_what_they_name(kind, tmp_path):
    # The target is a FIFO with no writer: opening it would block, so a prober that followed the list would
    # run into the timeout instead of refusing at once.
    trap = tmp_path / "trap"
    os.mkfifo(trap)
    make, _name, _type = HOSTILE[kind]
    source = tmp_path / "source"
    source.write_bytes(make([str(trap)]))
    started = time.monotonic()
    with pytest.raises(UnplayableSource, match=r"^not a video file \(its format, \w+, is not accepted\)$") as caught:
        probe(source, timeout=10)
    assert time.monotonic() - started < 5
    assert caught.value.permanent and str(tmp_path) not in caught.value.reason


def test_without_the_allow_list_a_playlist_plays_someone_elses_file(secret, tmp_path):
    """The attack is real: a plain ffprobe reads the playlist's target as the upload's own picture."""
    source = tmp_path / "source"
    source.write_bytes(hls_playlist([str(secret)]))
    done = subprocess.run(["ffprobe", "-v", "error", "-print_format", "json", "-show_format", "-show_streams",
                           str(source)], capture_output=True, text=True)
    report = json.loads(done.stdout)
    assert report["format"]["format_name"] == "hls"
    assert {(s.get("width"), s.get("height")) for s in report["streams"] if s["codec_type"] == "video"} == {(320, 180)}


@pytest.mark.parametrize("name, reason", [
    ("still.png", "a still image, not a video"),
    ("raw.h264", r"not a video file \(its format, h264, is not accepted\)"),
    ("windows.wmv", r"not a video file \(its format, asf, is not accepted\)"),
])
def test_other_formats_outside_the_list_are_refused(tmp_path, name, reason):
    made = tmp_path / name
    subprocess.run(["ffmpeg", "-v", "error", "-f", "lavfi", "-i", "testsrc2=s=160x90:r=10:d=1",
                    *(["-frames:v", "1"] if name.endswith(".png") else []), str(made)], check=True)
    source = tmp_path / "source"  # the worker's name: no extension to guess from
    made.rename(source)
    with pytest.raises(UnplayableSource, match=reason):
        probe(source)


CONTAINERS = {
    "mp4": (["-c:v", "libx264", "-c:a", "aac"], "mov"),
    "mov": (["-c:v", "libx264", "-c:a", "aac"], "mov"),
    "3gp": (["-c:v", "libx264", "-c:a", "aac"], "mov"),
    "mkv": (["-c:v", "libx264", "-c:a", "aac"], "matroska"),
    "webm": (["-c:v", "libvpx", "-deadline", "realtime", "-c:a", "libopus"], "matroska"),
    "avi": (["-c:v", "mpeg4", "-c:a", "mp3"], "avi"),
    "ts": (["-c:v", "libx264", "-c:a", "aac"], "mpegts"),
    "mpg": (["-c:v", "mpeg2video", "-c:a", "mp2"], "mpeg"),
    "ogv": (["-c:v", "libtheora", "-c:a", "libvorbis"], "ogg"),
    "flv": (["-c:v", "libx264", "-c:a", "aac"], "flv"),
}


@pytest.mark.slow
@pytest.mark.parametrize("extension", sorted(CONTAINERS))
def test_real_containers_are_accepted_and_transcode_with_their_demuxer_pinned(extension, tmp_path):
    codecs, demuxer = CONTAINERS[extension]
    made = tmp_path / f"clip.{extension}"
    subprocess.run(["ffmpeg", "-v", "error", "-f", "lavfi", "-i", "testsrc2=s=160x90:r=25:d=1", "-f", "lavfi",
                    "-i", "sine=d=1:sample_rate=48000", "-shortest", *codecs, str(made)], check=True)
    source = made.rename(tmp_path / "source")
    info = probe(source)
    assert demuxer_of(info.format_name) == demuxer
    rungs = plan_ladder(info, heights=(90,))
    transcode_ladder(source, tmp_path / "out", info, rungs)
    assert (tmp_path / "out" / rungs[0].name / "index.m3u8").read_text().rstrip().endswith("#EXT-X-ENDLIST")


def test_demuxer_names_match_whole_pieces_only():
    assert demuxer_of("mov,mp4,m4a,3gp,3g2,mj2") == "mov" and demuxer_of("mp4") == "mov"
    assert demuxer_of("matroska,webm") == "matroska" and demuxer_of("mpegts") == "mpegts"
    for refused in ("hls", "dash", "concat", "webm_dash_manifest", "mpegtsraw", "mpegvideo", "image2", "lavfi", ""):
        with pytest.raises(NotAllowed):
            demuxer_of(refused)


def input_options(cmd: list[str]) -> dict[str, str]:
    """How a command opens its input: -f and the two whitelists given before `-i`, and the input under "-i"."""
    at = cmd.index("-i")
    found = {cmd[i]: cmd[i + 1] for i in range(at) if cmd[i] in ("-f", "-protocol_whitelist", "-format_whitelist")}
    return {**found, "-i": cmd[at + 1]}


def test_the_ladder_reads_the_source_with_its_demuxer_pinned(secret, tmp_path):
    info = probe(secret)
    cmd = build_ladder_command(secret, tmp_path, info, plan_ladder(info))
    assert cmd.count("-i") == 1
    options = input_options(cmd)
    assert options["-f"] == "mov" and options["-protocol_whitelist"] == "file"
    assert options["-format_whitelist"] == FORMAT_WHITELIST and options["-i"] == f"file:{secret}"


@pytest.fixture
def ffmpeg_calls(monkeypatch):
    """Every artwork ffmpeg argv, while the real ffmpeg still runs."""
    calls = []
    real = artwork.run

    def recording(cmd, *args, **kwargs):
        calls.append(list(cmd))
        return real(cmd, *args, **kwargs)

    monkeypatch.setattr(artwork, "run", recording)
    return calls


@pytest.mark.slow
def test_poster_and_storyboard_pin_their_inputs(secret, tmp_path, ffmpeg_calls):
    info = probe(secret)
    make_poster(secret, info, tmp_path / "poster.jpg")
    make_storyboard(secret, info, tmp_path / "board")
    rungs = plan_ladder(info, heights=(180,))
    transcode_ladder(secret, tmp_path / "hls", info, rungs)
    make_storyboard(tmp_path / "hls" / "180p" / "index.m3u8", info, tmp_path / "board2", keyframes_only=True)
    assert len(ffmpeg_calls) >= 4
    for cmd in ffmpeg_calls:
        options = input_options(cmd)
        assert options["-protocol_whitelist"] == "file" and options["-i"].startswith("file:/"), cmd
        reads_source = options["-i"] == f"file:{secret}"
        if reads_source:
            assert options["-f"] == "mov" and options["-format_whitelist"] == FORMAT_WHITELIST
        elif options["-i"].endswith(".m3u8"):
            assert options["-f"] == "hls" and options["-format_whitelist"] == "hls,mov,mp4,m4a,3gp,3g2,mj2"
        else:  # a poster candidate's brightness: our own JPEG
            assert options["-f"] == "jpeg_pipe" and options["-i"].endswith(".jpg")


@pytest.mark.parametrize("line", ['#EXT-X-MAP:URI="/etc/passwd"', "../other/seg_00000.m4s", "file:seg.m4s",
                                  '#EXT-X-KEY:METHOD=AES-128,URI="http://example.test/key"', "sub/seg.m4s"])
def test_a_rung_playlist_may_only_name_files_beside_it(tmp_path, line):
    playlist = tmp_path / "index.m3u8"
    playlist.write_text(f'#EXTM3U\n#EXT-X-MAP:URI="init_0.mp4"\n{line}\n#EXTINF:2.0,\nseg_00000.m4s\n')
    with pytest.raises(NotAllowed, match="not a file beside it"):
        ladder_input(playlist)
