"""Local accounts: sign-up rules, sign-in that never says which part was wrong, throttling, admins, the CLI."""

from __future__ import annotations

import logging

import pytest
from sqlalchemy import select

from tests.identity.conftest import PASSWORD, assert_error, bearer, new_email
from videoforge.models import SignInFailure, User


def test_sign_up_then_sign_in_gives_cognito_shaped_tokens_the_verifier_accepts(app, client, signed_up, sign_in):
    email, password = signed_up()
    response = sign_in(email.upper(), password)  # emails are case-insensitive
    assert response.status_code == 200
    tokens = response.get_json()
    assert tokens["token_type"] == "Bearer" and tokens["expires_in"] == app.config["AUTH_ACCESS_TOKEN_TTL"]
    verifier = app.extensions["videoforge.verifier"]
    access = verifier.verify(tokens["access_token"]).claims
    assert access["token_use"] == "access" and access["client_id"] == app.config["AUTH_CLIENT_ID"]
    assert {"sub", "iss", "scope", "exp", "iat", "jti", "cognito:groups"} <= set(access)
    ident = verifier.verify(tokens["id_token"], token_use="id").claims
    assert ident["aud"] == app.config["AUTH_CLIENT_ID"] and ident["email"] == email and ident["sub"] == access["sub"]
    me = client.get("/api/auth/me", headers=bearer(tokens["access_token"])).get_json()
    assert me == {"id": me["id"], "sub": access["sub"], "email": email, "groups": [], "mfa_enabled": False,
                  "email_verified": False}


def test_password_is_stored_as_a_slow_salted_hash(app, signed_up):
    email, _ = signed_up()
    with app.extensions["videoforge.db"].session() as session:
        stored = session.scalars(select(User.password_hash).where(User.email == email)).one()
    assert stored.startswith("scrypt:") and PASSWORD not in stored


@pytest.mark.parametrize("body, field", [
    ({"email": "not-an-email", "password": PASSWORD}, "email"),
    ({"email": "", "password": PASSWORD}, "email"),
    ({"password": PASSWORD}, "email"),
    ({"email": "short@example.test", "password": "short"}, "password"),
    ({"email": "common@example.test", "password": "password123"}, "password"),
    ({"email": "repeat@example.test", "password": "aaaaaaaaaaaa"}, "password"),
    ({"email": "someone@example.test", "password": "someone-is-me"}, "password"),
    ({"email": "long@example.test", "password": "x" * 300}, "password"),
])
def test_bad_sign_up_gets_400_naming_the_field(client, body, field):
    error = assert_error(client.post("/api/auth/signup", json=body), 400)
    assert list(error["errors"]["json"]) == [field]


def test_duplicate_email_gets_409(client, signed_up):
    email, _ = signed_up()
    error = assert_error(client.post("/api/auth/signup", json={"email": email.title(), "password": PASSWORD}), 409)
    assert "email" in error["errors"]["json"]


def test_sign_up_can_be_closed(make_app):
    client = make_app(AUTH_SIGNUP_ENABLED=False).test_client()
    assert_error(client.post("/api/auth/signup", json={"email": new_email(), "password": PASSWORD}), 403)
    assert client.get("/api/auth/config").get_json() == {"flow": "local", "mfa": True, "signup": False,
                                                         "password_min_length": 10, "password_reset": True,
                                                         "email_verification": "optional", "account_deletion": "erase"}


def test_failed_sign_in_does_not_say_which_part_was_wrong(signed_up, sign_in):
    email, _ = signed_up()
    wrong_password = assert_error(sign_in(email, "not-the-password"), 401)
    no_such_account = assert_error(sign_in("nobody@example.test", PASSWORD), 401)
    assert wrong_password == no_such_account


def test_repeated_failures_for_an_account_get_429_with_retry_after(app, signed_up, sign_in):
    email, password = signed_up()
    app.config["AUTH_SIGNIN_MAX_FAILURES"] = limit = 3  # each try costs a real scrypt run: keep them few
    for n in range(limit):
        assert_error(sign_in(email, f"wrong-{n}", address="10.0.0.1"), 401)
    response = sign_in(email, password, address="10.0.0.1")  # even the right password, from that address
    assert_error(response, 429)
    retry = int(response.headers["Retry-After"])
    assert 0 < retry <= app.config["AUTH_SIGNIN_FAILURE_WINDOW"]
    # Not from everywhere: a stranger's failures elsewhere never lock the owner out (tests/identity/test_throttle_*).
    assert sign_in(email, password, address="10.9.9.9").status_code == 200
    assert sign_in(new_email(), PASSWORD, address="10.0.0.1").status_code == 401  # other accounts unaffected


