"""TOTP second factor: enrol, confirm, sign-in asks for the code, replay and wrong codes refused, turn off."""

from __future__ import annotations

import time
from urllib.parse import parse_qs, urlsplit

import pyotp
import pytest
from sqlalchemy import select, update

from tests.identity.conftest import assert_error, bearer
from videoforge.models import User
from videoforge.sealing import SealBroken, unseal


def _enrolled(client, signed_up, sign_in):
    """A signed-in account with TOTP on; returns (email, password, totp, access token)."""
    email, password = signed_up()
    access = sign_in(email, password).get_json()["access_token"]
    response = client.post("/api/auth/mfa/totp", headers=bearer(access))
    assert response.status_code == 201
    enrolment = response.get_json()
    uri = urlsplit(enrolment["otpauth_uri"])
    assert uri.scheme == "otpauth" and parse_qs(uri.query)["secret"] == [enrolment["secret"]]
    otp = pyotp.TOTP(enrolment["secret"])
    confirmed = client.post("/api/auth/mfa/totp/verify", json={"code": otp.now()}, headers=bearer(access))
    assert confirmed.status_code == 200 and confirmed.get_json()["mfa_enabled"] is True
    return email, password, otp, access


def test_sign_in_asks_for_the_code_then_accepts_it(client, signed_up, sign_in):
    email, password, otp, _ = _enrolled(client, signed_up, sign_in)
    body = assert_error(sign_in(email, password), 401)
    assert body["errors"] == {"mfa": "totp_required"}
    # The code used to confirm enrolment cannot be replayed; the next step's code works.
    next_code = otp.at(time.time() + 30)
    response = sign_in(email, password, code=next_code)
    assert response.status_code == 200
    assert client.get("/api/auth/me", headers=bearer(response.get_json()["access_token"])).get_json()["mfa_enabled"]
    assert assert_error(sign_in(email, password, code=next_code), 401)["errors"] == {"code": "invalid"}


def test_wrong_code_is_refused_and_counts_as_a_failure(app, client, signed_up, sign_in):
    email, password, otp, _ = _enrolled(client, signed_up, sign_in)
    app.config["AUTH_SIGNIN_MAX_FAILURES"] = 2
    wrong = str((int(otp.now()) + 1) % 1_000_000).zfill(6)
    for _ in range(app.config["AUTH_SIGNIN_MAX_FAILURES"]):
        assert_error(sign_in(email, password, code=wrong), 401)
    assert_error(sign_in(email, password, code=otp.at(time.time() + 30)), 429)


def test_confirm_with_a_wrong_code_keeps_totp_off(client, signed_up, sign_in):
    email, password = signed_up()
    access = sign_in(email, password).get_json()["access_token"]
    client.post("/api/auth/mfa/totp", headers=bearer(access))
    body = assert_error(client.post("/api/auth/mfa/totp/verify", json={"code": "000000"}, headers=bearer(access)),
                        400)
    assert "code" in body["errors"]["json"]
    assert sign_in(email, password).status_code == 200  # still one factor


def test_turning_totp_off_needs_a_current_code(client, signed_up, sign_in):
    email, password, otp, access = _enrolled(client, signed_up, sign_in)
    assert_error(client.post("/api/auth/mfa/totp", headers=bearer(access)), 409)  # already on
    assert_error(client.delete("/api/auth/mfa/totp", json={"code": "123456"}, headers=bearer(access)), 400)
    response = client.delete("/api/auth/mfa/totp", json={"code": otp.at(time.time() + 30)}, headers=bearer(access))
    assert response.status_code == 204
    assert sign_in(email, password).status_code == 200


def test_mfa_routes_need_a_signed_in_user(client):
    assert_error(client.post("/api/auth/mfa/totp"), 401)
    assert_error(client.post("/api/auth/mfa/totp/verify", json={"code": "123456"}), 401)


def _stored(app, email, column=User.totp_secret):
    """One column of the account's row, as the database holds it."""
    with app.extensions["videoforge.db"].session() as session:
        return session.scalars(select(column).where(User.email == email)).one()


def _store_seed(app, email, value):
    with app.extensions["videoforge.db"].session() as session:
        session.execute(update(User).where(User.email == email).values(totp_secret=value))


def test_the_seed_is_stored_sealed_not_in_the_clear(app, client, signed_up, sign_in):
    email, _, otp, _ = _enrolled(client, signed_up, sign_in)
    stored = _stored(app, email)
    assert stored.startswith("v1:") and otp.secret not in stored


def test_a_rotated_secret_key_still_opens_seeds_and_reseals_them(app, client, signed_up, sign_in):
    email, password, otp, _ = _enrolled(client, signed_up, sign_in)
    before = _stored(app, email)
    old_key = app.config["SECRET_KEY"]
    app.config["SECRET_KEY"], app.config["SECRET_KEY_FALLBACKS"] = "a-brand-new-key", [old_key]
    assert sign_in(email, password, code=otp.at(time.time() + 30)).status_code == 200
    after = _stored(app, email)
    assert after != before
    # Sealed under the new key now: the old one can be dropped from the fallbacks.
    with pytest.raises(SealBroken):
        unseal([old_key], "totp", _stored(app, email, User.id), after)
    assert unseal(["a-brand-new-key"], "totp", _stored(app, email, User.id), after) == (otp.secret, False)


def test_a_seed_stored_in_the_clear_by_an_earlier_release_is_sealed_on_use(app, client, signed_up, sign_in):
    email, password, otp, _ = _enrolled(client, signed_up, sign_in)
    _store_seed(app, email, otp.secret)
    assert sign_in(email, password, code=otp.at(time.time() + 30)).status_code == 200
    assert _stored(app, email).startswith("v1:")


def test_a_seed_no_key_opens_is_a_clear_error_not_a_way_in(app, client, signed_up, sign_in, caplog):
    email, password, otp, _ = _enrolled(client, signed_up, sign_in)
    other, other_password, _, _ = _enrolled(client, signed_up, sign_in)
    _store_seed(app, other, _stored(app, email))  # a sealed seed copied onto another account
    body = assert_error(sign_in(other, other_password, code=otp.at(time.time() + 30)), 500)
    assert "authenticator" in body["message"] and "SECRET" not in body["message"]
    assert "opens with no configured key" in caplog.text
