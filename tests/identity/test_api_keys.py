"""Personal API keys: shown once and stored hashed, scoped, revocable, limited, never able to manage keys or
credentials, and refused alike (401) whether unknown, revoked, expired, malformed or their owner gone. On SQLite and
PostgreSQL."""

from __future__ import annotations

import hashlib
import logging
from datetime import timedelta

import pytest
from sqlalchemy import select, update

from tests.conftest import token_for
from tests.identity.conftest import PASSWORD, assert_error, bearer
from videoforge.models import ApiKey, SignInFailure, Video, utcnow

UPLOAD = {"title": "from a script", "filename": "clip.mp4", "size": 1000, "content_type": "video/mp4"}


def make_key(client, session_headers: dict, scopes=("read",), name: str | None = None, **extra) -> dict:
    """POST /api/auth/keys with a signed-in session; the created key's JSON (with `key`)."""
    body = {"name": name or f"key {'-'.join(scopes)} {len(extra)}", "scopes": list(scopes)} | extra
    response = client.post("/api/auth/keys", json=body, headers=session_headers)
    assert response.status_code == 201, response.get_json()
    assert response.headers["Cache-Control"] == "no-store"  # the one answer that holds the key
    return response.get_json()


def rows(app, model=ApiKey):
    with app.extensions["videoforge.db"].session() as session:
        return list(session.scalars(select(model)))


def own_video(app, headers) -> str:
    """A private video of the user behind `headers` (created by an upload); its id."""
    return app.test_client().post("/api/gallery/uploads", json=UPLOAD, headers=headers).get_json()["video"]["id"]


def test_a_key_is_shown_once_listed_without_its_secret_and_stored_only_as_a_hash(app, client, auth_headers):
    session = auth_headers()
    created = make_key(client, session, scopes=["upload"], name="nightly upload")
    key = created["key"]
    assert key.startswith("vf_") and len(key) == 46
    assert created["scopes"] == ["read", "upload"]  # upload holds read
    assert key.startswith(created["prefix"]) and len(created["prefix"]) == 9

    listed = client.get("/api/auth/keys", headers=session).get_json()
    assert [k["name"] for k in listed] == ["nightly upload"]
    assert "key" not in listed[0] and "secret_hash" not in listed[0]
    assert key[3:] not in client.get("/api/auth/keys", headers=session).get_data(as_text=True)

    (row,) = rows(app)
    assert row.secret_hash == hashlib.sha256(key.encode()).hexdigest()
    stored = " ".join(str(getattr(row, column.key)) for column in ApiKey.__table__.columns)
    assert key not in stored and key[3:] not in stored and key[9:] not in stored


def test_read_may_list_and_play_but_not_upload_upload_may_upload_manage_may_edit(app, client, auth_headers):
    session = auth_headers()
    read = bearer(make_key(client, session, ["read"])["key"])
    upload = bearer(make_key(client, session, ["upload"])["key"])
    manage = bearer(make_key(client, session, ["manage"])["key"])
    video_id = own_video(app, session)

    assert client.get("/api/gallery/videos", headers=read).get_json()[0]["id"] == video_id
    assert client.get(f"/api/gallery/videos/{video_id}", headers=read).status_code == 200  # private: the owner's
    assert client.get(f"/api/streaming/videos/{video_id}", headers=read).get_json()["id"] == video_id
    assert_error(client.get(f"/api/streaming/videos/{video_id}"), 404)  # private: nobody else
    assert client.get("/api/auth/me", headers=read).status_code == 200

    refused = assert_error(client.post("/api/gallery/uploads", json=UPLOAD, headers=read), 403)
    assert "upload" in refused["message"] and refused["errors"]["scope"]
    assert "insufficient_scope" in client.post("/api/gallery/uploads", json=UPLOAD, headers=read).headers[
        "WWW-Authenticate"]
    assert_error(client.get(f"/api/gallery/uploads/{video_id}", headers=read), 403)  # a GET that hands out PUT URLs
    assert_error(client.post(f"/api/gallery/videos/{video_id}/confirm", json={}, headers=read), 403)

    created = client.post("/api/gallery/uploads", json=UPLOAD, headers=upload)
    assert created.status_code == 201 and created.get_json()["upload"]
    assert client.get(f"/api/gallery/uploads/{video_id}", headers=upload).status_code == 200
    assert "manage" in assert_error(client.patch(f"/api/gallery/videos/{video_id}", json={"title": "x"},
                                                 headers=upload), 403)["message"]
    assert_error(client.delete(f"/api/gallery/videos/{video_id}", headers=upload), 403)

    assert client.patch(f"/api/gallery/videos/{video_id}", json={"title": "renamed"}, headers=manage).status_code == 200
    assert client.delete(f"/api/gallery/videos/{video_id}", headers=manage).status_code == 204
    assert video_id not in {v.id for v in rows(app, Video)}


