"""Refresh tokens: opaque, stored hashed, rotate on use; reuse revokes the family; sign-out revokes it too."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from tests.identity.conftest import assert_error, bearer
from videoforge.models import RefreshToken, utcnow


def _tokens(signed_up, sign_in) -> dict:
    email, password = signed_up()
    return sign_in(email, password).get_json()


def test_refresh_rotates_and_the_new_tokens_work(app, client, signed_up, sign_in):
    first = _tokens(signed_up, sign_in)
    response = client.post("/api/auth/refresh", json={"refresh_token": first["refresh_token"]})
    assert response.status_code == 200
    second = response.get_json()
    assert second["refresh_token"] != first["refresh_token"]
    assert client.get("/api/auth/me", headers=bearer(second["access_token"])).status_code == 200
    third = client.post("/api/auth/refresh", json={"refresh_token": second["refresh_token"]})
    assert third.status_code == 200


def test_refresh_tokens_are_stored_only_as_hashes(app, signed_up, sign_in):
    token = _tokens(signed_up, sign_in)["refresh_token"]
    with app.extensions["videoforge.db"].session() as session:
        stored = session.scalars(select(RefreshToken.token_hash)).all()
    assert len(stored) == 1 and token not in stored[0] and len(stored[0]) == 64


def test_reusing_a_rotated_refresh_token_revokes_the_whole_family(client, signed_up, sign_in):
    first = _tokens(signed_up, sign_in)
    second = client.post("/api/auth/refresh", json={"refresh_token": first["refresh_token"]}).get_json()
    # Someone replays the old token (it leaked): refused, and the thief's twin loses its session too.
    assert_error(client.post("/api/auth/refresh", json={"refresh_token": first["refresh_token"]}), 401)
    assert_error(client.post("/api/auth/refresh", json={"refresh_token": second["refresh_token"]}), 401)


def test_reuse_revokes_only_that_family(client, signed_up, sign_in):
    email, password = signed_up()
    laptop = sign_in(email, password).get_json()
    phone = sign_in(email, password).get_json()
    client.post("/api/auth/refresh", json={"refresh_token": laptop["refresh_token"]})
    client.post("/api/auth/refresh", json={"refresh_token": laptop["refresh_token"]})
    assert client.post("/api/auth/refresh", json={"refresh_token": phone["refresh_token"]}).status_code == 200


def test_sign_out_revokes_the_family(client, signed_up, sign_in):
    first = _tokens(signed_up, sign_in)
    second = client.post("/api/auth/refresh", json={"refresh_token": first["refresh_token"]}).get_json()
    assert client.post("/api/auth/signout", json={"refresh_token": first["refresh_token"]}).status_code == 204
    assert_error(client.post("/api/auth/refresh", json={"refresh_token": second["refresh_token"]}), 401)
    assert client.post("/api/auth/signout", json={"refresh_token": "never-issued"}).status_code == 204


def test_expired_and_unknown_refresh_tokens_get_401(app, client, signed_up, sign_in):
    token = _tokens(signed_up, sign_in)["refresh_token"]
    with app.extensions["videoforge.db"].session() as session:
        for row in session.scalars(select(RefreshToken)):
            row.expires_at = utcnow() - timedelta(seconds=1)
    assert_error(client.post("/api/auth/refresh", json={"refresh_token": token}), 401)
    assert_error(client.post("/api/auth/refresh", json={"refresh_token": "made-up"}), 401)
    assert_error(client.post("/api/auth/refresh", json={}), 400)