def test_repeated_failures_from_one_address_get_429(make_app):
    app = make_app(AUTH_SIGNIN_MAX_FAILURES_PER_ADDRESS=2)
    client = app.test_client()
    for n in range(2):
        client.post("/api/auth/token", json={"email": f"guess{n}@example.test", "password": "nope-nope"},
                    environ_base={"REMOTE_ADDR": "192.0.2.7"})
    response = client.post("/api/auth/token", json={"email": "guess9@example.test", "password": "nope-nope"},
                           environ_base={"REMOTE_ADDR": "192.0.2.7"})
    assert_error(response, 429)
    assert int(response.headers["Retry-After"]) > 0
    other = client.post("/api/auth/token", json={"email": "guess9@example.test", "password": "nope-nope"},
                        environ_base={"REMOTE_ADDR": "192.0.2.8"})
    assert other.status_code == 401


def test_failures_leave_the_window_and_success_clears_the_account_count(app, signed_up, sign_in):
    from datetime import timedelta

    from videoforge.errors import Refusal
    from videoforge.models import utcnow
    from videoforge.modules.auth import service

    email, password = signed_up()
    app.config["AUTH_SIGNIN_MAX_FAILURES"] = 2
    issuer = service.Issuer.of(app)
    past = utcnow() - timedelta(seconds=app.config["AUTH_SIGNIN_FAILURE_WINDOW"] + 5)
    with app.extensions["videoforge.db"].sessions() as session:
        for _ in range(app.config["AUTH_SIGNIN_MAX_FAILURES"]):
            with pytest.raises(Refusal, match="401"):
                service.sign_in(session, app.config, issuer, email, "wrong-one", None, "10.1.1.1", now=past)
        # The failures are older than the window now: sign-in works and wipes this address's count for the account.
        service.sign_in(session, app.config, issuer, email, password, None, "10.1.1.1")
        keys = session.scalars(select(SignInFailure.key)).all()
    assert f"account:{email}|address:10.1.1.1" not in keys
    assert f"account:{email}" in keys  # the account-wide count is strangers' failures elsewhere: a success keeps it


def test_admin_emails_get_the_admin_group(make_app):
    client = make_app(AUTH_ADMIN_EMAILS=["Boss@Example.test"]).test_client()
    body = client.post("/api/auth/signup", json={"email": "boss@example.test", "password": PASSWORD}).get_json()
    assert body["groups"] == ["admin"]
    other = client.post("/api/auth/signup", json={"email": new_email(), "password": PASSWORD}).get_json()
    assert other["groups"] == []


def test_passwords_never_reach_the_logs(app, client, signed_up, sign_in, caplog):
    caplog.set_level(logging.DEBUG)
    email, password = signed_up()
    sign_in(email, password)
    sign_in(email, "another-secret-guess")
    client.post("/api/auth/signup", json={"email": "x@example.test", "password": "tiny"})
    logged = caplog.text
    assert password not in logged and "another-secret-guess" not in logged and "tiny" not in logged


def test_cli_creates_an_admin_with_a_prompted_password(app, client, sign_in):
    runner = app.test_cli_runner()
    result = runner.invoke(args=["create-user", "ops@example.test", "--admin"], input=f"{PASSWORD}\n{PASSWORD}\n")
    assert result.exit_code == 0, result.output
    assert "created ops@example.test" in result.output and "admin" in result.output
    assert PASSWORD not in result.output  # the prompt never echoes it
    tokens = sign_in("ops@example.test", PASSWORD).get_json()
    assert client.get("/api/auth/me", headers=bearer(tokens["access_token"])).get_json()["groups"] == ["admin"]
    again = runner.invoke(args=["create-user", "ops@example.test", "--password", PASSWORD])
    assert again.exit_code == 1 and "already exists" in again.output
    weak = runner.invoke(args=["create-user", "weak@example.test", "--password", "short"])
    assert weak.exit_code == 1 and "at least" in weak.output


def test_groups_of_local_users_follow_the_row_not_an_old_token(app, client, signed_up, sign_in):
    email, password = signed_up()
    old_token = sign_in(email, password).get_json()["access_token"]
    with app.extensions["videoforge.db"].session() as session:
        session.scalars(select(User).where(User.email == email)).one().groups = ["admin"]
    assert client.get("/api/auth/me", headers=bearer(old_token)).get_json()["groups"] == ["admin"]
    fresh = sign_in(email, password).get_json()["access_token"]
    claims = app.extensions["videoforge.verifier"].verify(fresh).claims
    assert claims["cognito:groups"] == ["admin"]
