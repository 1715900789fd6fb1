"""The transcode job handler on real clips, real ffmpeg, local storage and the SQL queue (SQLite and PostgreSQL)."""

from __future__ import annotations

import contextlib
import os
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import select

from tests.media import make_clip, make_text_file, make_truncated
from tests.modules.processor.jobs import (
    EXPECTED_ASSETS,
    FAST,
    assets,
    job_for,
    published_take,
    queue_video,
    referenced_files,
    stored_files,
    video,
)
from tests.ports.conftest import sqs_endpoint  # noqa: F401 - the moto server fixture
from videoforge import outbox, waiting
from videoforge.errors import NoSuchVideo, Refusal
from videoforge.models import MediaAsset, Video, utcnow
from videoforge.modules.processor import service
from videoforge.ports.queue import get_queue
from videoforge.ports.storage import get_storage


@pytest.fixture
def hung_ffmpeg(tmp_path, monkeypatch):
    """`with hung_ffmpeg():` the transcoder finds an ffmpeg that starts, says nothing and never ends.

    ffprobe stays the real one, so preflight passes and the watchdog is what stops the job.
    """
    fake = tmp_path / "hung-bin"
    fake.mkdir()
    (fake / "ffmpeg").write_text("#!/bin/sh\nexec sleep 60\n")
    (fake / "ffmpeg").chmod(0o755)

    @contextlib.contextmanager
    def hung():
        with monkeypatch.context() as patch:
            patch.setenv("PATH", f"{fake}{os.pathsep}{os.environ['PATH']}")
            yield

    return hung


def run_one(app, job=None) -> str:
    messages = get_queue(app).receive(max_messages=1)
    assert len(messages) == 1, "expected a job in the queue"
    return service.handle_message(job or job_for(app), messages[0])


def test_a_job_publishes_the_ladder_and_the_video_becomes_ready(app, clip):
    video_id = queue_video(app, clip)
    assert run_one(app) == "done"
    done = video(app, video_id)
    assert (done.status, done.progress, done.error, done.attempts) == ("ready", 100.0, None, 1)
    assert (done.width, done.height) == (320, 180) and done.duration == pytest.approx(3.0, abs=0.2)
    assert assets(app, video_id) == EXPECTED_ASSETS
    assert stored_files(app, video_id) == referenced_files(app, video_id)
    root = Path(get_storage(app).root) / "processed" / video_id / "takes" / published_take(app, video_id)
    assert not (root / "master.m3u8").exists()  # streaming writes the one master, from these rows
    with app.extensions["videoforge.db"].session() as session:
        rungs = session.scalars(select(MediaAsset).where(MediaAsset.video_id == video_id,
                                                         MediaAsset.kind == "variant").order_by(MediaAsset.rung)).all()
        assert [(r.width, r.height, r.frame_rate, r.codecs) for r in rungs] == [
            (256, 144, 30.0, "avc1.64001e,mp4a.40.2"), (320, 180, 30.0, "avc1.64001e,mp4a.40.2")]
        assert all(r.bitrate >= r.average_bitrate > 0 for r in rungs)
    for rung in ("144p", "180p"):
        playlist = (root / rung / "index.m3u8").read_text()
        assert "#EXT-X-PLAYLIST-TYPE:VOD" in playlist and playlist.rstrip().endswith("#EXT-X-ENDLIST")
    assert "xywh=" in (root / "storyboard.vtt").read_text()
    depth = get_queue(app).depth()
    assert (depth.visible, depth.in_flight, depth.dead) == (0, 0, 0)


class RecordingStorage:
    """Local storage that remembers what each upload of a playlist said, in order."""

    def __init__(self, inner):
        self.inner = inner
        self.uploads: list[tuple[str, str]] = []

    def upload_file(self, key, path, content_type):
        text = Path(path).read_text() if key.endswith(".m3u8") else ""
        self.uploads.append((key.split("/", 4)[4], text))  # processed/{video}/takes/{take}/...
        self.inner.upload_file(key, path, content_type)

    def __getattr__(self, name):
        return getattr(self.inner, name)


def test_the_lowest_rung_is_playable_before_the_ladder_is_done(make_app, tmp_path, monkeypatch):
    app = make_app(**{**FAST, "LADDER_HEIGHTS": [144, 180]})
    long_clip = make_clip(tmp_path / "long.mp4", 320, 180, seconds=7)
    video_id = queue_video(app, long_clip)
    job = job_for(app)
    job.storage = RecordingStorage(job.storage)
    joined: list[tuple[str, int]] = []  # each rung's row (what makes streaming list it), and the uploads before it
    record_variant = service.record_variant

    def recording(db, video_id, take, rung, info, bandwidth):
        joined.append((rung.name, len(job.storage.uploads)))
        record_variant(db, video_id, take, rung, info, bandwidth)

    monkeypatch.setattr(service, "record_variant", recording)
    assert run_one(app, job) == "done"
    names = [name for name, _ in job.storage.uploads]
    assert [name for name, _ in joined] == ["144p", "180p"]  # the lowest rung first
    first = joined[0][1]
    growing = [text for name, text in job.storage.uploads[:first] if name == "144p/index.m3u8"]
    assert growing and "#EXT-X-PLAYLIST-TYPE:EVENT" in growing[-1] and "ENDLIST" not in growing[-1]
    later_segments = [n for n in names[first:] if n.startswith("144p/seg_")]
    assert later_segments, "the lowest rung became playable only after it was done"
    finals = [text for name, text in job.storage.uploads if name == "180p/index.m3u8"]
    assert finals[-1].rstrip().endswith("#EXT-X-ENDLIST")
    assert assets(app, video_id) == EXPECTED_ASSETS


