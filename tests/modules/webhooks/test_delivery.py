"""Webhooks end to end on SQLite and PostgreSQL: a real transcode's video.ready reaches a receiver on loopback once,
signed; duplicates of one transition announce once; a receiver that is down gets its event when it is back; a
failed transcode and a delete announce themselves; a rolled-back change announces nothing."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from tests.conftest import token_for
from tests.media import make_clip, make_text_file
from tests.modules.processor.jobs import FAST, job_for, queue_video, wait_for
from tests.modules.webhooks.conftest import (
    Receiver,
    add_video,
    deliver,
    deliveries_of,
    expected_signature,
    owner_of,
    register,
)
from videoforge.models import Video, WebhookAttempt, WebhookDelivery, WebhookEndpoint, WebhookEvent, utcnow
from videoforge.modules.processor import service as processor
from videoforge.modules.processor.worker import Worker
from videoforge.ports.queue import get_queue
from videoforge.webhooks import EventType
from videoforge.webhooks.events import record_event


@pytest.fixture(scope="module")
def clip(tmp_path_factory):
    return make_clip(tmp_path_factory.mktemp("clips") / "clip.mp4", 320, 180, seconds=2)


@pytest.fixture
def app(make_app):
    return make_app(WEBHOOK_ALLOW_LOOPBACK=True, **FAST)


def run_job(app) -> str:
    [message] = get_queue(app).receive(max_messages=1)
    return processor.handle_message(job_for(app), message)


def give_to(app, video_id: str, owner_id: str) -> None:
    with app.extensions["videoforge.db"].session() as session:
        session.get(Video, video_id).owner_id = owner_id


def finish(app, video_id: str) -> None:
    """What finish_video does to the row, in one transaction: ready, and its event."""
    with app.extensions["videoforge.db"].session() as session:
        session.execute(Video.finish(video_id))
        record_event(session, session.get(Video, video_id), EventType.VIDEO_READY)


def test_a_transcoded_video_is_announced_once_to_its_owner_signed(app, client, auth_headers, receiver, clip):
    owner = auth_headers()
    endpoint = register(client, owner, receiver.url(), events=["video.ready", "video.failed"])
    stranger = register(client, auth_headers(), receiver.url("/stranger"))
    video_id = queue_video(app, clip, title="Beach")
    give_to(app, video_id, owner_of(app, endpoint["id"]))

    assert run_job(app) == "done"
    assert deliver(app) and deliver(app) == {}  # a second pass finds nothing left to send

    [request] = receiver.requests
    assert request.path == "/hook"
    assert expected_signature(endpoint["secret"], request.headers["VideoForge-Signature"], request.body)
    body = json.loads(request.body)
    assert body["type"] == "video.ready" == request.headers["VideoForge-Event"]
    assert body["id"] == request.headers["VideoForge-Event-Id"]
    assert body["data"]["video"]["id"] == video_id
    assert body["data"]["video"]["status"] == "ready" and body["data"]["video"]["title"] == "Beach"
    assert "source_key" not in body["data"]["video"]
    assert request.headers["Content-Type"] == "application/json"
    assert not expected_signature(stranger["secret"], request.headers["VideoForge-Signature"], request.body)
    [delivery] = deliveries_of(app, endpoint["id"])
    assert (delivery.status, delivery.attempts, delivery.last_status_code) == ("delivered", 1, 200)
    assert deliveries_of(app, stranger["id"]) == []  # another owner's endpoint hears nothing of it


def test_one_transition_recorded_twice_is_announced_once_and_a_new_job_again(app, client, auth_headers, receiver):
    endpoint = register(client, auth_headers(), receiver.url())
    video_id = add_video(app, owner_of(app, endpoint["id"]))
    finish(app, video_id)
    finish(app, video_id)  # a second worker finishing the same job (a redelivered message)
    deliver(app)
    assert len(receiver.requests) == 1

    with app.extensions["videoforge.db"].session() as session:  # an operator's forced retry: a new job
        session.execute(Video.retry(video_id, force=True))
        session.execute(Video.start(video_id, "downloading"))
    finish(app, video_id)
    deliver(app)
    first, second = (json.loads(r.body) for r in receiver.requests)
    assert first["type"] == second["type"] == "video.ready" and first["id"] != second["id"]


def test_a_receiver_that_is_down_gets_the_event_once_it_is_back(app, client, auth_headers):
    down = Receiver()
    port = down.port
    down.stop()
    endpoint = register(client, auth_headers(), f"http://127.0.0.1:{port}/hook")
    finish(app, add_video(app, owner_of(app, endpoint["id"])))

    assert list(deliver(app).values()) == ["pending"]
    [delivery] = deliveries_of(app, endpoint["id"])
    assert delivery.last_error == "connection refused" and delivery.next_attempt_at > utcnow()
    assert deliver(app) == {}  # not due yet: back-off

    later = delivery.next_attempt_at + timedelta(seconds=1)
    assert list(deliver(app, now=later).values()) == ["pending"]  # still down: waits twice as long
    [delivery] = deliveries_of(app, endpoint["id"])
    assert delivery.attempts == 2 and delivery.next_attempt_at - later == timedelta(seconds=60)

    back = Receiver(port)
    try:
        assert list(deliver(app, now=delivery.next_attempt_at + timedelta(seconds=1)).values()) == ["delivered"]
        assert len(back.requests) == 1 and json.loads(back.requests[0].body)["type"] == "video.ready"
    finally:
        back.stop()
    with app.extensions["videoforge.db"].session() as session:
        log = session.scalars(select(WebhookAttempt).order_by(WebhookAttempt.id)).all()
        assert [(a.status_code, a.error) for a in log] == [
            (None, "connection refused"), (None, "connection refused"), (200, None)]
        assert log[-1].response == "thanks" and all(a.duration_ms >= 0 for a in log)


def test_a_delivery_fails_after_a_day_of_refusals(app, client, auth_headers, receiver):
    receiver.status, receiver.reply = 500, b"database down"
    endpoint = register(client, auth_headers(), receiver.url())
    finish(app, add_video(app, owner_of(app, endpoint["id"])))
    deliver(app)
    [delivery] = deliveries_of(app, endpoint["id"])
    assert (delivery.status, delivery.last_status_code, delivery.last_error) == ("pending", 500, "answered 500")

    a_day_on = delivery.created_at + timedelta(days=1, seconds=1)
    assert list(deliver(app, now=a_day_on).values()) == ["failed"]
    assert deliveries_of(app, endpoint["id"])[0].next_attempt_at is None
    assert deliver(app, now=a_day_on + timedelta(days=1)) == {}


def test_a_failed_transcode_is_announced_with_its_reason(app, client, auth_headers, receiver, tmp_path):
    endpoint = register(client, auth_headers(), receiver.url(), events=["video.failed"])
    video_id = queue_video(app, make_text_file(tmp_path / "list.mp4"))
    give_to(app, video_id, owner_of(app, endpoint["id"]))
    assert run_job(app) == "failed"
    deliver(app)
    [request] = receiver.requests
    body = json.loads(request.body)
    video = body["data"]["video"]
    assert body["type"] == "video.failed" and video["id"] == video_id and video["status"] == "failed"
    assert video["error"] and video["error"] == processor_error(app, video_id) and video["retryable"] is False


def processor_error(app, video_id: str) -> str:
    with app.extensions["videoforge.db"].session() as session:
        return session.get(Video, video_id).error


def test_deleting_a_video_announces_it(app, client, auth_headers, receiver):
    owner = auth_headers()
    endpoint = register(client, owner, receiver.url(), events=["video.deleted"])
    video_id = add_video(app, owner_of(app, endpoint["id"]), status="ready")
    finish(app, video_id)  # not subscribed: no event
    assert client.delete(f"/api/gallery/videos/{video_id}", headers=owner).status_code == 204
    deliver(app)
    [request] = receiver.requests
    body = json.loads(request.body)
    assert body["type"] == "video.deleted" and body["data"]["video"]["id"] == video_id


def test_a_change_rolled_back_announces_nothing(app, client, auth_headers, receiver):
    endpoint = register(client, auth_headers(), receiver.url())
    video_id = add_video(app, owner_of(app, endpoint["id"]))
    with pytest.raises(RuntimeError), app.extensions["videoforge.db"].session() as session:
        session.execute(Video.finish(video_id))
        record_event(session, session.get(Video, video_id), EventType.VIDEO_READY)
        raise RuntimeError("the transaction fails after the event was written")
    with app.extensions["videoforge.db"].session() as session:
        assert session.scalar(select(func.count()).select_from(WebhookEvent)) == 0
        assert session.get(Video, video_id).status == "processing"
    assert deliver(app) == {} and receiver.requests == []


def test_a_disabled_endpoint_gets_nothing(app, client, auth_headers, receiver):
    owner = auth_headers()
    endpoint = register(client, owner, receiver.url())
    video_id = add_video(app, owner_of(app, endpoint["id"]))
    finish(app, video_id)  # pending when the endpoint is disabled: it fails, unsent
    client.patch(f"/api/webhooks/{endpoint['id']}", json={"enabled": False}, headers=owner)
    assert list(deliver(app).values()) == ["failed"]
    assert receiver.requests == []
    assert deliveries_of(app, endpoint["id"])[0].last_error == "not sent: the endpoint is disabled"


def test_the_worker_sends_deliveries_by_itself(app, client, auth_headers, receiver):
    """The all-in-one's in-process worker runs the dispatcher: nobody calls deliver_due here."""
    endpoint = register(client, auth_headers(), receiver.url())
    finish(app, add_video(app, owner_of(app, endpoint["id"])))
    worker = Worker(app, in_process=True).start_background()
    try:
        wait_for(lambda: receiver.requests, 15, "the worker's dispatcher to deliver")
    finally:
        worker.stop(hand_back=True, timeout=15)
    assert len(receiver.requests) == 1 and deliveries_of(app, endpoint["id"])[0].status == "delivered"