def test_a_key_acts_as_its_owner_only(app, client, auth_headers):
    mine, theirs = auth_headers(), auth_headers()
    key = bearer(make_key(client, mine, ["manage"])["key"])
    their_video = own_video(app, theirs)
    assert client.get("/api/gallery/videos", headers=key).get_json() == []
    assert_error(client.get(f"/api/gallery/videos/{their_video}", headers=key), 404)
    assert_error(client.delete(f"/api/gallery/videos/{their_video}", headers=key), 404)


@pytest.mark.parametrize("bad", [
    "vf_" + "A" * 43,                      # well formed, unknown
    "vf_",                                 # nothing after the prefix
    "vf_" + "A" * 42 + "!",                # a character keys never hold
    "vf_" + "A" * 44,                      # too long
    "vf_" + "A" * 4000,
    "vf_" + "é" * 43,
    "vf_' OR 1=1 --" + "A" * 30,
])
def test_unknown_and_malformed_keys_get_401_in_the_one_json_shape(client, bad):
    body = assert_error(client.get("/api/gallery/videos", headers=bearer(bad)), 401)
    assert "API key" in body["message"]
    assert_error(client.get("/api/gallery/public", headers=bearer(bad)), 401)  # a bad key is never ignored


def test_a_revoked_key_stops_at_once_and_only_the_owner_may_revoke_it(app, client, auth_headers):
    session, stranger = auth_headers(), auth_headers()
    created = make_key(client, session)
    key = bearer(created["key"])
    assert client.get("/api/gallery/videos", headers=key).status_code == 200
    assert_error(client.delete(f"/api/auth/keys/{created['id']}", headers=stranger), 404)  # not theirs
    assert client.delete(f"/api/auth/keys/{created['id']}", headers=session).status_code == 204
    assert_error(client.get("/api/gallery/videos", headers=key), 401)
    assert_error(client.delete(f"/api/auth/keys/{created['id']}", headers=session), 404)  # already revoked
    assert client.get("/api/auth/keys", headers=session).get_json() == []


def test_an_expired_key_is_refused(app, client, auth_headers):
    session = auth_headers()
    created = make_key(client, session, expires_in_days=1)
    assert created["expires_at"]
    with app.extensions["videoforge.db"].session() as db:
        db.execute(update(ApiKey).values(expires_at=utcnow() - timedelta(seconds=1)))
    assert_error(client.get("/api/gallery/videos", headers=bearer(created["key"])), 401)


def test_keys_of_a_deleted_account_stop_working(app, client, signed_up, sign_in):
    email, _ = signed_up()
    session = bearer(sign_in(email).get_json()["access_token"])
    key = bearer(make_key(client, session)["key"])
    assert client.get("/api/auth/me", headers=key).status_code == 200
    assert client.delete("/api/auth/account", json={"password": PASSWORD}, headers=session).status_code == 204
    assert_error(client.get("/api/gallery/videos", headers=key), 401)
    assert rows(app) == []


def test_taking_an_account_back_with_a_reset_link_revokes_its_keys_a_change_keeps_them(app, client, signed_up,
                                                                                        sign_in):
    """A key made with a stolen session must not outlive the owner's reset; the owner's own change keeps theirs."""
    from tests.mailbox import sent_to, token_in

    email, _ = signed_up()
    session = bearer(sign_in(email).get_json()["access_token"])
    kept = bearer(make_key(client, session, name="ci")["key"])
    changed = client.post("/api/auth/password/change", headers=session,
                          json={"current_password": PASSWORD, "new_password": "first-new-pass-481"})
    assert changed.status_code == 200
    assert client.get("/api/gallery/videos", headers=kept).status_code == 200  # a change keeps the keys

    attacker = bearer(make_key(client, bearer(changed.get_json()["access_token"]), name="left behind")["key"])
    assert client.post("/api/auth/password/forgot", json={"email": email}).status_code == 202
    [mail] = [m for m in sent_to(app, email) if "Reset" in m["Subject"]]
    assert client.post("/api/auth/password/reset",
                       json={"token": token_in(mail), "password": "taken-back-pass-937"}).status_code == 204
    for key in (kept, attacker):
        assert_error(client.get("/api/gallery/videos", headers=key), 401)
    assert all(row.revoked_at is not None for row in rows(app))  # kept as revoked: the owner sees what stopped
    notice = [m for m in sent_to(app, email) if m["Subject"] == "Your VideoForge password was changed"][-1]
    assert "2 API keys were revoked" in notice.get_content()
    fresh = bearer(sign_in(email, "taken-back-pass-937").get_json()["access_token"])
    assert client.get("/api/gallery/videos", headers=bearer(make_key(client, fresh)["key"])).status_code == 200


