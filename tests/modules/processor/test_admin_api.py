"""Admin API: queue status, dead letters, redrive and retry, for admins only."""

from __future__ import annotations

import pytest

from tests.media import make_text_file
from tests.modules.processor.jobs import FAST, queue_video, video
from videoforge.models import Video
from videoforge.modules.processor import scaling
from videoforge.ports.queue import get_queue


@pytest.fixture
def app(make_app):
    return make_app(**FAST, QUEUE_MAX_RECEIVES=2)


@pytest.fixture
def source(tmp_path):
    return make_text_file(tmp_path / "not-really.mp4")  # never transcoded here: only queued


def kill(app, video_id):
    """Run the video's message out of receives, as failing workers would."""
    queue = get_queue(app)
    for _ in range(2):
        message = queue.receive()[0]
        queue.release(message, error="ffmpeg failed (exit status 1): boom")
    assert queue.receive() == []
    with app.extensions["videoforge.db"].session() as session:
        row = session.get(Video, video_id)
        row.status, row.error = "failed", "Processing failed 2 times; last error: boom"


@pytest.mark.parametrize("path, method", [
    ("/api/admin/queue", "get"), ("/api/admin/dead-letters", "get"),
    ("/api/admin/dead-letters/redrive", "post"), ("/api/admin/videos/" + "a" * 32 + "/retry", "post"),
])
def test_only_admins_may_call(client, auth_headers, path, method):
    assert getattr(client, method)(path).status_code == 401
    response = getattr(client, method)(path, headers=auth_headers())
    assert response.status_code == 403
    assert response.get_json()["code"] == 403


def test_queue_status(app, client, auth_headers, source):
    for _ in range(3):
        queue_video(app, source)
    get_queue(app).receive()
    scaling.beat(app.extensions["videoforge.db"], "host:1:worker", concurrency=2, busy=1, in_process=False)
    body = client.get("/api/admin/queue", headers=auth_headers(groups=["admin"])).get_json()
    assert (body["depth"], body["in_flight"], body["dead_letters"], body["workers"]) == (2, 1, 0, 2)
    assert body["backlog_per_worker"] == 1.0
    assert [(w["id"], w["busy"]) for w in body["worker_processes"]] == [("host:1:worker", 1)]


def test_dead_letters_list_and_redrive(app, client, auth_headers, source):
    admin = auth_headers(groups=["admin"])
    video_id = queue_video(app, source)
    kill(app, video_id)
    assert client.get("/api/admin/queue", headers=admin).get_json()["dead_letters"] == 1
    letters = client.get("/api/admin/dead-letters", headers=admin).get_json()
    assert len(letters) == 1
    assert (letters[0]["video_id"], letters[0]["receive_count"]) == (video_id, 2)
    assert letters[0]["error"] == "ffmpeg failed (exit status 1): boom"
    response = client.post("/api/admin/dead-letters/redrive", json={"ids": [letters[0]["id"]]}, headers=admin)
    assert response.status_code == 200 and response.get_json() == {"redriven": 1}
    assert client.get("/api/admin/dead-letters", headers=admin).get_json() == []
    assert video(app, video_id).status == "queued"
    assert get_queue(app).receive()[0].body["video_id"] == video_id


def test_retry_a_failed_video(app, client, auth_headers, source):
    admin = auth_headers(groups=["admin"])
    video_id = queue_video(app, source, send=False)
    response = client.post(f"/api/admin/videos/{video_id}/retry", headers=admin)
    assert response.status_code == 409 and "not failed" in response.get_json()["message"]
    with app.extensions["videoforge.db"].session() as session:
        session.get(Video, video_id).status = "failed"
    response = client.post(f"/api/admin/videos/{video_id}/retry", headers=admin)
    assert response.status_code == 202 and response.get_json() == {"id": video_id, "status": "queued"}
    assert get_queue(app).receive()[0].body["video_id"] == video_id
    assert client.post(f"/api/admin/videos/{'f' * 32}/retry", headers=admin).status_code == 404
    forced = client.post(f"/api/admin/videos/{video_id}/retry", json={"force": True}, headers=admin)
    assert forced.status_code == 202


def test_cli_dlq_and_retry(app, source):
    video_id = queue_video(app, source)
    kill(app, video_id)
    runner = app.test_cli_runner()
    listed = runner.invoke(args=["dlq", "list"])
    assert listed.exit_code == 0 and video_id in listed.output and "boom" in listed.output
    assert "redrove 1 message(s)" in runner.invoke(args=["dlq", "redrive"]).output
    assert "no dead letters" in runner.invoke(args=["dlq", "list"]).output
    refused = runner.invoke(args=["video", "retry", video_id])
    assert refused.exit_code != 0 and "not failed" in refused.output
    assert runner.invoke(args=["video", "retry", video_id, "--force"]).exit_code == 0
