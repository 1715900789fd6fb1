"""Concurrency and worker faults on PostgreSQL with real processes: 20 parallel uploads and confirms make exactly
20 jobs; 4 worker processes run them each exactly once; a worker killed on every attempt dead-letters the job."""

from __future__ import annotations

import os
import re
import signal
import subprocess
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta
from pathlib import Path

import pytest
import requests
from sqlalchemy import func, select, update

from tests.conftest import token_for
from tests.live_server import LiveServer
from tests.media import make_clip
from tests.modules.processor.jobs import queue_video, referenced_files, stored_files, wait_for
from tests.modules.processor.jobs import start_worker as start_processor_worker
from videoforge.models import MediaAsset, OutboxMessage, QueueMessage, Video, utcnow
from videoforge.ports.queue import get_queue

pytestmark = [pytest.mark.postgres, pytest.mark.slow, pytest.mark.timeout(300)]

FAST = {"LADDER_HEIGHTS": [144], "SEGMENT_SECONDS": 2, "RETRY_BACKOFF_SECONDS": 0, "WORKER_POLL_SECONDS": 0.2,
        "QUEUE_VISIBILITY_TIMEOUT": 30}


@pytest.fixture(scope="module")
def clip3(tmp_path_factory) -> Path:
    """A 3 s clip: see test_a_two_second_clip_is_transcoded for why not the 2 s one."""
    return make_clip(tmp_path_factory.mktemp("clip3") / "clip3.mp4", 320, 180, seconds=3)


@pytest.fixture
def live(make_app):
    server = LiveServer()
    app = make_app(PUBLIC_URL=server.url, RATE_LIMIT_PER_MINUTE=0, **FAST)
    server.serve(app)
    yield app, server.url
    server.stop()


def start_worker(app, *args: str, **settings) -> subprocess.Popen:
    """`videoforge worker` as operators run it, with this file's one-rung ladder; warnings only (four share output)."""
    return start_processor_worker(app, *args, **{**FAST, "QUEUE_VISIBILITY_TIMEOUT": 3, "LOG_LEVEL": "WARNING",
                                                 **settings})


@pytest.mark.parametrize("database_url", ["postgres"], indirect=True)
def test_20_parallel_uploads_make_20_jobs_and_4_workers_run_each_once(live, clip3):
    app, url = live
    data = clip3.read_bytes()
    users = [{"Authorization": f"Bearer {token_for(app)}"} for _ in range(5)]

    def upload_and_confirm(number: int) -> str:
        headers = users[number % 5]
        created = requests.post(f"{url}/api/gallery/uploads", headers=headers, timeout=60, json={
            "title": f"parallel {number}", "filename": "clip.mp4", "size": len(data), "content_type": "video/mp4"})
        assert created.status_code == 201, created.text
        plan, video_id = created.json()["upload"], created.json()["video"]["id"]
        assert requests.put(plan["url"], data=data, headers=plan["headers"], timeout=60).status_code == 200
        confirm = f"{url}/api/gallery/videos/{video_id}/confirm"
        # Two confirms racing for the same video (a double click, a client retry): still one job.
        with ThreadPoolExecutor(2) as twice:
            answers = list(twice.map(lambda _: requests.post(confirm, headers=headers, json={}, timeout=60), range(2)))
        assert [a.status_code for a in answers] == [202, 202], [a.text for a in answers]
        return video_id

    with ThreadPoolExecutor(20) as pool:
        ids = list(pool.map(upload_and_confirm, range(20)))
    db = app.extensions["videoforge.db"]
    with db.session() as s:
        jobs = sorted(m.body["video_id"] for m in s.scalars(select(QueueMessage)))
        outbox = sorted(m.payload["video_id"] for m in s.scalars(select(OutboxMessage)))
        statuses = set(s.scalars(select(Video.status)))
    assert jobs == outbox == sorted(ids) and len(set(ids)) == 20  # exactly one job per upload
    assert statuses == {"queued"}

    workers = [start_worker(app, "--burst") for _ in range(4)]
    outputs = []
    try:
        for worker in workers:
            out, _ = worker.communicate(timeout=240)
            outputs.append(out.decode())
            assert worker.returncode == 0, out.decode()[-2000:]
    finally:
        for worker in workers:
            if worker.poll() is None:
                os.killpg(worker.pid, signal.SIGKILL)
    done = [int(m.group(1)) for out in outputs for m in re.finditer(r"\bdone (\d+)", out)]
    assert sum(done) == 20, outputs  # the four workers together processed 20 jobs: none twice, none skipped
    with db.session() as s:
        rows = s.scalars(select(Video)).all()
        assert {(v.status, v.attempts) for v in rows} == {("ready", 1)}  # each processed exactly once
        per_video = dict(s.execute(select(MediaAsset.video_id, func.count()).group_by(MediaAsset.video_id)).all())
    # One rung: variant, poster, storyboard, thumbnails; a duplicate asset row would make it more.
    assert len(per_video) == 20 and set(per_video.values()) == {4}, per_video
    depth = get_queue(app).depth()
    assert (depth.visible, depth.in_flight, depth.dead) == (0, 0, 0)
    for video_id in ids:
        assert stored_files(app, video_id) == referenced_files(app, video_id)  # nothing orphaned


