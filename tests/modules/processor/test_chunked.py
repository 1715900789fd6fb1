"""Chunked transcodes: a long source's ladder as chunk jobs any worker takes, joined into one seamless timeline."""

from __future__ import annotations

import itertools
import os
import signal
import subprocess
from fractions import Fraction
from pathlib import Path

import pytest
from sqlalchemy import select

from tests.media import make_clip
from tests.modules.processor.jobs import (
    FAST,
    assets,
    job_for,
    queue_video,
    referenced_files,
    start_worker,
    stored_files,
    video,
    wait_for,
)
from videoforge.models import MediaAsset, TranscodePart, Video
from videoforge.modules.processor import chunked, service
from videoforge.modules.processor.chunking import first_frame, plan_chunks
from videoforge.modules.processor.encode import TranscodeFailed
from videoforge.modules.processor.playlists import parse_variant
from videoforge.ports.queue import get_queue
from videoforge.ports.storage import get_storage

CHUNKED = {**FAST, "CHUNK_THRESHOLD_SECONDS": 5, "CHUNK_SECONDS": 4}
"""A 12 s clip in three chunks of two 2 s segments each."""
FPS = Fraction(30)


@pytest.fixture(scope="module")
def long_clip(tmp_path_factory) -> Path:
    return make_clip(tmp_path_factory.mktemp("clips") / "long.mp4", 320, 180, seconds=12)


@pytest.fixture
def app(make_app):
    return make_app(**CHUNKED)


def run_queue(app, limit: int = 20) -> list[str]:
    """Handle messages until the queue is empty; the outcomes in order."""
    outcomes = []
    for _ in range(limit):
        messages = get_queue(app).receive(max_messages=1)
        if not messages:
            return outcomes
        outcomes.append(service.handle_message(job_for(app), messages[0]))
    raise AssertionError(f"the queue did not empty: {outcomes}")


def parts(app, video_id: str) -> list[TranscodePart]:
    with app.extensions["videoforge.db"].session() as session:
        return list(session.scalars(select(TranscodePart).where(TranscodePart.video_id == video_id)
                                    .order_by(TranscodePart.number)))


def rung_file(app, video_id: str, rung: str) -> tuple[Path, str]:
    root = Path(get_storage(app).root) / "processed" / video_id / "takes"
    [folder] = root.glob(f"*/{rung}")
    return folder, (folder / "index.m3u8").read_text()


def joined(app, video_id: str, rung: str, target: Path) -> Path:
    """The rung's init segment and every listed segment, in playlist order, as one fragmented MP4."""
    folder, text = rung_file(app, video_id, rung)
    listing = parse_variant(text)
    with target.open("wb") as out:
        out.write((folder / listing.init_uri).read_bytes())
        for segment in listing.segments:
            out.write((folder / segment.uri).read_bytes())
    return target


def packets(path: Path, stream: str = "v") -> list[tuple[int, int, bool]]:
    """(pts, dts, keyframe) of every packet, in the stream's own time base."""
    out = subprocess.run(["ffprobe", "-v", "error", "-select_streams", stream, "-show_entries",
                          "packet=pts,dts,flags", "-of", "csv=p=0", str(path)], capture_output=True, text=True,
                         check=True).stdout
    return [(int(pts), int(dts), "K" in flags) for pts, dts, flags in (line.split(",")[:3] for line in out.split())]


# --- the plan ------------------------------------------------------------------------------------------------------

def test_chunks_are_whole_segments_and_cover_every_frame_once():
    fps = Fraction(30000, 1001)
    chunks = plan_chunks(125.0, fps, segment_seconds=4, chunk_seconds=30)
    # 30 s rounds to 8 segments (32 s): 4 chunks, the last 29 s long.
    assert [c.first_segment for c in chunks] == [0, 8, 16, 24]
    assert [c.start_frame for c in chunks] == [0, first_frame(32, fps), first_frame(64, fps), first_frame(96, fps)]
    assert first_frame(32, fps) == 960  # 32 s x 29.97 = 959.04: the first frame at or after 32 s
    assert all(a.end_frame == b.start_frame for a, b in itertools.pairwise(chunks))
    assert chunks[-1].end_frame is None
    assert sum(c.seconds(125.0) for c in chunks) == pytest.approx(125.0)


def test_a_short_tail_joins_the_chunk_before():
    chunks = plan_chunks(61.0, Fraction(25), segment_seconds=4, chunk_seconds=20)
    assert [c.first_segment for c in chunks] == [0, 5, 10]  # 60-61 s would be a 1 s chunk: merged
    assert chunks[-1].seconds(61.0) == pytest.approx(21.0)


def test_a_chunk_seeks_a_quarter_frame_early_and_keeps_its_frames_on_the_whole_timeline():
    [first, second] = plan_chunks(16.0, FPS, segment_seconds=2, chunk_seconds=8)
    assert first.input_args() == []
    assert second.input_args() == ["-ss", f"{(240 - 0.25) / 30:.6f}"]
    args = second.output_args()
    assert args[args.index("-output_ts_offset") + 1] == "8.000000"
    assert args[args.index("-start_number") + 1] == "4"
    assert first.output_args()[:2] == ["-frames:v", "240"]


