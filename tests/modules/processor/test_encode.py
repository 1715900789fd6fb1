"""The one-process ladder against real ffmpeg: outputs, alignment, callbacks, watchdog and failures."""

from __future__ import annotations

import dataclasses
import os
import subprocess
import threading
import time
from fractions import Fraction
from pathlib import Path

import pytest

from tests.media import ffprobe, keyframe_times, make_clip, video_stream
from videoforge.modules.processor.encode import (
    TranscodeFailed,
    TranscodeStalled,
    audio_copyable,
    build_ladder_command,
    run_ladder,
    transcode_ladder,
)
from videoforge.modules.processor.ladder import plan_ladder
from videoforge.modules.processor.playlists import parse_variant, variant_playlist
from videoforge.modules.processor.probe import probe
from videoforge.modules.processor.publish import Bandwidth, codecs_of
from videoforge.modules.streaming.service import Rendition, master_playlist

pytestmark = pytest.mark.slow


class Recorder:
    """Callbacks that remember what they saw, and when."""

    def __init__(self, out_dir: Path, lowest: str):
        self.out_dir, self.lowest = out_dir, lowest
        self.progress: list[tuple[float, float, str]] = []
        self.segments: list[tuple[str, object]] = []
        self.first_segment_while_running: bool | None = None

    def on_progress(self, percent: float, stage: str) -> None:
        self.progress.append((time.monotonic(), percent, stage))

    def on_segment(self, rung: str, ready) -> None:
        if not self.segments:
            # ffmpeg writes ENDLIST into every playlist only when it finishes.
            text = (self.out_dir / self.lowest / "index.m3u8").read_text()
            self.first_segment_while_running = "#EXT-X-ENDLIST" not in text
        assert ready.path.is_file() and ready.init_path.is_file()
        self.segments.append((rung, ready))


@pytest.fixture(scope="module")
def ladder_run(tmp_path_factory):
    """A 10 s 640x360 clip with sound, transcoded to 144p and 240p once for the tests below."""
    d = tmp_path_factory.mktemp("ladder")
    clip = make_clip(d / "clip.mp4", 640, 360, seconds=10)
    source = probe(clip)
    rungs = plan_ladder(source, heights=(240, 144))
    out = d / "out"
    recorder = Recorder(out, rungs[0].name)
    transcode_ladder(clip, out, source, rungs, on_progress=recorder.on_progress, on_segment=recorder.on_segment)
    return source, rungs, out, recorder


def test_every_rung_has_its_size_and_a_finished_playlist(ladder_run):
    source, rungs, out, _ = ladder_run
    assert [r.name for r in rungs] == ["144p", "240p"]
    for rung in rungs:
        stream = video_stream(out / rung.name / "index.m3u8")
        assert (stream["width"], stream["height"]) == (rung.width, rung.height)
        assert stream["codec_name"] == "h264" and stream["profile"] == "High"
        listing = parse_variant((out / rung.name / "index.m3u8").read_text())
        assert listing.ended and listing.init_uri
        assert sum(s.duration for s in listing.segments) == pytest.approx(source.duration, abs=0.1)
        assert [s.duration for s in listing.segments] == [4.0, 4.0, 2.0]


def test_keyframes_are_aligned_across_rungs_on_a_2_second_grid(ladder_run):
    _, rungs, out, _ = ladder_run
    times = [keyframe_times(out / r.name / "index.m3u8") for r in rungs]
    assert times[0] == times[1]
    start = times[0][0]
    assert [round(t - start, 2) for t in times[0]] == [0.0, 2.0, 4.0, 6.0, 8.0]


def test_audio_is_aac_stereo(ladder_run):
    _, rungs, out, _ = ladder_run
    streams = ffprobe(out / rungs[0].name / "index.m3u8", "-show_streams", "-select_streams", "a")["streams"]
    assert streams[0]["codec_name"] == "aac" and streams[0]["channels"] == 2


def test_progress_is_monotone_throttled_and_reaches_100(ladder_run):
    *_, recorder = ladder_run
    percents = [p for _, p, _ in recorder.progress]
    assert len(percents) >= 2 and percents == sorted(percents)
    assert percents[-1] == 100.0 and all(p < 100 for p in percents[:-1])
    gaps = [b[0] - a[0] for a, b in zip(recorder.progress[:-2], recorder.progress[1:-1])]
    assert all(gap >= 0.99 for gap in gaps)  # at most once a second (the final 100 is exempt)
    assert {stage for *_, stage in recorder.progress} == {"transcoding"}


def test_segments_are_reported_in_order_while_ffmpeg_still_runs(ladder_run):
    _, rungs, _, recorder = ladder_run
    assert recorder.first_segment_while_running is True
    assert recorder.segments[0][0] == rungs[0].name  # the lowest rung goes first
    for rung in rungs:
        sequences = [ready.segment.sequence for name, ready in recorder.segments if name == rung.name]
        assert sequences == [0, 1, 2]
    sizes = [ready.segment.size for _, ready in recorder.segments]
    assert all(size > 1000 for size in sizes)