def test_keys_cannot_manage_keys_or_credentials(app, client, auth_headers):
    session = auth_headers(groups=["admin"])
    created = make_key(client, session, ["manage"])
    key = bearer(created["key"])
    for method, path, body in [
        ("post", "/api/auth/keys", {"name": "another", "scopes": ["manage"]}),
        ("get", "/api/auth/keys", None),
        ("delete", f"/api/auth/keys/{created['id']}", None),
        ("get", "/api/auth/admin/keys", None),
        ("delete", f"/api/auth/admin/keys/{created['id']}", None),
        ("post", "/api/auth/password/change", {"current_password": PASSWORD, "new_password": PASSWORD + "x"}),
        ("post", "/api/auth/email/change", {"password": PASSWORD, "email": "new@example.test"}),
        ("post", "/api/auth/mfa/totp", None),
        ("delete", "/api/auth/account", {"password": PASSWORD}),
    ]:
        response = getattr(client, method)(path, json=body, headers=key)
        assert "sign in" in assert_error(response, 403)["message"], path
    assert len(rows(app)) == 1 and rows(app)[0].revoked_at is None


def test_last_used_is_written_at_most_once_a_minute(app, client, auth_headers):
    session = auth_headers()
    key = bearer(make_key(client, session)["key"])
    assert client.get("/api/auth/keys", headers=session).get_json()[0]["last_used_at"] is None
    client.get("/api/gallery/videos", headers=key)
    first = rows(app)[0].last_used_at
    assert first is not None and utcnow() - first < timedelta(seconds=30)
    client.get("/api/gallery/videos", headers=key)
    assert rows(app)[0].last_used_at == first  # within the minute: no write
    with app.extensions["videoforge.db"].session() as db:
        db.execute(update(ApiKey).values(last_used_at=first - timedelta(minutes=2)))
    client.get("/api/gallery/videos", headers=key)
    assert rows(app)[0].last_used_at > first
    assert client.get("/api/auth/keys", headers=session).get_json()[0]["last_used_at"]


def test_admins_list_and_revoke_anyones_keys_and_nobody_else_may(app, client, auth_headers, signed_up, sign_in):
    signed_up("ada@example.test")
    ada = bearer(sign_in("ada@example.test").get_json()["access_token"])
    admin, bob = auth_headers(groups=["admin"]), auth_headers()
    adas = make_key(client, ada, name="ada's script")
    make_key(client, bob, name="bob's script")
    assert_error(client.get("/api/auth/admin/keys", headers=ada), 403)
    assert_error(client.delete(f"/api/auth/admin/keys/{adas['id']}", headers=bob), 403)

    everyone = client.get("/api/auth/admin/keys", headers=admin)
    assert sorted(k["name"] for k in everyone.get_json()) == ["ada's script", "bob's script"]
    assert "key" not in everyone.get_json()[0] and '"total": 2' in everyone.headers["X-Pagination"]
    (only,) = client.get("/api/auth/admin/keys", query_string={"user": "ADA@example.test"}, headers=admin).get_json()
    assert only["id"] == adas["id"] and only["owner_email"] == "ada@example.test"
    by_id = client.get("/api/auth/admin/keys", query_string={"user": only["user_id"]}, headers=admin).get_json()
    assert [k["id"] for k in by_id] == [adas["id"]]

    assert client.delete(f"/api/auth/admin/keys/{adas['id']}", headers=admin).status_code == 204
    assert_error(client.get("/api/gallery/videos", headers=bearer(adas["key"])), 401)
    assert_error(client.delete(f"/api/auth/admin/keys/{adas['id']}", headers=admin), 404)
    assert [k["name"] for k in client.get("/api/auth/admin/keys", headers=admin).get_json()] == ["bob's script"]
    assert client.get("/api/auth/admin/keys", query_string={"page": 10**20}, headers=admin).get_json() == []


