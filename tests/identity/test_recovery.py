"""Account recovery on the local issuer: forgot/reset password, email verification, change password and address.

Every answer is the same whether or not an address has an account; every mailed link works once, expires, is
stored hashed, and points only where the operator said (or at a host no caller can forge). On SQLite and PostgreSQL.
"""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from tests.identity.conftest import PASSWORD, assert_error, bearer, new_email
from tests.mailbox import link_in, sent_by, sent_to, token_in
from videoforge.models import AccountToken, User, utcnow
from videoforge.modules.auth import links

NEW_PASSWORD = "juniper-quartz-77-lake"
UPLOAD = {"title": "Clip", "filename": "clip.mp4", "size": 1000, "content_type": "video/mp4"}


def forgot(client, email: str, address: str = "127.0.0.1", **kwargs):
    return client.post("/api/auth/password/forgot", json={"email": email}, environ_base={"REMOTE_ADDR": address},
                       **kwargs)


def reset(client, token: str, password: str = NEW_PASSWORD):
    return client.post("/api/auth/password/reset", json={"token": token, "password": password})


def the_user(app, email: str) -> User:
    with app.extensions["videoforge.db"].session() as session:
        user = session.scalars(select(User).where(User.email == email)).one()
        session.expunge(user)
        return user


# --- forgot and reset ------------------------------------------------------------------------------------------

def test_forgot_password_answers_alike_for_every_address_and_mails_only_the_account(app, client, signed_up):
    email, _ = signed_up()
    sent_by(app)  # the sign-up's verification mail is out of the way
    known, unknown = forgot(client, email), forgot(client, "nobody-here@example.test")
    assert known.status_code == unknown.status_code == 202
    assert known.get_json() == unknown.get_json()
    [mail] = [m for m in sent_by(app) if "password" in m["Subject"]]
    assert mail["To"] == email and mail["Subject"] == "Reset your VideoForge password"
    assert link_in(mail).startswith("http://localhost/reset#token=")
    assert sent_to(app, "nobody-here@example.test") == []


def test_a_reset_link_sets_the_password_once_and_signs_out_every_session(app, client, signed_up, sign_in):
    email, password = signed_up()
    laptop, phone = sign_in(email, password).get_json(), sign_in(email, password).get_json()
    forgot(client, email)
    [mail] = [m for m in sent_to(app, email) if "Reset" in m["Subject"]]
    token = token_in(mail)
    weak = assert_error(reset(client, token, "short"), 400)
    assert list(weak["errors"]["json"]) == ["password"]  # the rules of sign-up; the link still works
    assert reset(client, token).status_code == 204
    assert_error(reset(client, token, "another-fine-pass-9"), 400)  # once only
    # Every session is out: refresh tokens revoked, and access tokens minted before refused at once.
    for session in (laptop, phone):
        assert_error(client.post("/api/auth/refresh", json={"refresh_token": session["refresh_token"]}), 401)
        assert_error(client.get("/api/auth/me", headers=bearer(session["access_token"])), 401)
    assert_error(sign_in(email, password), 401)
    fresh = sign_in(email, NEW_PASSWORD)
    assert fresh.status_code == 200
    assert client.get("/api/auth/me", headers=bearer(fresh.get_json()["access_token"])).status_code == 200
    assert [m["Subject"] for m in sent_to(app, email)][-1] == "Your VideoForge password was changed"
    assert the_user(app, email).email_verified_at is not None  # the link reached the address: that proves it


def test_links_are_stored_hashed_expire_and_only_the_newest_works(app, client, signed_up):
    email, _ = signed_up()
    forgot(client, email)
    forgot(client, email)
    older, newer = [token_in(m) for m in sent_to(app, email) if "Reset" in m["Subject"]]
    with app.extensions["videoforge.db"].session() as session:
        stored = session.scalars(select(AccountToken.token_hash).where(AccountToken.purpose == links.RESET)).all()
        assert links.digest(newer) in stored and not any(newer in s or older in s for s in stored)
        # The newer link, an hour and a second later.
        row = session.scalars(select(AccountToken).where(AccountToken.token_hash == links.digest(newer))).one()
        assert row.expires_at - row.created_at == timedelta(seconds=app.config["AUTH_RESET_LINK_TTL"])
        row.expires_at = utcnow() - timedelta(seconds=1)
    assert_error(reset(client, older), 400)  # replaced by the newer one
    expired = assert_error(reset(client, newer), 400)
    assert "expired" in expired["message"] and list(expired["errors"]["json"]) == ["token"]