def test_published_playlists_play(ladder_run):
    """Our VOD variants (not ffmpeg's), under the master streaming writes from their rows, are read back by
    ffprobe's HLS demuxer."""
    source, rungs, out, recorder = ladder_run
    measured = {r.name: [ready.segment for n, ready in recorder.segments if n == r.name] for r in rungs}
    for rung in rungs:
        listing = parse_variant((out / rung.name / "index.m3u8").read_text())
        text = variant_playlist(measured[rung.name], listing.init_uri, complete=True)
        assert "#EXT-X-PLAYLIST-TYPE:VOD" in text and text.rstrip().endswith("#EXT-X-ENDLIST")
        (out / rung.name / "published.m3u8").write_text(text)
    rows = [Rendition(r.name, r.width, r.height, Bandwidth.of(measured[r.name]).peak, codecs_of(r, source.has_audio),
                      True, "", "", Bandwidth.of(measured[r.name]).average, float(r.fps)) for r in rungs]
    master = master_playlist(rows, lambda name: f"{name}/published.m3u8")
    assert 'RESOLUTION=256x144,CODECS="avc1.64001e,mp4a.40.2",FRAME-RATE=30.000' in master
    assert "AVERAGE-BANDWIDTH=" in master
    (out / "master.m3u8").write_text(master)
    streams = ffprobe(out / "master.m3u8", "-show_streams", "-select_streams", "v")["streams"]
    assert sorted((s["width"], s["height"]) for s in streams) == [(256, 144), (426, 240)]
    growing = variant_playlist(measured["144p"][:1], "init_0.mp4", complete=False)
    assert "#EXT-X-PLAYLIST-TYPE:EVENT" in growing and "#EXT-X-ENDLIST" not in growing


def test_portrait_silent_120fps_source_is_capped_at_60(tmp_path):
    clip = make_clip(tmp_path / "tall.mp4", 180, 320, seconds=1, fps=120, audio=False)
    source = probe(clip)
    rungs = plan_ladder(source, heights=(180, 144))
    assert [(r.name, r.width, r.height) for r in rungs] == [("144p", 144, 256), ("180p", 180, 320)]
    transcode_ladder(clip, tmp_path / "out", source, rungs)
    for rung in rungs:
        playlist = tmp_path / "out" / rung.name / "index.m3u8"
        stream = video_stream(playlist)
        assert (stream["width"], stream["height"]) == (rung.width, rung.height)
        assert Fraction(stream["avg_frame_rate"]) == 60
        assert ffprobe(playlist, "-show_streams", "-select_streams", "a")["streams"] == []


def test_rotated_source_comes_out_upright(tmp_path):
    clip = make_clip(tmp_path / "phone.mp4", 320, 180, seconds=1, rotate=90)
    source = probe(clip)
    rungs = plan_ladder(source, heights=(180,))
    assert (rungs[0].width, rungs[0].height) == (180, 320)
    transcode_ladder(clip, tmp_path / "out", source, rungs)
    stream = video_stream(tmp_path / "out" / "180p" / "index.m3u8")
    assert (stream["width"], stream["height"]) == (180, 320)
    # The pixels are turned, so no rotation may be left for the player to apply a second time.
    assert not any("rotation" in side for side in stream.get("side_data_list", []))


def test_ffmpeg_errors_surface_with_its_own_words(ladder_run, tmp_path):
    source, rungs, out, _ = ladder_run
    clip = out.parent / "clip.mp4"
    with pytest.raises(TranscodeFailed, match=r"ffmpeg failed \(exit status \d+\): .*preset") as caught:
        transcode_ladder(clip, tmp_path / "out", source, rungs[:1], preset="no-such-preset")
    assert not isinstance(caught.value, TranscodeStalled)


