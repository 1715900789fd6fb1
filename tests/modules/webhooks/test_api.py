"""The webhooks API on SQLite and PostgreSQL: endpoints are their owner's alone, secrets are shown once and kept
sealed, a test event and a replay reach the receiver, and the delivery log says what happened."""

from __future__ import annotations

import json

from sqlalchemy import select

from tests.conftest import token_for
from tests.modules.webhooks.conftest import add_video, deliver, expected_signature, owner_of, register
from videoforge.models import Video, WebhookEndpoint
from videoforge.webhooks import EventType
from videoforge.webhooks.events import record_event


def test_an_owner_registers_lists_changes_and_deletes_endpoints(app, client, auth_headers, receiver):
    owner = auth_headers()
    created = register(client, owner, receiver.url(), events=["video.failed", "video.ready", "video.ready"],
                       description="CI")
    assert created["secret"].startswith("whsec_") and len(created["secret"]) > 40
    assert created["events"] == ["video.ready", "video.failed"] and created["enabled"] is True

    listed = client.get("/api/webhooks", headers=owner).get_json()
    assert [e["id"] for e in listed] == [created["id"]] and "secret" not in listed[0]
    assert "secret" not in client.get(f"/api/webhooks/{created['id']}", headers=owner).get_json()

    changed = client.patch(f"/api/webhooks/{created['id']}", json={"enabled": False, "events": ["video.deleted"]},
                           headers=owner)
    assert changed.status_code == 200
    assert (changed.get_json()["enabled"], changed.get_json()["events"]) == (False, ["video.deleted"])

    assert client.delete(f"/api/webhooks/{created['id']}", headers=owner).status_code == 204
    assert client.get("/api/webhooks", headers=owner).get_json() == []


def test_the_secret_is_stored_sealed_not_in_the_clear(app, client, auth_headers, receiver):
    created = register(client, auth_headers(), receiver.url())
    with app.extensions["videoforge.db"].session() as session:
        stored = session.get(WebhookEndpoint, created["id"]).secret
    assert stored.startswith("v1:") and created["secret"] not in stored and created["secret"][6:] not in stored


def test_bad_requests_are_refused_with_the_field_named(app, client, auth_headers, receiver):
    owner = auth_headers()
    for body in ({"url": receiver.url(), "events": []}, {"url": receiver.url(), "events": ["video.played"]},
                 {"url": receiver.url()}, {"events": ["video.ready"]}, {"url": "x" * 3000, "events": ["video.ready"]}):
        response = client.post("/api/webhooks", json=body, headers=owner)
        assert response.status_code == 422, body
        assert response.get_json()["errors"]["json"]
    assert client.post("/api/webhooks", json={"url": receiver.url(), "events": ["video.ready"]}).status_code == 401


def test_endpoints_are_their_owners_alone(app, client, auth_headers, receiver):
    owner, other = auth_headers(), auth_headers()
    endpoint = register(client, owner, receiver.url())
    register(client, other, receiver.url("/other"))
    path = f"/api/webhooks/{endpoint['id']}"
    assert [e["url"] for e in client.get("/api/webhooks", headers=other).get_json()] == [receiver.url("/other")]
    assert client.get(path, headers=other).status_code == 404
    assert client.patch(path, json={"enabled": False}, headers=other).status_code == 404
    assert client.delete(path, headers=other).status_code == 404
    assert client.post(f"{path}/test", headers=other).status_code == 404
    assert client.get(f"{path}/deliveries", headers=other).status_code == 404

    test = client.post(f"{path}/test", headers=owner).get_json()
    deliver(app)
    assert client.post(f"/api/webhooks/deliveries/{test['id']}/replay", headers=other).status_code == 404
    assert client.get(path, headers=owner).get_json()["enabled"] is True
    assert len(receiver.requests) == 1