def test_forgot_password_is_throttled_per_recipient_alike_for_accounts_and_strangers(make_app):
    app = make_app(AUTH_MAIL_MAX_PER_RECIPIENT=2)
    client = app.test_client()
    email = new_email()
    assert client.post("/api/auth/signup", json={"email": email, "password": PASSWORD}).status_code == 201
    for address in (email, "stranger@example.test"):
        assert [forgot(client, address, f"10.0.0.{n}").status_code for n in range(2)] == [202, 202]
        refused = forgot(client, address, "10.0.0.9")
        assert_error(refused, 429)
        assert int(refused.headers["Retry-After"]) > 0
    assert len([m for m in sent_to(app, email) if "Reset" in m["Subject"]]) == 2


def test_forgot_password_is_throttled_per_client_address(make_app):
    client = make_app(AUTH_MAIL_MAX_PER_CLIENT=3).test_client()
    answers = [forgot(client, f"someone{n}@example.test", "192.0.2.1").status_code for n in range(4)]
    assert answers == [202, 202, 202, 429]
    assert forgot(client, "someone9@example.test", "192.0.2.2").status_code == 202


def test_links_never_point_at_a_host_the_caller_chose(make_app, signed_up):
    app = make_app()
    client = app.test_client()
    email = new_email()
    client.post("/api/auth/signup", json={"email": email, "password": PASSWORD})
    poisoned = forgot(client, email, base_url="http://evil.example")
    assert_error(poisoned, 503)
    assert client.get("/api/auth/config", base_url="http://evil.example").get_json()["password_reset"] is False
    assert not [m for m in sent_to(app, email) if "Reset" in m["Subject"]]
    for lan in ("http://192.168.1.20:5000", "http://[::1]:5000", "http://localhost:8080"):
        assert forgot(client, email, base_url=lan).status_code == 202
    assert [link_in(m).split("/reset#")[0] for m in sent_to(app, email) if "Reset" in m["Subject"]] == [
        "http://192.168.1.20:5000", "http://[::1]:5000", "http://localhost:8080"]


def test_with_public_url_links_use_it_whatever_the_host(make_app):
    app = make_app(PUBLIC_URL="https://video.example.org")
    client = app.test_client()
    email = new_email()
    client.post("/api/auth/signup", json={"email": email, "password": PASSWORD})
    assert forgot(client, email, base_url="http://evil.example").status_code == 202
    [mail] = [m for m in sent_to(app, email) if "Reset" in m["Subject"]]
    assert link_in(mail).startswith("https://video.example.org/reset#token=")


def test_reset_does_not_turn_totp_off_or_sign_in(app, client, signed_up):
    email, _ = signed_up()
    forgot(client, email)
    token = token_in([m for m in sent_to(app, email) if "Reset" in m["Subject"]][0])
    response = reset(client, token)
    assert response.status_code == 204 and response.get_data() == b""  # no tokens: a second factor still applies


# --- email verification ---------------------------------------------------------------------------------------

def test_sign_up_mails_a_link_that_verifies_the_address_and_the_tokens_say_so(app, client, signed_up, sign_in):
    email, password = signed_up()
    [mail] = sent_to(app, email)
    assert mail["Subject"] == "Verify your email address for VideoForge"
    assert link_in(mail).startswith("http://localhost/verify#token=")
    verifier = app.extensions["videoforge.verifier"]
    before = sign_in(email, password).get_json()
    assert verifier.verify(before["access_token"]).claims["email_verified"] is False
    assert client.get("/api/auth/me", headers=bearer(before["access_token"])).get_json()["email_verified"] is False
    verified = client.post("/api/auth/email/verify", json={"token": token_in(mail)})
    assert verified.status_code == 200 and verified.get_json()["email_verified"] is True
    assert_error(client.post("/api/auth/email/verify", json={"token": token_in(mail)}), 400)  # once
    after = sign_in(email, password).get_json()
    assert verifier.verify(after["access_token"]).claims["email_verified"] is True
    assert verifier.verify(after["id_token"], token_use="id").claims["email_verified"] is True