def test_watchdog_kills_an_ffmpeg_that_stops_getting_data(tmp_path):
    clip = make_clip(tmp_path / "clip.mp4", 320, 180, seconds=6)
    stream = tmp_path / "clip.ts"
    subprocess.run(["ffmpeg", "-v", "error", "-i", str(clip), "-c", "copy", str(stream)], check=True)
    source = probe(stream)
    fifo = tmp_path / "upload.fifo"
    os.mkfifo(fifo)
    release = threading.Event()

    def slow_upload():
        # A third of the bytes, then the sender goes quiet but keeps the connection open.
        with open(fifo, "wb") as pipe:
            pipe.write(stream.read_bytes()[: stream.stat().st_size // 3])
            pipe.flush()
            release.wait(30)

    sender = threading.Thread(target=slow_upload, daemon=True)
    sender.start()
    cmd = build_ladder_command(fifo, tmp_path / "out", source, plan_ladder(source))
    started = time.monotonic()
    try:
        with pytest.raises(TranscodeStalled, match="no progress for 2 s"):
            run_ladder(cmd, tmp_path / "out", source.duration, ["180p"], stall_seconds=2)
    finally:
        release.set()
        sender.join(5)
    assert time.monotonic() - started < 15
    # Killed and reaped: nothing of ours is left reading the FIFO.
    assert subprocess.run(["pgrep", "-f", str(fifo)], capture_output=True).stdout == b""


def test_commands_refuse_bad_ladders(tmp_path):
    with pytest.raises(ValueError, match="no rungs"):
        build_ladder_command("in.mp4", tmp_path, None, [])


def test_a_retry_ignores_the_last_attempts_files(tmp_path):
    clip = make_clip(tmp_path / "clip.mp4", 160, 90, seconds=1, audio=False)
    source = probe(clip)
    rungs = plan_ladder(source)
    stale = tmp_path / "out" / "90p"
    stale.mkdir(parents=True)
    (stale / "index.m3u8").write_text(
        "#EXTM3U\n#EXT-X-MAP:URI=\"init_0.mp4\"\n" + "#EXTINF:4.0,\nseg_%05d.m4s\n" * 3 % (0, 1, 2) + "#EXT-X-ENDLIST\n"
    )
    seen = []
    transcode_ladder(clip, tmp_path / "out", source, rungs, on_segment=lambda rung, ready: seen.append(ready.segment))
    assert [(s.sequence, s.duration) for s in seen] == [(0, 1.0)]


def test_each_rung_is_scaled_from_the_next_larger_one(tmp_path):
    clip = make_clip(tmp_path / "clip.mp4", 1280, 720, seconds=1, audio=False)
    source = probe(clip)
    rungs = plan_ladder(source)  # 360p, 480p, 720p
    cmd = build_ladder_command(clip, tmp_path / "out", source, rungs)
    chains = cmd[cmd.index("-filter_complex") + 1].split(";")
    # The top rung comes from the decoder, converted once; each lower rung from the one above it.
    assert chains[0].startswith(f"[0:{source.video_stream}]fps=")
    assert "scale=1280:720,setsar=1,format=yuv420p,split=2[v2][c2]" in chains[0]
    assert chains[1] == "[c2]scale=854:480,setsar=1,split=2[v1][c1]"
    assert chains[2] == "[c1]scale=640:360,setsar=1[v0]"
    assert sum(chain.count("format=") for chain in chains) == 1
    # x264 keeps veryfast's own B-frame choices: no forced 16 (docs/benchmarks.md, ladder quality).
    assert "-bf" not in cmd


def _audio_md5(path: Path) -> str:
    done = subprocess.run(["ffmpeg", "-v", "error", "-i", str(path), "-map", "0:a:0", "-c", "copy", "-f", "md5", "-"],
                          check=True, capture_output=True, text=True)
    return done.stdout.strip()


def test_phone_like_audio_is_copied_into_every_rung_untouched(tmp_path):
    clip = make_clip(tmp_path / "phone.mp4", 320, 180, seconds=4, audio_channels=2, audio_kbps=96)
    source = probe(clip)
    assert (source.audio_profile, source.audio_channels, source.audio_sample_rate) == ("LC", 2, 48000)
    assert audio_copyable(source)
    rungs = plan_ladder(source, heights=(180, 144))
    cmd = build_ladder_command(clip, tmp_path / "out", source, rungs)
    assert cmd[cmd.index("-c:a") + 1] == "copy"
    transcode_ladder(clip, tmp_path / "out", source, rungs)
    for rung in rungs:
        # The very packets of the upload: no second lossy encode.
        assert _audio_md5(tmp_path / "out" / rung.name / "index.m3u8") == _audio_md5(clip)


@pytest.mark.parametrize("change", [
    {"audio_channels": 1}, {"audio_channels": 6}, {"audio_bit_rate": 256_000}, {"audio_bit_rate": None},
    {"audio_sample_rate": 22050}, {"audio_profile": "HE-AAC"}, {"audio_codec": "opus"},
])
def test_other_audio_is_re_encoded_to_aac_stereo(tmp_path, change):
    clip = make_clip(tmp_path / "phone.mp4", 160, 90, seconds=1, audio_channels=2, audio_kbps=96)
    source = dataclasses.replace(probe(clip), **change)
    assert not audio_copyable(source)
    cmd = build_ladder_command(clip, tmp_path / "out", source, plan_ladder(source))
    at = cmd.index("-c:a")
    assert cmd[at + 1:at + 8] == ["aac", "-b:a", "128k", "-ac", "2", "-ar", "48000"]
