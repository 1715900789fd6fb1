"""Rolling an endpoint's signing secret, on SQLite and PostgreSQL: the new secret is shown once; a receiver on
loopback gets deliveries signed with the new and the old secret while the old one lives, then with the new alone;
only the owner may roll; bad input is named; no secret reaches the logs; a roll and the sender's housekeeping that
cross do not undo each other."""

from __future__ import annotations

import hashlib
import hmac
import importlib.util
import logging
from datetime import datetime, timedelta
from pathlib import Path

import pytest

from tests.conftest import token_for
from tests.modules.webhooks.conftest import deliver, expected_signature, register, signature_fields
from videoforge import sealing
from videoforge.models import User, WebhookEndpoint, utcnow
from videoforge.modules.webhooks import service
from videoforge.webhooks import endpoint_secret

EXAMPLE = Path(__file__).resolve().parents[3] / "docs" / "examples" / "upload_and_wait.py"


def roll(client, headers, endpoint_id: str, **body):
    return client.post(f"/api/webhooks/{endpoint_id}/secret", json=body, headers=headers)


def rolled(client, headers, endpoint_id: str, **body) -> dict:
    answer = roll(client, headers, endpoint_id, **body)
    assert answer.status_code == 200, answer.get_json()
    return answer.get_json()


def send_test_event(app, client, headers, endpoint_id: str, now: datetime | None = None):
    """Send a webhook.test event and deliver it (at `now`, when time is moved on)."""
    assert client.post(f"/api/webhooks/{endpoint_id}/test", headers=headers).status_code == 202
    assert list(deliver(app, now=now).values()) == ["delivered"]


def hmac_of(secret: str, t: str, body: bytes) -> str:
    return hmac.new(secret.encode(), f"{t}.".encode() + body, hashlib.sha256).hexdigest()


def stored(app, endpoint_id: str) -> WebhookEndpoint:
    with app.extensions["videoforge.db"].session() as session:
        endpoint = session.get(WebhookEndpoint, endpoint_id)
        session.expunge(endpoint)
        return endpoint


def test_a_roll_shows_the_new_secret_once_and_keeps_the_old_one_sealed(app, client, auth_headers, receiver):
    owner = auth_headers()
    created = register(client, owner, receiver.url())
    before = utcnow()
    answer = roll(client, owner, created["id"])
    assert answer.status_code == 200 and answer.headers["Cache-Control"] == "no-store"
    new = answer.get_json()
    assert new["secret"].startswith("whsec_") and len(new["secret"]) > 40 and new["secret"] != created["secret"]
    assert (new["id"], new["url"], new["events"]) == (created["id"], created["url"], created["events"])
    until = datetime.fromisoformat(new["previous_secret_expires_at"])
    assert before + timedelta(hours=24) <= until <= utcnow() + timedelta(hours=24)  # the default overlap

    for later in (
        client.get(f"/api/webhooks/{created['id']}", headers=owner),
        client.get("/api/webhooks", headers=owner),
    ):
        assert later.status_code == 200
        text = later.get_data(as_text=True)
        assert 'secret"' not in text.replace("previous_secret_expires_at", "")
        assert new["secret"] not in text and created["secret"] not in text
    assert (
        client.get(f"/api/webhooks/{created['id']}", headers=owner).get_json()["previous_secret_expires_at"]
        == (new["previous_secret_expires_at"])
    )

    row = stored(app, created["id"])
    assert row.secret.startswith("v1:") and row.previous_secret.startswith("v1:")
    for secret in (new["secret"], created["secret"]):
        assert secret not in row.secret and secret not in row.previous_secret
    keys = sealing.keys_of(app.config)
    opened = [sealing.unseal(keys, "webhook secret", row.id, value)[0] for value in (row.secret, row.previous_secret)]
    assert opened == [new["secret"], created["secret"]]