@pytest.mark.parametrize("database_url", ["postgres"], indirect=True)
def test_a_worker_killed_on_every_attempt_dead_letters_the_job_and_fails_the_video(make_app, clip3):
    app = make_app(**FAST, QUEUE_MAX_RECEIVES=3)
    video_id = queue_video(app, clip3)
    db = app.extensions["videoforge.db"]
    with db.session() as s:  # confirmed a while ago, so housekeeping does not mistake it for a redrive in progress
        s.execute(update(Video).where(Video.id == video_id).values(queued_at=utcnow() - timedelta(minutes=10)))

    def attempts() -> int:
        with db.session() as s:
            return s.get(Video, video_id).attempts

    for attempt in (1, 2, 3):
        wait_for(lambda: get_queue(app).depth().visible == 1, 20, f"the job to be visible for attempt {attempt}")
        worker = start_worker(app, X264_PRESET="slower")
        try:
            wait_for(lambda n=attempt: attempts() == n, 60, f"attempt {attempt} to start")
        finally:
            os.killpg(worker.pid, signal.SIGKILL)  # the machine dies mid-job, ffmpeg and all
            worker.wait(10)
    wait_for(lambda: get_queue(app).depth().visible == 1, 20, "the job to come back after the last kill")
    for _ in range(2):  # the first marks the message dead on its 4th receive; housekeeping then fails the video
        worker = start_worker(app, "--burst")
        out, _ = worker.communicate(timeout=60)
        assert worker.returncode == 0, out.decode()[-2000:]
    with db.session() as s:
        video = s.get(Video, video_id)
        assert video.status == "failed" and video.attempts == 3
        assert "failed 3 times" in video.error, video.error
    depth = get_queue(app).depth()
    assert (depth.visible, depth.in_flight, depth.dead) == (0, 0, 1)
    admin = {"Authorization": f"Bearer {token_for(app, groups=['admin'])}"}
    client = app.test_client()
    letters = client.get("/api/admin/dead-letters", headers=admin).json
    assert [(d["video_id"], d["receive_count"]) for d in letters] == [(video_id, 3)]
    assert "failed 3 times" in letters[0]["error"]
    # An operator redrives it once the cause is fixed: it completes, leaving no orphaned objects behind.
    assert client.post("/api/admin/dead-letters/redrive", headers=admin, json={}).json == {"redriven": 1}
    worker = start_worker(app, "--burst")
    out, _ = worker.communicate(timeout=120)
    assert worker.returncode == 0, out.decode()[-2000:]
    with db.session() as s:
        assert s.get(Video, video_id).status == "ready"
    assert stored_files(app, video_id) == referenced_files(app, video_id)


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_a_two_second_clip_is_transcoded(make_app, clip):
    from tests.modules.processor.jobs import job_for
    from videoforge.modules.processor.service import handle_message

    app = make_app(**FAST)
    video_id = queue_video(app, clip)
    message = get_queue(app).receive()[0]
    assert handle_message(job_for(app), message) == "done"
    with app.extensions["videoforge.db"].session() as s:
        assert s.get(Video, video_id).status == "ready"