# --- a chunked job -----------------------------------------------------------------------------------------------

def test_a_long_source_is_transcoded_in_chunks_that_join_without_a_seam(app, long_clip, tmp_path):
    video_id = queue_video(app, long_clip)
    outcomes = run_queue(app)
    assert outcomes == ["done"] * 4  # the plan, then three chunks
    done = video(app, video_id)
    assert (done.status, done.error, done.progress) == ("ready", None, 100.0)
    chunks = [p for p in parts(app, video_id) if p.number >= 0]
    assert [(p.number, p.status, p.attempts) for p in chunks] == [(0, "done", 1), (1, "done", 1), (2, "done", 1)]
    assert sorted(assets(app, video_id)) == sorted([
        ("audio", "audio", True), ("poster", "", True), ("storyboard", "", True), ("thumbnails", "", True),
        ("variant", "144p", True), ("variant", "180p", True)])
    assert stored_files(app, video_id) == referenced_files(app, video_id)  # nothing left over, nothing missing

    for rung in ("144p", "180p"):
        _, text = rung_file(app, video_id, rung)
        listing = parse_variant(text)
        assert listing.ended and "#EXT-X-PLAYLIST-TYPE:VOD" in text
        assert [s.sequence for s in listing.segments] == list(range(6))  # continuous, no gap, none twice
        assert [s.uri for s in listing.segments] == [f"seg_{n:05d}.m4s" for n in range(6)]
        assert sum(s.duration for s in listing.segments) == pytest.approx(12.0, abs=0.05)
        target = int(text.split("#EXT-X-TARGETDURATION:")[1].split()[0])
        assert all(round(s.duration) <= target for s in listing.segments)

        video_packets = packets(joined(app, video_id, rung, tmp_path / f"{rung}.mp4"))
        assert len(video_packets) == 360  # 12 s x 30 fps: every frame once
        dts = [d for _, d, _ in video_packets]
        step = dts[1] - dts[0]
        assert all(b - a == step for a, b in itertools.pairwise(dts))  # continuous across both joins
        presented = sorted(p for p, _, _ in video_packets)
        assert all(b - a == step for a, b in itertools.pairwise(presented))
        keyframes = [index for index, (_, _, key) in enumerate(video_packets) if key]
        assert {0, 120, 240} <= set(keyframes)  # each chunk starts on a keyframe

    _, audio_text = rung_file(app, video_id, "audio")
    audio = parse_variant(audio_text)
    assert audio.ended and sum(s.duration for s in audio.segments) == pytest.approx(12.0, abs=0.1)


def test_the_master_playlist_names_the_audio_rendition_from_every_rung(app, long_clip):
    video_id = queue_video(app, long_clip)
    run_queue(app)
    client = app.test_client()
    with app.extensions["videoforge.db"].session() as session:
        session.get(Video, video_id).visibility = "public"
    info = client.get(f"/api/streaming/videos/{video_id}").get_json()
    master_url = info["master_url"].split("/api/streaming/", 1)[1]
    master = client.get(f"/api/streaming/{master_url}").get_data(as_text=True)
    assert '#EXT-X-MEDIA:TYPE=AUDIO,GROUP-ID="audio"' in master
    stream_lines = [line for line in master.splitlines() if line.startswith("#EXT-X-STREAM-INF:")]
    assert len(stream_lines) == 2 and all('AUDIO="audio"' in line and "mp4a.40.2" in line for line in stream_lines)
    audio_uri = master.split('TYPE=AUDIO', 1)[1].split('URI="', 1)[1].split('"', 1)[0]
    base = master_url.rsplit("/", 1)[0]
    audio = client.get(f"/api/streaming/{base}/{audio_uri}")
    assert audio.status_code == 200 and "#EXT-X-ENDLIST" in audio.get_data(as_text=True)


def test_a_chunk_of_an_abandoned_video_stops_and_is_dropped(app, long_clip):
    video_id = queue_video(app, long_clip)
    messages = get_queue(app).receive(max_messages=1)
    assert service.handle_message(job_for(app), messages[0]) == "done"  # the plan: three chunk jobs queued
    hidden = app.test_client().get(f"/api/gallery/videos/{video_id}")  # a stranger, the video still private
    assert hidden.status_code == 404 and "chunks" not in hidden.get_json()
    with app.extensions["videoforge.db"].session() as session:
        session.get(Video, video_id).visibility = "public"
    shown = app.test_client().get(f"/api/gallery/videos/{video_id}").get_json()
    assert (shown["status"], shown["chunks"]) == ("processing", {"total": 3, "done": 0, "workers": 0})
    with app.extensions["videoforge.db"].session() as session:
        session.execute(Video.fail(video_id, "deleted by a test"))
    assert run_queue(app) == ["skipped"] * 3
    assert all(p.status == "pending" for p in parts(app, video_id) if p.number >= 0)
    assert video(app, video_id).status == "failed"