def test_during_the_overlap_each_delivery_carries_both_signatures(app, client, auth_headers, receiver):
    owner = auth_headers()
    created = register(client, owner, receiver.url())
    new = rolled(client, owner, created["id"], expire_old_in_hours=2)
    send_test_event(app, client, owner, created["id"])

    [request] = receiver.requests
    header = request.headers["VideoForge-Signature"]
    t, v1s = signature_fields(header)
    assert header == f"t={t},v1={v1s[0]},v1={v1s[1]}" and len(v1s) == 2
    assert v1s == [hmac_of(new["secret"], t, request.body), hmac_of(created["secret"], t, request.body)]
    # A receiver holding either secret accepts it, by the documented check and by the example script's.
    verified = example_verified()
    for secret in (new["secret"], created["secret"]):
        assert expected_signature(secret, header, request.body) and verified(secret, header, request.body)
    stranger = register(client, auth_headers(), receiver.url("/other"))["secret"]
    assert not expected_signature(stranger, header, request.body) and not verified(stranger, header, request.body)


def example_verified():
    """docs/examples/upload_and_wait.py's signature check, loaded from the file."""
    spec = importlib.util.spec_from_file_location("upload_and_wait", EXAMPLE)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.verified


def test_after_the_overlap_only_the_new_secret_signs_and_the_old_one_is_forgotten(app, client, auth_headers, receiver):
    owner = auth_headers()
    created = register(client, owner, receiver.url())
    new = rolled(client, owner, created["id"], expire_old_in_hours=1)
    until = datetime.fromisoformat(new["previous_secret_expires_at"])
    send_test_event(app, client, owner, created["id"], now=until + timedelta(seconds=1))

    [request] = receiver.requests
    t, v1s = signature_fields(request.headers["VideoForge-Signature"])
    assert v1s == [hmac_of(new["secret"], t, request.body)]
    assert not expected_signature(created["secret"], request.headers["VideoForge-Signature"], request.body)
    row = stored(app, created["id"])
    assert (row.previous_secret, row.previous_secret_expires_at) == (None, None)  # not kept sealed past its time
    assert client.get(f"/api/webhooks/{created['id']}", headers=owner).get_json()["previous_secret_expires_at"] is None


def test_an_expired_old_secret_is_shown_as_none_before_any_delivery_forgets_it(app, client, auth_headers, receiver):
    owner = auth_headers()
    created = register(client, owner, receiver.url())
    rolled(client, owner, created["id"])
    with app.extensions["videoforge.db"].session() as session:
        session.get(WebhookEndpoint, created["id"]).previous_secret_expires_at = utcnow() - timedelta(seconds=1)
    assert client.get(f"/api/webhooks/{created['id']}", headers=owner).get_json()["previous_secret_expires_at"] is None
    [listed] = client.get("/api/webhooks", headers=owner).get_json()
    assert listed["previous_secret_expires_at"] is None
    send_test_event(app, client, owner, created["id"])
    assert len(signature_fields(receiver.requests[0].headers["VideoForge-Signature"])[1]) == 1


def test_an_overlap_of_zero_stops_the_old_secret_at_once(app, client, auth_headers, receiver):
    owner = auth_headers()
    created = register(client, owner, receiver.url())
    new = rolled(client, owner, created["id"], expire_old_in_hours=0)
    assert new["previous_secret_expires_at"] is None
    row = stored(app, created["id"])
    assert (row.previous_secret, row.previous_secret_expires_at) == (None, None)
    send_test_event(app, client, owner, created["id"])
    [request] = receiver.requests
    header = request.headers["VideoForge-Signature"]
    t, v1s = signature_fields(header)
    assert v1s == [hmac_of(new["secret"], t, request.body)]
    assert not expected_signature(created["secret"], header, request.body)


