"""The outbox: same transaction as the status change on the SQL queue; committed, then relayed with retries, on SQS."""

from __future__ import annotations

import json
import uuid

import boto3
import requests
from botocore.config import Config
from sqlalchemy import func, select

from tests.modules.gallery.conftest import new_upload
from tests.ports.conftest import make_sqs_queues, sqs_client, sqs_endpoint  # noqa: F401 - the session fixture
from videoforge import outbox
from videoforge.models import OutboxMessage, QueueMessage, Video
from videoforge.ports.queue import get_queue
from videoforge.ports.queue.sqs import SqsQueue


def uploaded(client, headers) -> str:
    created = new_upload(client, headers, size=3).json
    assert requests.put(created["upload"]["url"], data=b"abc", timeout=10).status_code == 200
    return created["video"]["id"]


def test_a_rolled_back_transaction_leaves_neither_row_nor_job(app):
    queue = get_queue(app)
    assert queue.transactional
    db = app.extensions["videoforge.db"]
    with db.sessions() as session:
        outbox.write(session, queue, outbox.transcode_message("v1", "r1"))
        session.rollback()
    with db.session() as session:
        assert session.scalar(select(func.count()).select_from(OutboxMessage)) == 0
        assert session.scalar(select(func.count()).select_from(QueueMessage)) == 0
    with db.session() as session:
        row = outbox.write(session, queue, outbox.transcode_message("v1", "r1"))
    with db.session() as session:
        assert session.get(OutboxMessage, row.id).sent_at is not None  # delivered with the commit
        assert [m.body for m in session.scalars(select(QueueMessage))] == [
            {"type": "transcode", "video_id": "v1", "request_id": "r1"}]


def test_confirm_carries_the_request_id_into_the_job(app, client, auth_headers):
    headers = auth_headers()
    video_id = uploaded(client, headers)
    response = client.post(f"/api/gallery/videos/{video_id}/confirm", json={},
                           headers={**headers, "X-Request-Id": "req-abc-123"})
    assert response.status_code == 202
    with app.extensions["videoforge.db"].session() as session:
        assert session.scalars(select(QueueMessage)).one().body == {
            "type": "transcode", "video_id": video_id, "request_id": "req-abc-123"}
        assert session.get(Video, video_id).request_id == "req-abc-123"


def receive_all(client, url: str) -> list[dict]:
    messages = client.receive_message(QueueUrl=url, MaxNumberOfMessages=10, WaitTimeSeconds=0).get("Messages", [])
    return [json.loads(m["Body"]) for m in messages]


def test_sqs_confirm_sends_after_commit(app, client, auth_headers, sqs_endpoint):  # noqa: F811
    sqs = sqs_client(sqs_endpoint)
    url, _ = make_sqs_queues(sqs, f"jobs-{uuid.uuid4().hex[:10]}")
    app.extensions["videoforge.queue"] = SqsQueue(sqs, url)
    headers = auth_headers()
    video_id = uploaded(client, headers)
    assert client.post(f"/api/gallery/videos/{video_id}/confirm", json={}, headers=headers).status_code == 202
    assert client.post(f"/api/gallery/videos/{video_id}/confirm", json={}, headers=headers).status_code == 202
    assert [m["video_id"] for m in receive_all(sqs, url)] == [video_id]
    with app.extensions["videoforge.db"].session() as session:
        assert session.scalars(select(OutboxMessage)).one().sent_at is not None


def test_sqs_outage_keeps_the_job_and_the_relay_delivers_it_later(app, client, auth_headers, sqs_endpoint):  # noqa: F811
    sqs = sqs_client(sqs_endpoint)
    url, _ = make_sqs_queues(sqs, f"jobs-{uuid.uuid4().hex[:10]}")
    unreachable = boto3.client("sqs", endpoint_url="http://127.0.0.1:9", region_name="us-east-1",
                               aws_access_key_id="testing", aws_secret_access_key="testing",
                               config=Config(retries={"max_attempts": 1}, connect_timeout=1))
    app.extensions["videoforge.queue"] = SqsQueue(unreachable, url)
    headers = auth_headers()
    video_id = uploaded(client, headers)
    response = client.post(f"/api/gallery/videos/{video_id}/confirm", json={}, headers=headers)
    assert response.status_code == 202 and response.json["status"] == "queued"  # confirmed: the job is in the outbox
    db = app.extensions["videoforge.db"]
    with db.session() as session:
        row = session.scalars(select(OutboxMessage)).one()
        assert row.sent_at is None and row.attempts == 1 and "Error" in row.last_error
    assert outbox.pending_count(db) == 1

    app.extensions["videoforge.queue"] = SqsQueue(sqs, url)  # SQS is back
    result = app.test_cli_runner().invoke(args=["outbox", "relay"])
    assert result.exit_code == 0, result.output
    assert "sent 1, failed 0, still pending 0" in result.output
    assert [m["video_id"] for m in receive_all(sqs, url)] == [video_id]
    assert outbox.relay_pending(db, SqsQueue(sqs, url)).sent == 0  # never sent twice