def test_a_test_event_and_a_replay_reach_the_receiver_and_the_log(app, client, auth_headers, receiver):
    owner = auth_headers()
    endpoint = register(client, owner, receiver.url(), events=["video.deleted"])
    sent = client.post(f"/api/webhooks/{endpoint['id']}/test", headers=owner)
    assert sent.status_code == 202 and sent.get_json()["status"] == "pending"
    assert sent.get_json()["event_type"] == "webhook.test"
    deliver(app)
    [first] = receiver.requests
    assert json.loads(first.body)["type"] == "webhook.test"
    assert expected_signature(endpoint["secret"], first.headers["VideoForge-Signature"], first.body)

    log = client.get(f"/api/webhooks/{endpoint['id']}/deliveries", headers=owner)
    [entry] = log.get_json()
    assert json.loads(log.headers["X-Pagination"])["total"] == 1
    assert (entry["status"], entry["attempt_count"], entry["last_status_code"]) == ("delivered", 1, 200)
    [attempt] = entry["attempts"]
    assert (attempt["status_code"], attempt["response"], attempt["error"]) == (200, "thanks", None)
    assert attempt["duration_ms"] >= 0

    replayed = client.post(f"/api/webhooks/deliveries/{entry['id']}/replay", headers=owner)
    assert replayed.status_code == 202
    assert (replayed.get_json()["replay_of"], replayed.get_json()["event_id"]) == (entry["id"], entry["event_id"])
    deliver(app)
    assert len(receiver.requests) == 2
    again = receiver.requests[1]
    assert again.headers["VideoForge-Event-Id"] == first.headers["VideoForge-Event-Id"]  # the receiver de-dups it
    assert again.body == first.body
    assert expected_signature(endpoint["secret"], again.headers["VideoForge-Signature"], again.body)
    assert [d["status"] for d in client.get(f"/api/webhooks/{endpoint['id']}/deliveries",
                                            headers=owner).get_json()] == ["delivered", "delivered"]


def test_replaying_a_delivery_still_being_retried_sends_it_now(app, client, auth_headers, receiver):
    owner = auth_headers()
    receiver.status = 503
    endpoint = register(client, owner, receiver.url())
    video_id = add_video(app, owner_of(app, endpoint["id"]))
    with app.extensions["videoforge.db"].session() as session:
        session.execute(Video.finish(video_id))
        record_event(session, session.get(Video, video_id), EventType.VIDEO_READY)
    deliver(app)
    [waiting] = client.get(f"/api/webhooks/{endpoint['id']}/deliveries", headers=owner).get_json()
    assert waiting["status"] == "pending" and waiting["last_error"] == "answered 503"
    receiver.status = 204
    replayed = client.post(f"/api/webhooks/deliveries/{waiting['id']}/replay", headers=owner).get_json()
    assert replayed["id"] == waiting["id"]  # the same delivery, due now: no second copy on its way
    assert list(deliver(app).values()) == ["delivered"]
    assert len(receiver.requests) == 2


def test_a_disabled_endpoint_takes_no_test_or_replay(app, client, auth_headers, receiver):
    owner = auth_headers()
    endpoint = register(client, owner, receiver.url())
    test = client.post(f"/api/webhooks/{endpoint['id']}/test", headers=owner).get_json()
    deliver(app)
    client.patch(f"/api/webhooks/{endpoint['id']}", json={"enabled": False}, headers=owner)
    assert client.post(f"/api/webhooks/{endpoint['id']}/test", headers=owner).status_code == 409
    assert client.post(f"/api/webhooks/deliveries/{test['id']}/replay", headers=owner).status_code == 409


def test_an_owner_may_have_so_many_endpoints(make_app, receiver):
    app = make_app(WEBHOOK_ALLOW_LOOPBACK=True, WEBHOOK_MAX_ENDPOINTS=2)
    client, owner = app.test_client(), {"Authorization": f"Bearer {token_for(app)}"}
    register(client, owner, receiver.url("/1"))
    register(client, owner, receiver.url("/2"))
    refused = client.post("/api/webhooks", json={"url": receiver.url("/3"), "events": ["video.ready"]}, headers=owner)
    assert refused.status_code == 409 and "delete one first" in refused.get_json()["message"]
    with app.extensions["videoforge.db"].session() as session:
        assert len(session.scalars(select(WebhookEndpoint)).all()) == 2