def test_where_verification_is_required_an_unverified_account_cannot_upload(make_app):
    app = make_app(AUTH_EMAIL_VERIFICATION="required")
    client = app.test_client()
    email = new_email()
    client.post("/api/auth/signup", json={"email": email, "password": PASSWORD})
    access = client.post("/api/auth/token", json={"email": email, "password": PASSWORD}).get_json()["access_token"]
    refused = assert_error(client.post("/api/gallery/uploads", json=UPLOAD, headers=bearer(access)), 403)
    assert "Verify your email address" in refused["message"]
    assert client.get("/api/auth/config").get_json()["email_verification"] == "required"
    # A new link replaces the first; following it lets the same (older) token upload: the row is the truth.
    assert client.post("/api/auth/email/verify/resend", headers=bearer(access)).status_code == 202
    first, second = sent_to(app, email)
    assert_error(client.post("/api/auth/email/verify", json={"token": token_in(first)}), 400)
    assert client.post("/api/auth/email/verify", json={"token": token_in(second)}).status_code == 200
    assert client.post("/api/gallery/uploads", json=UPLOAD, headers=bearer(access)).status_code == 201
    assert_error(client.post("/api/auth/email/verify/resend", headers=bearer(access)), 409)  # nothing to verify


def test_optional_verification_lets_unverified_accounts_upload_and_off_mails_nothing(make_app):
    for setting, mails in (("optional", 1), ("off", 0)):
        app = make_app(AUTH_EMAIL_VERIFICATION=setting)
        client = app.test_client()
        email = new_email()
        client.post("/api/auth/signup", json={"email": email, "password": PASSWORD})
        access = client.post("/api/auth/token", json={"email": email, "password": PASSWORD}).get_json()["access_token"]
        assert client.post("/api/gallery/uploads", json=UPLOAD, headers=bearer(access)).status_code == 201
        assert len(sent_to(app, email)) == mails
        if setting == "off":
            assert_error(client.post("/api/auth/email/verify/resend", headers=bearer(access)), 404)


def test_resend_is_throttled_per_recipient(make_app):
    app = make_app(AUTH_MAIL_MAX_PER_RECIPIENT=1)
    client = app.test_client()
    email = new_email()
    client.post("/api/auth/signup", json={"email": email, "password": PASSWORD})  # the sign-up's mail is not counted
    access = client.post("/api/auth/token", json={"email": email, "password": PASSWORD}).get_json()["access_token"]
    assert client.post("/api/auth/email/verify/resend", headers=bearer(access)).status_code == 202
    assert_error(client.post("/api/auth/email/verify/resend", headers=bearer(access)), 429)


# --- change password and address -------------------------------------------------------------------------------

def test_change_password_needs_the_current_one_and_signs_out_the_other_sessions(app, client, signed_up, sign_in):
    email, password = signed_up()
    here, elsewhere = sign_in(email, password).get_json(), sign_in(email, password).get_json()
    wrong = assert_error(client.post("/api/auth/password/change", headers=bearer(here["access_token"]),
                                     json={"current_password": "not-it-at-all", "new_password": NEW_PASSWORD}), 400)
    assert list(wrong["errors"]["json"]) == ["current_password"]
    weak = assert_error(client.post("/api/auth/password/change", headers=bearer(here["access_token"]),
                                    json={"current_password": password, "new_password": "password123"}), 400)
    assert list(weak["errors"]["json"]) == ["new_password"]
    changed = client.post("/api/auth/password/change", headers=bearer(here["access_token"]),
                          json={"current_password": password, "new_password": NEW_PASSWORD})
    assert changed.status_code == 200
    tokens = changed.get_json()
    assert client.get("/api/auth/me", headers=bearer(tokens["access_token"])).status_code == 200  # this one goes on
    assert client.post("/api/auth/refresh", json={"refresh_token": tokens["refresh_token"]}).status_code == 200
    for old in (here, elsewhere):
        assert_error(client.get("/api/auth/me", headers=bearer(old["access_token"])), 401)
        assert_error(client.post("/api/auth/refresh", json={"refresh_token": old["refresh_token"]}), 401)
    assert sign_in(email, NEW_PASSWORD).status_code == 200


def test_guessing_the_current_password_with_a_stolen_token_is_throttled(make_app):
    app = make_app(AUTH_SIGNIN_MAX_FAILURES=2)
    client = app.test_client()
    email = new_email()
    client.post("/api/auth/signup", json={"email": email, "password": PASSWORD})
    access = client.post("/api/auth/token", json={"email": email, "password": PASSWORD}).get_json()["access_token"]
    guesses = [client.delete("/api/auth/account", headers=bearer(access), json={"password": f"guess-{n}-guess"})
               for n in range(3)]
    assert [g.status_code for g in guesses] == [400, 400, 429]
    right = client.post("/api/auth/password/change", headers=bearer(access),
                        json={"current_password": PASSWORD, "new_password": NEW_PASSWORD})
    assert_error(right, 429)  # even the right one, until the window passes