@pytest.mark.parametrize("body, field", [
    ({"name": "", "scopes": ["read"]}, "name"),
    ({"name": "   ", "scopes": ["read"]}, "name"),
    ({"name": "a\u202egpj", "scopes": ["read"]}, "name"),
    ({"name": "x" * 101, "scopes": ["read"]}, "name"),
    ({"name": "ok", "scopes": []}, "scopes"),
    ({"name": "ok", "scopes": ["admin"]}, "scopes"),
    ({"name": "ok"}, "scopes"),
    ({"name": "ok", "scopes": ["read"], "expires_in_days": 0}, "expires_in_days"),
    ({"name": "ok", "scopes": ["read"], "expires_in_days": "7"}, "expires_in_days"),
])
def test_names_scopes_and_expiry_are_checked(client, auth_headers, body, field):
    refused = assert_error(client.post("/api/auth/keys", json=body, headers=auth_headers()), 400)
    assert field in str(refused.get("errors"))


def test_names_are_unique_per_person_and_keys_are_capped(make_app):
    app = make_app(API_KEYS_MAX_PER_USER=2)
    client = app.test_client()
    session = bearer(token_for(app))
    first = make_key(client, session, name="one")
    assert_error(client.post("/api/auth/keys", json={"name": " one ", "scopes": ["read"]}, headers=session), 409)
    make_key(client, session, name="two")
    assert "revoke" in assert_error(client.post("/api/auth/keys", json={"name": "three", "scopes": ["read"]},
                                                headers=session), 409)["message"]
    assert len(rows(app)) == 2
    client.delete(f"/api/auth/keys/{first['id']}", headers=session)
    make_key(client, session, name="three")


def test_an_operator_may_bound_every_keys_lifetime(make_app):
    app = make_app(API_KEY_MAX_LIFETIME_DAYS=30)
    client = app.test_client()
    session = bearer(token_for(app))
    assert_error(client.post("/api/auth/keys", json={"name": "long", "scopes": ["read"], "expires_in_days": 31},
                             headers=session), 400)
    forever = make_key(client, session, name="unbounded")  # asks for none: gets the longest allowed
    lifetime = rows(app)[0].expires_at - rows(app)[0].created_at
    assert forever["expires_at"] and timedelta(days=29) < lifetime <= timedelta(days=30)


def test_a_flood_of_bad_keys_is_throttled_per_address_and_a_good_key_still_passes(make_app):
    app = make_app(API_KEY_MAX_FAILURES_PER_ADDRESS=3)
    client = app.test_client()
    good = bearer(make_key(client, bearer(token_for(app)))["key"])
    there, elsewhere = {"REMOTE_ADDR": "203.0.113.7"}, {"REMOTE_ADDR": "198.51.100.1"}
    for n in range(3):
        assert_error(client.get("/api/gallery/videos", headers=bearer(f"vf_{n:043d}"), environ_base=there), 401)
    throttled = assert_error(client.get("/api/gallery/videos", headers=bearer("vf_" + "B" * 43), environ_base=there),
                             429)
    assert 0 < int(throttled["message"].split(" in ")[1].split()[0]) <= 900
    assert client.get("/api/gallery/videos", headers=bearer("vf_" + "B" * 43), environ_base=there).headers[
        "Retry-After"]
    assert client.get("/api/gallery/videos", headers=good, environ_base=there).status_code == 200
    assert_error(client.get("/api/gallery/videos", headers=bearer("vf_" + "B" * 43), environ_base=elsewhere), 401)
    assert len([r for r in rows(app, SignInFailure) if r.key.startswith("api-key:")]) == 4  # capped, not one a try


def test_keys_never_reach_the_logs(app, client, auth_headers, caplog):
    caplog.set_level(logging.DEBUG)
    session = auth_headers()
    created = make_key(client, session, ["read"])
    key = created["key"]
    client.get("/api/gallery/videos", headers=bearer(key))
    client.post("/api/gallery/uploads", json=UPLOAD, headers=bearer(key))  # 403
    client.delete(f"/api/auth/keys/{created['id']}", headers=session)
    client.get("/api/gallery/videos", headers=bearer(key))  # revoked: logged by id
    assert created["id"] in caplog.text and "revoked" in caplog.text
    assert key not in caplog.text and key[3:] not in caplog.text and key[9:20] not in caplog.text


def test_the_openapi_document_lists_the_key_routes_and_says_how_to_send_a_key(client):
    spec = client.get("/api/openapi.json").get_json()
    assert {"/api/auth/keys", "/api/auth/keys/{key_id}", "/api/auth/admin/keys", "/api/auth/admin/keys/{key_id}"} <= set(
        spec["paths"])
    assert "vf_" in spec["components"]["securitySchemes"]["bearerAuth"]["description"]