def test_rolling_again_keeps_only_the_secret_current_until_then(app, client, auth_headers, receiver):
    owner = auth_headers()
    first = register(client, owner, receiver.url())["secret"]
    endpoint_id = client.get("/api/webhooks", headers=owner).get_json()[0]["id"]
    second = rolled(client, owner, endpoint_id)["secret"]
    third = rolled(client, owner, endpoint_id, expire_old_in_hours=72)
    until = datetime.fromisoformat(third["previous_secret_expires_at"])
    assert timedelta(hours=71) < until - utcnow() <= timedelta(hours=72)
    send_test_event(app, client, owner, endpoint_id)
    [request] = receiver.requests
    t, v1s = signature_fields(request.headers["VideoForge-Signature"])
    assert v1s == [hmac_of(third["secret"], t, request.body), hmac_of(second, t, request.body)]
    assert not expected_signature(first, request.headers["VideoForge-Signature"], request.body)


def test_only_the_owner_may_roll_and_a_stranger_learns_nothing(app, client, auth_headers, receiver):
    owner, other = auth_headers(), auth_headers()
    created = register(client, owner, receiver.url())
    refused = roll(client, other, created["id"])
    missing = roll(client, owner, "0" * 32)
    assert refused.status_code == missing.status_code == 404
    assert refused.get_json() == missing.get_json() and "secret" not in refused.get_json()
    assert roll(client, {}, created["id"]).status_code == 401
    assert stored(app, created["id"]).previous_secret is None
    send_test_event(app, client, owner, created["id"])  # still signed with the one secret it had
    [request] = receiver.requests
    assert expected_signature(created["secret"], request.headers["VideoForge-Signature"], request.body)
    assert len(signature_fields(request.headers["VideoForge-Signature"])[1]) == 1


def test_an_api_key_needs_the_manage_scope_to_roll(app, client, auth_headers, receiver):
    owner = auth_headers()
    created = register(client, owner, receiver.url())
    keys = {
        scope: client.post("/api/auth/keys", json={"name": scope, "scopes": [scope]}, headers=owner).get_json()["key"]
        for scope in ("read", "manage")
    }
    refused = roll(client, {"Authorization": f"Bearer {keys['read']}"}, created["id"])
    assert refused.status_code == 403 and refused.get_json()["message"]
    assert stored(app, created["id"]).previous_secret is None
    answer = roll(client, {"Authorization": f"Bearer {keys['manage']}"}, created["id"], expire_old_in_hours=1)
    assert answer.status_code == 200 and answer.get_json()["secret"].startswith("whsec_")


@pytest.mark.parametrize(
    "body",
    [
        {"expire_old_in_hours": 73},
        {"expire_old_in_hours": -1},
        {"expire_old_in_hours": "24"},
        {"expire_old_in_hours": 1.5},
        {"expire_old_in_hours": True},
        {"expire_old_in_hours": None},
        {"expire_old_in_hours": 10**30},
    ],
)
def test_a_bad_overlap_is_refused_naming_the_field(app, client, auth_headers, receiver, body):
    owner = auth_headers()
    created = register(client, owner, receiver.url())
    answer = roll(client, owner, created["id"], **body)
    assert answer.status_code == 422
    assert list(answer.get_json()["errors"]["json"]) == ["expire_old_in_hours"]
    row = stored(app, created["id"])
    assert row.previous_secret is None
    assert sealing.unseal(sealing.keys_of(app.config), "webhook secret", row.id, row.secret)[0] == created["secret"]


def test_a_body_that_is_not_json_is_a_json_refusal(app, client, auth_headers, receiver):
    owner = auth_headers()
    created = register(client, owner, receiver.url())
    answer = client.post(
        f"/api/webhooks/{created['id']}/secret", data=b"{24", headers=owner, content_type="application/json"
    )
    assert answer.status_code == 400 and answer.get_json()["errors"]
    unknown = roll(client, owner, created["id"], expire_old_in=24)
    assert unknown.status_code == 422 and "expire_old_in" in unknown.get_json()["errors"]["json"]