def test_a_new_address_takes_effect_only_through_the_link_mailed_to_it(app, client, signed_up, sign_in):
    email, password = signed_up()
    access = sign_in(email, password).get_json()["access_token"]
    new = new_email()
    wrong = assert_error(client.post("/api/auth/email/change", headers=bearer(access),
                                     json={"password": "not-it-at-all", "email": new}), 400)
    assert list(wrong["errors"]["json"]) == ["password"]
    assert client.post("/api/auth/email/change", headers=bearer(access),
                       json={"password": password, "email": new.upper()}).status_code == 202
    assert client.get("/api/auth/me", headers=bearer(access)).get_json()["email"] == email  # not yet
    [mail] = sent_to(app, new)
    assert mail["Subject"] == "Confirm your new email address for VideoForge"
    me = client.post("/api/auth/email/verify", json={"token": token_in(mail)}).get_json()
    assert me["email"] == new and me["email_verified"] is True
    assert sent_to(app, email)[-1]["Subject"] == "Your VideoForge email address was changed"
    assert sign_in(new, password).status_code == 200
    assert_error(sign_in(email, password), 401)


def test_moving_to_an_address_that_has_an_account_tells_the_asker_nothing(app, client, signed_up, sign_in):
    email, password = signed_up()
    taken, _ = signed_up()
    access = sign_in(email, password).get_json()["access_token"]
    free = client.post("/api/auth/email/change", headers=bearer(access), json={"password": password,
                                                                               "email": new_email()})
    occupied = client.post("/api/auth/email/change", headers=bearer(access), json={"password": password,
                                                                                   "email": taken})
    assert free.status_code == occupied.status_code == 202 and free.get_json() == occupied.get_json()
    notice = sent_to(app, taken)[-1]
    assert notice["Subject"] == "Your address and VideoForge" and "token=" not in notice.get_content()


def test_a_verification_link_for_an_old_address_proves_nothing_after_a_change(app, client, signed_up, sign_in):
    email, password = signed_up()
    [welcome] = sent_to(app, email)
    access = sign_in(email, password).get_json()["access_token"]
    new = new_email()
    client.post("/api/auth/email/change", headers=bearer(access), json={"password": password, "email": new})
    client.post("/api/auth/email/verify", json={"token": token_in(sent_to(app, new)[0])})
    assert_error(client.post("/api/auth/email/verify", json={"token": token_in(welcome)}), 400)


def test_mailed_links_and_passwords_never_reach_the_logs(app, client, signed_up, caplog):
    import logging

    caplog.set_level(logging.DEBUG)
    email, _ = signed_up()
    forgot(client, email)
    token = token_in([m for m in sent_to(app, email) if "Reset" in m["Subject"]][0])
    reset(client, token)
    assert token not in caplog.text and NEW_PASSWORD not in caplog.text
    assert any(".eml" in r.getMessage() for r in caplog.records)  # the local backend names the file instead


@pytest.mark.parametrize("path, body", [("/api/auth/password/forgot", {"email": "a@example.test"}),
                                        ("/api/auth/password/reset", {"token": "t", "password": PASSWORD}),
                                        ("/api/auth/email/verify", {"token": "t"})])
def test_with_cognito_the_local_recovery_routes_answer_404(make_app, path, body):
    app = make_app(AUTH_BACKEND="cognito", COGNITO_USER_POOL_ID="eu-west-1_Test", COGNITO_CLIENT_ID="abc",
                   COGNITO_DOMAIN="https://x.auth.eu-west-1.amazoncognito.com")
    assert_error(app.test_client().post(path, json=body), 404)
    assert "password_reset" not in app.test_client().get("/api/auth/config").get_json()


def test_accounts_the_operator_creates_count_as_verified(make_app):
    app = make_app(AUTH_EMAIL_VERIFICATION="required")
    result = app.test_cli_runner().invoke(args=["create-user", "ops@example.test", "--password", PASSWORD])
    assert result.exit_code == 0, result.output
    client = app.test_client()
    access = client.post("/api/auth/token", json={"email": "ops@example.test", "password": PASSWORD}
                         ).get_json()["access_token"]
    assert client.post("/api/gallery/uploads", json=UPLOAD, headers=bearer(access)).status_code == 201
    assert sent_by(app) == []  # no link needed, none mailed