@pytest.mark.parametrize("make_bad, reason", [
    (lambda d, clip: make_text_file(d / "notes.mp4"), "not a video file"),
    (lambda d, clip: make_truncated(clip, d / "cut.mp4"), "truncated"),
])
def test_preflight_failures_fail_at_once_with_a_reason_and_no_retry(app, clip, tmp_path, make_bad, reason):
    video_id = queue_video(app, make_bad(tmp_path, clip))
    assert run_one(app) == "failed"
    failed = video(app, video_id)
    assert failed.status == "failed" and reason in failed.error
    assert failed.rejected and not failed.retryable  # the gallery shows it as not retryable
    assert failed.attempts == 1
    depth = get_queue(app).depth()
    assert (depth.visible, depth.in_flight, depth.dead) == (0, 0, 0)  # deleted, not retried
    assert assets(app, video_id) == []


def test_a_missing_source_fails_with_a_reason(app, clip):
    video_id = queue_video(app, clip)
    get_storage(app).delete_prefix(video(app, video_id).source_key)
    assert run_one(app) == "failed"
    assert "missing" in video(app, video_id).error


def test_a_stalled_transcode_is_retried_then_succeeds(app, clip, hung_ffmpeg):
    video_id = queue_video(app, clip)
    job = job_for(app)
    job.config["STALL_SECONDS"] = 0.5
    with hung_ffmpeg():
        assert run_one(app, job) == "retry"
    waiting = video(app, video_id)
    assert waiting.status == "queued" and "no progress" in waiting.error
    assert "retrying" in waiting.stage
    message = get_queue(app).receive()[0]
    assert message.receive_count == 2
    assert service.handle_message(job_for(app), message) == "done"
    done = video(app, video_id)
    assert (done.status, done.error, done.attempts) == ("ready", None, 2)
    assert assets(app, video_id) == EXPECTED_ASSETS


def test_out_of_receives_dead_letters_and_fails_the_video_then_redrive_recovers(make_app, clip, hung_ffmpeg):
    app = make_app(**{**FAST, "QUEUE_MAX_RECEIVES": 2})
    video_id = queue_video(app, clip)
    job = job_for(app)
    job.config["STALL_SECONDS"] = 0.5
    with hung_ffmpeg():
        assert run_one(app, job) == "retry"
        assert run_one(app, job) == "dead"
    failed = video(app, video_id)
    assert failed.status == "failed"
    assert failed.error.startswith("Processing failed 2 times; last error: ffmpeg made no progress")
    queue = get_queue(app)
    assert queue.receive() == []  # the next receive dead-letters it
    letters = service.dead_letters(app.extensions["videoforge.db"], queue)
    assert [(d["video_id"], d["receive_count"]) for d in letters] == [(video_id, 2)]
    assert "no progress" in letters[0]["error"]
    assert service.redrive_dead_letters(app.extensions["videoforge.db"], queue) == 1
    assert video(app, video_id).status == "queued"
    assert run_one(app) == "done"
    assert video(app, video_id).status == "ready"


def test_redelivery_of_a_finished_video_does_nothing(app, clip):
    video_id = queue_video(app, clip)
    assert run_one(app) == "done"
    before = {name: (Path(get_storage(app).root) / "processed" / video_id / name).stat().st_mtime_ns
              for name in stored_files(app, video_id)}
    get_queue(app).send(outbox.transcode_message(video_id))
    assert run_one(app) == "skipped"
    assert video(app, video_id).status == "ready"
    assert assets(app, video_id) == EXPECTED_ASSETS
    after = {name: (Path(get_storage(app).root) / "processed" / video_id / name).stat().st_mtime_ns
             for name in stored_files(app, video_id)}
    assert after == before
    assert get_queue(app).depth().visible == 0


def test_a_retried_job_replaces_partial_outputs(app, clip, tmp_path):
    video_id = queue_video(app, clip)
    leftover = tmp_path / "old.m4s"
    leftover.write_bytes(b"from an attempt that died")
    old = f"processed/{video_id}/takes/0ld7a4e0/1080p/seg_00007.m4s"
    get_storage(app).upload_file(old, str(leftover), "video/iso.segment")
    with app.extensions["videoforge.db"].session() as session:
        session.get(Video, video_id).status = "processing"  # as a crashed worker left it
        session.add(MediaAsset(video_id=video_id, kind="variant", rung="1080p", key=old, complete=False))
    assert run_one(app) == "done"
    assert assets(app, video_id) == EXPECTED_ASSETS
    assert stored_files(app, video_id) == referenced_files(app, video_id)
    # A new take: no object of this attempt has a name the last one used, so no cache can serve the old bytes.
    assert published_take(app, video_id) != "0ld7a4e0"