def test_no_secret_reaches_the_logs(app, client, auth_headers, receiver, caplog):
    caplog.set_level(logging.DEBUG)
    owner = auth_headers()
    created = register(client, owner, receiver.url())
    new = rolled(client, owner, created["id"])
    newer = rolled(client, owner, created["id"], expire_old_in_hours=0)
    send_test_event(app, client, owner, created["id"])
    assert f"webhook endpoint {created['id']}: signing secret rolled" in caplog.text  # the roll is logged...
    assert "webhook delivery" in caplog.text
    row = stored(app, created["id"])
    for secret in (created["secret"], new["secret"], newer["secret"], row.secret):
        assert secret not in caplog.text  # ...without any secret, plain or sealed
        assert secret[6:] not in caplog.text


def test_a_roll_gives_an_endpoint_whose_secret_no_longer_opens_a_working_one(make_app, receiver):
    before = make_app(WEBHOOK_ALLOW_LOOPBACK=True, SECRET_KEY="a key nobody kept")
    created = register(before.test_client(), {"Authorization": f"Bearer {token_for(before)}"}, receiver.url())
    with before.extensions["videoforge.db"].session() as session:
        sub = session.get(User, session.get(WebhookEndpoint, created["id"]).owner_id).sub

    after = make_app(WEBHOOK_ALLOW_LOOPBACK=True, SECRET_KEY="the key now")
    client, owner = after.test_client(), {"Authorization": f"Bearer {token_for(after, sub=sub)}"}
    new = rolled(client, owner, created["id"])
    assert new["previous_secret_expires_at"] is None  # the old one cannot sign: nothing to keep
    send_test_event(after, client, owner, created["id"])
    [request] = receiver.requests
    t, v1s = signature_fields(request.headers["VideoForge-Signature"])
    assert v1s == [hmac_of(new["secret"], t, request.body)]


def test_two_rolls_at_once_are_one_roll_and_one_refusal(app, client, auth_headers, receiver):
    owner = auth_headers()
    created = register(client, owner, receiver.url())
    db = app.extensions["videoforge.db"]
    with db.session() as session:
        user = session.get(User, session.get(WebhookEndpoint, created["id"]).owner_id)
        slow = service.endpoint_of(session, user, created["id"])  # read before the other roll commits
        winner = rolled(client, owner, created["id"])
        lost = endpoint_secret.roll(session, sealing.keys_of(app.config), slow, timedelta(hours=1), utcnow())
        assert lost is None
    row = stored(app, created["id"])
    keys = sealing.keys_of(app.config)
    assert sealing.unseal(keys, "webhook secret", row.id, row.secret)[0] == winner["secret"]
    assert sealing.unseal(keys, "webhook secret", row.id, row.previous_secret)[0] == created["secret"]


def test_the_sender_forgetting_an_expired_secret_does_not_undo_a_roll_made_meanwhile(
    app, client, auth_headers, receiver
):
    owner = auth_headers()
    created = register(client, owner, receiver.url())
    second = rolled(client, owner, created["id"])["secret"]
    with app.extensions["videoforge.db"].session() as session:
        session.get(WebhookEndpoint, created["id"]).previous_secret_expires_at = utcnow() - timedelta(seconds=1)
    keys = sealing.keys_of(app.config)
    with app.extensions["videoforge.db"].session() as session:
        read = session.get(WebhookEndpoint, created["id"])  # the sender read the row: its old secret expired
        assert read.previous_secret is not None
        third = rolled(client, owner, created["id"])["secret"]  # the owner rolls before the sender writes
        assert endpoint_secret.signing_secrets(session, keys, read, utcnow()) == [second]
    row = stored(app, created["id"])
    assert sealing.unseal(keys, "webhook secret", row.id, row.secret)[0] == third
    assert sealing.unseal(keys, "webhook secret", row.id, row.previous_secret)[0] == second
    assert row.previous_secret_expires_at > utcnow()