def test_secrets_outlive_a_secret_key_rotation(make_app, receiver):
    before = make_app(WEBHOOK_ALLOW_LOOPBACK=True, SECRET_KEY="the key before")
    endpoint = register(before.test_client(), {"Authorization": f"Bearer {token_for(before)}"}, receiver.url())
    finish(before, add_video(before, owner_of(before, endpoint["id"])))
    sealed = stored_secret(before, endpoint["id"])

    after = make_app(WEBHOOK_ALLOW_LOOPBACK=True, SECRET_KEY="the key after", SECRET_KEY_FALLBACKS=["the key before"])
    assert list(deliver(after).values()) == ["delivered"]
    [request] = receiver.requests
    assert expected_signature(endpoint["secret"], request.headers["VideoForge-Signature"], request.body)
    assert stored_secret(after, endpoint["id"]) != sealed  # sealed again under the new key

    lost = make_app(WEBHOOK_ALLOW_LOOPBACK=True, SECRET_KEY="a key nobody kept")
    finish(lost, add_video(lost, owner_of(lost, endpoint["id"])))
    assert list(deliver(lost).values()) == ["failed"]
    assert "secret no longer opens" in deliveries_of(lost, endpoint["id"])[-1].last_error
    assert len(receiver.requests) == 1


def stored_secret(app, endpoint_id: str) -> str:
    with app.extensions["videoforge.db"].session() as session:
        return session.get(WebhookEndpoint, endpoint_id).secret


def test_deleting_an_account_takes_its_endpoints_and_their_events_with_it(app, client, receiver):
    password = "a long enough password 7"
    assert client.post("/api/auth/signup", json={"email": "gone@example.test", "password": password}).status_code == 201
    token = client.post("/api/auth/token", json={"email": "gone@example.test", "password": password}).get_json()
    owner = {"Authorization": f"Bearer {token['access_token']}"}
    endpoint = register(client, owner, receiver.url(), events=["video.deleted"])
    add_video(app, owner_of(app, endpoint["id"]), status="ready")
    assert client.delete("/api/auth/account", headers=owner, json={"password": password}).status_code == 204
    with app.extensions["videoforge.db"].session() as session:
        for table in (WebhookEndpoint, WebhookEvent, WebhookDelivery):
            assert session.scalar(select(func.count()).select_from(table)) == 0, table
    assert deliver(app) == {} and receiver.requests == []