def test_a_stopping_worker_hands_the_job_back(app, clip):
    video_id = queue_video(app, clip)
    job = job_for(app)
    job.cancel.set()
    assert run_one(app, job) == "released"
    assert video(app, video_id).status == "queued"
    assert get_queue(app).receive()[0].receive_count == 2  # visible again at once


def test_queue_position_and_estimated_start(app, clip):
    now = utcnow()
    ids = [queue_video(app, clip, send=False, title=f"v{n}") for n in range(3)]
    finished_id, running_id = queue_video(app, clip, send=False), queue_video(app, clip, send=False)
    db = app.extensions["videoforge.db"]
    with db.session() as session:
        for n, video_id in enumerate(ids):
            session.get(Video, video_id).queued_at = now + timedelta(seconds=n)
        finished = session.get(Video, finished_id)
        finished.status, finished.started_at, finished.finished_at = "ready", now - timedelta(seconds=40), now
        running = session.get(Video, running_id)
        running.status, running.progress = "processing", 50.0
    with db.session() as session:
        videos = [session.get(Video, i) for i in ids]
        assert [waiting.queue_position(session, v) for v in videos] == [1, 2, 3]
        assert waiting.queue_position(session, running) is None
        assert waiting.average_job_seconds(session) == pytest.approx(40)
        # One slot: the running job has 20 s left, then each video ahead takes 40 s.
        assert [waiting.estimated_start_seconds(session, v, workers=1) for v in videos] == [20, 60, 100]
        # Two slots: one is free now, the other in 20 s.
        assert [waiting.estimated_start_seconds(session, v, workers=2) for v in videos] == [0, 20, 40]
        no_worker = waiting.live_worker_slots(session, app.config["WORKER_HEARTBEAT_SECONDS"])
        assert no_worker == 0 and waiting.estimated_start_seconds(session, videos[0], workers=no_worker) is None


def test_retry_queues_a_failed_video_and_refuses_others(app, clip):
    db, queue = app.extensions["videoforge.db"], get_queue(app)
    video_id = queue_video(app, clip, send=False)
    with pytest.raises(Refusal, match="409 Conflict: Cannot retry"):
        service.retry_video(db, queue, video_id)
    with db.session() as session:
        row = session.get(Video, video_id)
        row.status, row.error = "failed", "boom"
    retried = service.retry_video(db, queue, video_id)
    assert (retried.status, retried.error) == ("queued", None)
    assert run_one(app) == "done"
    with pytest.raises(NoSuchVideo):
        service.retry_video(db, queue, "f" * 32)


@pytest.mark.slow  # waits out SQS visibility timeouts on every attempt
@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_on_sqs_the_last_failed_attempt_fails_the_video_and_sqs_dead_letters_it(make_app, clip, sqs_endpoint,  # noqa: F811
                                                                                  monkeypatch, hung_ffmpeg):
    import uuid

    from tests.ports.conftest import make_sqs_queues, sqs_client

    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    url, _ = make_sqs_queues(sqs_client(sqs_endpoint), f"jobs-{uuid.uuid4().hex[:8]}", max_receives=2)
    app = make_app(**FAST, QUEUE_BACKEND="sqs", SQS_QUEUE_URL=url, SQS_ENDPOINT_URL=sqs_endpoint)
    queue = get_queue(app)
    assert queue.max_receives == 2 and queue.dlq_url  # both read from the redrive policy
    video_id = queue_video(app, clip, send=False)
    queue.send(outbox.transcode_message(video_id))
    job = job_for(app)
    job.config["STALL_SECONDS"] = 0.5
    with hung_ffmpeg():
        assert run_one(app, job) == "retry"
        assert run_one(app, job) == "dead"
    assert video(app, video_id).status == "failed"
    assert queue.receive() == []  # SQS moved it to the DLQ
    letters = service.dead_letters(app.extensions["videoforge.db"], queue)
    assert [d["video_id"] for d in letters] == [video_id]
    assert "no progress" in letters[0]["error"]  # SQS keeps none: the video's error stands in
    assert service.redrive_dead_letters(app.extensions["videoforge.db"], queue) == 1
    assert run_one(app) == "done"
    assert video(app, video_id).status == "ready"


def test_a_new_transcode_removes_the_old_takes_and_keeps_the_caption_tracks(app, clip, tmp_path):
    video_id = queue_video(app, clip)
    assert run_one(app) == "done"
    first = published_take(app, video_id)
    track = tmp_path / "en.vtt"
    track.write_text("WEBVTT\n\n00:00:00.000 --> 00:00:01.000\nhello\n")
    get_storage(app).upload_file(f"processed/{video_id}/captions/t1.vtt", str(track), "text/vtt")
    service.retry_video(app.extensions["videoforge.db"], get_queue(app), video_id, force=True)
    assert run_one(app) == "done"
    assert published_take(app, video_id) != first
    assert stored_files(app, video_id) == sorted([*referenced_files(app, video_id), "captions/t1.vtt"])
