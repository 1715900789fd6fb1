"""Failure reasons name no path on the worker, and artwork that ffmpeg did not write is a reason, not a crash."""

from __future__ import annotations

import os
import subprocess

import pytest

from tests.media import make_clip
from videoforge.modules.processor.artwork import make_poster, make_storyboard
from videoforge.modules.processor.encode import TranscodeFailed, transcode_ladder
from videoforge.modules.processor.ladder import plan_ladder
from videoforge.modules.processor.probe import UnplayableSource, probe
from videoforge.modules.processor.reasons import scrub_paths
from videoforge.modules.processor.service import describe_error


@pytest.mark.parametrize("text, scrubbed", [
    ("ffmpeg failed (exit status 1): /tmp/vf-1a2b/source: Invalid data", "ffmpeg failed (exit status 1): <path>: "
                                                                          "Invalid data"),
    ("No such file or directory: '/tmp/vf-1a2b/poster.jpg'", "No such file or directory: '<path>'"),
    ("file:///srv/storage/processed/v1/144p/init_0.mp4 refused", "<path> refused"),
    ("subfile,,start,0,end,0,,:/srv/storage/uploads/u/v/source", "subfile,,start,0,end,0,,:<path>"),
    ("Opening '/tmp/x/seg_1.m4s.tmp' for writing | next", "Opening '<path>' for writing | next"),
    # Not paths: rates, ratios, URLs, relative names.
    ("30000/1001 fps, N/A, a / b, http://127.0.0.1:8333/bucket/key, ../x", None),
])
def test_absolute_paths_are_scrubbed(text, scrubbed):
    assert scrub_paths(text) == (scrubbed or text)


def test_known_places_keep_a_name():
    text = "file:/tmp/vf-9/source: bad; /tmp/vf-9/hls/144p/x.m4s; /etc/passwd"
    assert scrub_paths(text, source="/tmp/vf-9/source", work="/tmp/vf-9") == (
        "<source>: bad; <work>/hls/144p/x.m4s; <path>")


def test_describe_error_scrubs_every_exception():
    missing = FileNotFoundError(2, "No such file or directory", "/tmp/vf-abcdef12-xyz/poster.jpg")
    assert describe_error(missing) == "[Errno 2] No such file or directory: '<path>'"
    assert describe_error(TranscodeFailed("ffmpeg failed: /var/lib/videoforge/storage/x")) == "ffmpeg failed: <path>"


@pytest.fixture(scope="module")
def clip(tmp_path_factory):
    return make_clip(tmp_path_factory.mktemp("reasons") / "clip.mp4", 320, 180, seconds=2)


def test_ffprobe_errors_name_no_path(tmp_path, monkeypatch):
    # An ffprobe that fails in words of its own, naming its input as ffprobe does.
    fake = tmp_path / "bin"
    fake.mkdir()
    (fake / "ffprobe").write_text('#!/bin/sh\nfor last; do :; done\necho "$last: Input/output error" >&2\nexit 1\n')
    (fake / "ffprobe").chmod(0o755)
    monkeypatch.setenv("PATH", f"{fake}{os.pathsep}{os.environ['PATH']}")
    source = tmp_path / "source"
    source.write_bytes(b"not empty")
    with pytest.raises(UnplayableSource) as caught:
        probe(source)
    assert caught.value.reason == "not a readable video file (<source>: Input/output error)"


@pytest.mark.slow
def test_ladder_and_artwork_failures_name_no_path(clip, tmp_path):
    gone = tmp_path / "gone.mp4"
    gone.write_bytes(clip.read_bytes())
    info = probe(gone)
    gone.unlink()
    with pytest.raises(TranscodeFailed, match=r"<source>: No such file or directory") as ladder:
        transcode_ladder(gone, tmp_path / "out", info, plan_ladder(info))
    with pytest.raises(TranscodeFailed, match=r"^poster: ffmpeg failed .*<source>: No such file") as poster:
        make_poster(gone, info, tmp_path / "poster.jpg")
    with pytest.raises(TranscodeFailed, match=r"^storyboard: ffmpeg failed .*<source>: No such file") as board:
        make_storyboard(gone, info, tmp_path / "board")
    for caught in (ladder, poster, board):
        assert str(tmp_path) not in caught.value.reason


def sound_with_a_short_picture(path, picture_at: float = 0.0):
    """20 s of sound with a picture of two frames at `picture_at` s: as music uploads (a cover over a song) are."""
    subprocess.run(["ffmpeg", "-v", "error", "-itsoffset", str(picture_at), "-f", "lavfi", "-i",
                    "testsrc2=s=320x180:r=30:d=0.05", "-f", "lavfi", "-i", "sine=d=20", "-c:v", "libx264",
                    "-c:a", "aac", str(path)], check=True)
    return path


@pytest.mark.slow
@pytest.mark.parametrize("picture_at", [0.0, 5.0])
def test_a_poster_comes_from_the_first_frames_when_no_window_has_one(tmp_path, picture_at):
    # The windows at 15/40/65% (3, 8 and 13 s) hold no frame; the poster is still made.
    still = sound_with_a_short_picture(tmp_path / "still.mp4", picture_at)
    poster = make_poster(still, probe(still), tmp_path / "poster.jpg")
    assert poster.stat().st_size > 1000


@pytest.mark.slow
def test_a_storyboard_that_gets_no_frame_says_so(tmp_path):
    still = sound_with_a_short_picture(tmp_path / "still.mp4")
    # Too few frames for the 2 s tile grid: ffmpeg exits 0 having written nothing.
    with pytest.raises(TranscodeFailed, match=r"^storyboard: ffmpeg wrote no picture$"):
        make_storyboard(still, probe(still), tmp_path / "board")