def test_a_short_source_keeps_the_single_job_path(app, tmp_path):
    clip = make_clip(tmp_path / "short.mp4", 320, 180, seconds=3)
    video_id = queue_video(app, clip)
    assert run_queue(app) == ["done"]
    assert parts(app, video_id) == []
    assert ("audio", "audio", True) not in assets(app, video_id)


@pytest.mark.slow
@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_a_worker_killed_mid_chunk_costs_that_chunk_alone(app, long_clip):
    video_id = queue_video(app, long_clip)
    # x264 at its slowest: a 4 s chunk of this small clip then takes seconds, long enough to be killed inside.
    slow = {**CHUNKED, "X264_PRESET": "placebo", "QUEUE_VISIBILITY_TIMEOUT": 3}
    doomed = start_worker(app, **slow)
    survivor = None
    try:
        def in_a_chunk():
            assert doomed.poll() is None, doomed.communicate()[0].decode()[-3000:]
            return [p for p in parts(app, video_id) if p.number >= 0 and p.status == "processing" and p.progress > 0
                    and p.worker and f":{doomed.pid}:" in p.worker]

        taken = wait_for(in_a_chunk, 240, "the first worker to be in a chunk")
        lost = taken[0].number
        survivor = start_worker(app, **slow)
        os.killpg(doomed.pid, signal.SIGKILL)  # the machine dies mid-chunk: worker and ffmpeg alike
        doomed.wait(10)
        wait_for(lambda: video(app, video_id).status == "ready", 240, "the survivor to finish the video")
    finally:
        for process in (doomed, survivor):
            if process is not None and process.poll() is None:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait(10)
    chunks = {p.number: p for p in parts(app, video_id) if p.number >= 0}
    assert chunks[lost].attempts == 2  # the killed chunk, once more
    assert all(p.attempts == 1 for n, p in chunks.items() if n != lost)  # every other chunk: once
    assert all(p.status == "done" for p in chunks.values())
    assert chunks[lost].worker.split(":")[1] == str(survivor.pid)  # the survivor did the lost chunk again
    assert {p.worker.split(":")[1] for p in chunks.values()} <= {str(doomed.pid), str(survivor.pid)}
    for rung in ("144p", "180p"):
        _, text = rung_file(app, video_id, rung)
        assert [s.sequence for s in parse_variant(text).segments] == list(range(6))
    assert stored_files(app, video_id) == referenced_files(app, video_id)


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
@pytest.mark.parametrize("seconds", [12, 3], ids=["chunked", "single-job"])
def test_a_transcode_again_keeps_the_last_ladder_playing_until_the_new_one_is_whole(app, tmp_path, seconds):
    clip = make_clip(tmp_path / "again.mp4", 320, 180, seconds=seconds)
    video_id = queue_video(app, clip)
    run_queue(app)
    first = published_keys(app, video_id)
    assert video(app, video_id).status == "ready"
    service.retry_video(app.extensions["videoforge.db"], get_queue(app), video_id, force=True)  # as a replace does
    [message] = get_queue(app).receive(max_messages=1)
    assert service.handle_message(job_for(app), message) == "done"
    if seconds > 5:  # the plan alone ran: the chunks wait in the queue, the old ladder is what plays
        assert video(app, video_id).status == "processing"
        assert published_keys(app, video_id) == first
        assert all(Path(get_storage(app).root, key).exists() for key in first.values())
        run_queue(app)
    second = published_keys(app, video_id)
    assert video(app, video_id).status == "ready"
    assert second.keys() == first.keys() and not set(second.values()) & set(first.values())
    assert stored_files(app, video_id) == referenced_files(app, video_id)  # the old take's files are gone


def published_keys(app, video_id: str) -> dict[tuple[str, str], str]:
    with app.extensions["videoforge.db"].session() as session:
        rows = session.scalars(select(MediaAsset).where(MediaAsset.video_id == video_id)).all()
        return {(a.kind, a.rung): a.key for a in rows}


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_a_chunk_that_keeps_failing_fails_the_video_with_its_reason(make_app, long_clip, monkeypatch):
    app = make_app(**CHUNKED, QUEUE_MAX_RECEIVES=2)
    video_id = queue_video(app, long_clip)
    [plan] = get_queue(app).receive(max_messages=1)
    assert service.handle_message(job_for(app), plan) == "done"

    def broken(*args, **kwargs):
        raise TranscodeFailed("ffmpeg failed (exit status 1): the disk is on fire")

    monkeypatch.setattr(chunked, "run_ladder", broken)
    outcomes = run_queue(app)
    assert "dead" in outcomes and "done" not in outcomes, outcomes
    failed = video(app, video_id)
    assert failed.status == "failed" and not failed.rejected  # a retry may help
    assert failed.error.startswith("Processing chunk ") and "failed 2 times" in failed.error
    assert "the disk is on fire" in failed.error
