"""The video lifecycle on the model: each transition sets the columns it owns, and the guarded ones lose cleanly."""

from __future__ import annotations

import json
from datetime import timedelta

from videoforge.lifecycle import Status, Visibility
from videoforge.models import User, Video, utcnow


def make_video(app, **values) -> str:
    with app.extensions["videoforge.db"].session() as session:
        owner = User(sub=f"s-{utcnow().timestamp()}")
        session.add(owner)
        session.flush()
        video = Video(owner_id=owner.id, title="t", **values)
        session.add(video)
        session.flush()
        return video.id


def run(app, transition) -> int:
    with app.extensions["videoforge.db"].session() as session:
        return session.execute(transition).rowcount


def row(app, video_id: str) -> Video:
    with app.extensions["videoforge.db"].session() as session:
        return session.get(Video, video_id)


def test_the_enums_are_the_strings_the_database_and_the_json_hold(app):
    video_id = make_video(app)
    video = row(app, video_id)
    assert (video.status, video.visibility) == ("awaiting_upload", "private")  # the column defaults, as stored
    assert video.status == Status.AWAITING_UPLOAD and type(video.status) is str
    assert json.dumps({"status": Status.READY, "visibility": Visibility.UNLISTED}) == \
        '{"status": "ready", "visibility": "unlisted"}'
    assert f"this one is {Status.FAILED}" == "this one is failed"


def test_confirm_queues_once_and_only_an_awaiting_upload(app):
    video_id = make_video(app, upload_id="u1", error="stale", progress=12.0)
    assert run(app, Video.queue(video_id, source_etag='"e1"', request_id="r1")) == 1
    assert run(app, Video.queue(video_id, source_etag='"e2"', request_id="r2")) == 0  # a second confirm loses
    video = row(app, video_id)
    assert (video.status, video.upload_id, video.source_etag, video.request_id) == ("queued", None, '"e1"', "r1")
    assert (video.progress, video.error, video.stage, video.queued_at is not None) == (0.0, None, None, True)


def test_a_job_moves_the_video_through_processing_to_ready(app):
    video_id = make_video(app, status=Status.QUEUED)
    run(app, Video.start(video_id, "downloading"))
    run(app, Video.report_progress(video_id, "transcoding 360p", 42.0))
    video = row(app, video_id)
    assert (video.status, video.stage, video.progress, video.attempts) == ("processing", "transcoding 360p", 42.0, 1)
    run(app, Video.report_progress(video_id, "transcoding (playable)"))
    assert row(app, video_id).progress == 42.0  # no per cent given: kept
    run(app, Video.finish(video_id))
    video = row(app, video_id)
    assert (video.status, video.stage, video.progress, video.error) == ("ready", None, 100.0, None)
    assert video.finished_at >= video.started_at


def test_requeue_keeps_the_place_in_line_and_retry_starts_over(app):
    queued_at = utcnow() - timedelta(minutes=5)
    video_id = make_video(app, status=Status.PROCESSING, queued_at=queued_at, progress=50.0, attempts=1)
    run(app, Video.requeue(video_id, stage="retrying (attempt 2 of 3)", error="ffmpeg died"))
    video = row(app, video_id)
    assert (video.status, video.stage, video.error, video.progress) == ("queued", "retrying (attempt 2 of 3)",
                                                                        "ffmpeg died", 0.0)
    assert video.queued_at == queued_at  # the same job: it keeps its place
    run(app, Video.fail(video_id, "Processing failed 3 times"))
    assert run(app, Video.retry(video_id, request_id="r9")) == 1
    video = row(app, video_id)
    assert (video.status, video.error, video.stage, video.started_at, video.finished_at, video.request_id) == \
        ("queued", None, None, None, None, "r9")
    assert video.queued_at > queued_at  # a new job: back of the line


def test_retry_leaves_any_status_but_failed_alone_unless_forced(app):
    ready = make_video(app, status=Status.READY)
    waiting = make_video(app, status=Status.AWAITING_UPLOAD)
    assert run(app, Video.retry([ready, waiting])) == 0
    assert run(app, Video.retry([ready, waiting], force=True)) == 1  # never an upload still on its way
    assert (row(app, ready).status, row(app, waiting).status) == ("queued", "awaiting_upload")


def test_a_rejected_video_is_not_retryable_and_a_retry_clears_the_flag(app):
    video_id = make_video(app, status=Status.PROCESSING)
    run(app, Video.fail(video_id, "not a video file", rejected=True))
    video = row(app, video_id)
    assert (video.status, video.rejected, video.stage, video.retryable) == ("failed", True, None, False)
    run(app, Video.retry(video_id))
    assert row(app, video_id).rejected is False
    legacy = make_video(app, status=Status.FAILED, stage="rejected")  # written by a worker before migration 0005
    assert row(app, legacy).retryable is False
    assert row(app, make_video(app, status=Status.FAILED)).retryable is True
