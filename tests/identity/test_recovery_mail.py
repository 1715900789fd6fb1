"""The reset journey through real mail servers: SMTP on loopback (aiosmtpd with STARTTLS and a login) and Amazon
SES (moto_server). The test reads the message the server received and follows the link in it."""

from __future__ import annotations

import email
import json
import urllib.request
from email import policy

import boto3

from tests.identity.conftest import PASSWORD, assert_error, new_email
from tests.mailbox import SmtpSink, link_in, token_in
from videoforge.ports.mail import get_courier

SENDER = "VideoForge <no-reply@example.test>"
NEW_PASSWORD = "juniper-quartz-77-lake"


def reset_journey(app, receive) -> None:
    """Sign up, forget, follow the mailed link, sign in with the new password."""
    client = app.test_client()
    address = new_email()
    assert client.post("/api/auth/signup", json={"email": address, "password": PASSWORD}).status_code == 201
    assert client.post("/api/auth/password/forgot", json={"email": address}).status_code == 202
    get_courier(app).flush()
    mail = next(m for m in receive(address) if m["Subject"] == "Reset your VideoForge password")
    assert mail["From"] == SENDER
    assert link_in(mail).startswith("https://video.example.test/reset#token=")
    assert client.post("/api/auth/password/reset", json={"token": token_in(mail), "password": NEW_PASSWORD}
                       ).status_code == 204
    assert_error(client.post("/api/auth/token", json={"email": address, "password": PASSWORD}), 401)
    assert client.post("/api/auth/token", json={"email": address, "password": NEW_PASSWORD}).status_code == 200


def test_reset_through_a_real_smtp_server_with_starttls_and_a_login(make_app, monkeypatch):
    sink = SmtpSink(username="videoforge", password="mail-pass-8812").start()
    monkeypatch.setenv("SSL_CERT_FILE", sink.cert_path)  # OpenSSL's default trust: the sink's own certificate
    try:
        app = make_app(MAIL_BACKEND="smtp", MAIL_FROM=SENDER, SMTP_HOST="127.0.0.1", SMTP_PORT=sink.port,
                       SMTP_USERNAME="videoforge", SMTP_PASSWORD="mail-pass-8812",
                       PUBLIC_URL="https://video.example.test")
        reset_journey(app, lambda to: sink.wait_for(to, count=2))  # the welcome (verify) and the reset
        assert set(sink.logins) == {"videoforge"}
    finally:
        sink.stop()


def test_reset_through_amazon_ses(make_app, moto_endpoint):
    ses = boto3.client("sesv2", endpoint_url=moto_endpoint, region_name="us-east-1")
    ses.create_email_identity(EmailIdentity="no-reply@example.test")
    app = make_app(MAIL_BACKEND="ses", MAIL_FROM=SENDER, SES_ENDPOINT_URL=moto_endpoint, SES_REGION="us-east-1",
                   PUBLIC_URL="https://video.example.test")

    def received(to: str):
        with urllib.request.urlopen(f"{moto_endpoint}/moto-api/data.json", timeout=5) as response:
            raw = json.load(response).get("ses", {}).get("RawMessage", [])
        return [email.message_from_bytes(m["raw_data"].encode(), policy=policy.default)
                for m in raw if any(to in d for d in m["destinations"])]

    reset_journey(app, received)
