"""The mail contract: one suite, run unchanged on the local folder, a real SMTP server on loopback (aiosmtpd, with
STARTTLS and a login) and Amazon SES (moto_server); then what only SMTP has: TLS and credentials."""

from __future__ import annotations

import json
import urllib.request
import uuid
from email.message import EmailMessage

import boto3
import pytest

from tests.mailbox import SmtpSink, read_folder
from videoforge import create_app
from videoforge.ports.mail import MailError, get_courier, make_mailer
from videoforge.ports.mail.local import LocalMailer
from videoforge.ports.mail.ses import SesMailer
from videoforge.ports.mail.smtp import SmtpMailer
from videoforge.secrets import clear_cache

SENDER = "VideoForge <no-reply@example.test>"
LINK = "https://video.example.test/reset#token=Ab_c-123"


def message(to: str, subject: str = "Reset your VideoForge password") -> EmailMessage:
    mail = EmailMessage()
    mail["From"], mail["To"], mail["Subject"] = SENDER, to, subject
    mail.set_content(f"Hello Zoë,\n\nOpen this link:\n\n{LINK}\n")
    return mail


def ses_client(endpoint: str):
    return boto3.client("sesv2", endpoint_url=endpoint, region_name="us-east-1")


def ses_sent(endpoint: str) -> list[dict]:
    """What moto's SES kept: its model dump lists every raw message with its data."""
    with urllib.request.urlopen(f"{endpoint}/moto-api/data.json", timeout=5) as response:
        return json.load(response).get("ses", {}).get("RawMessage", [])


@pytest.fixture(params=["local", "smtp", "ses"])
def backend(request, tmp_path):
    """(mailer, read back what reached `to`)."""
    if request.param == "local":
        folder = tmp_path / "mail"
        yield LocalMailer(str(folder)), lambda to: [m for m in read_folder(folder) if m["To"] == to]
    elif request.param == "smtp":
        sink = SmtpSink(username="mailer", password="s3cret-pass").start()
        mailer = SmtpMailer("127.0.0.1", sink.port, username="mailer", password="s3cret-pass",
                            tls_context=sink.tls_context())
        yield mailer, lambda to: [m for m in sink.messages if m["To"] == to]
        sink.stop()
    else:
        import email
        from email import policy

        endpoint = request.getfixturevalue("moto_endpoint")
        client = ses_client(endpoint)
        client.create_email_identity(EmailIdentity="no-reply@example.test")

        def read(to):
            raw = [m["raw_data"] for m in ses_sent(endpoint) if any(to in d for d in m["destinations"])]
            # moto decoded the raw bytes as UTF-8 to keep them: encoding them again gives back what was sent.
            return [email.message_from_bytes(r.encode(), policy=policy.default) for r in raw]

        yield SesMailer(client), read


def test_a_message_arrives_whole(backend):
    mailer, received = backend
    to = f"zoe-{uuid.uuid4().hex[:8]}@example.test"
    mailer.send(message(to))
    [got] = received(to)
    assert got["From"] == SENDER and got["Subject"] == "Reset your VideoForge password"
    body = got.get_content().replace("\r\n", "\n")  # SMTP carries CRLF line ends
    assert "Hello Zoë" in body and f"\n{LINK}\n" in body  # the link on its own line, not wrapped or encoded


def test_each_message_is_its_own(backend):
    mailer, received = backend
    first, second = (f"p{n}-{uuid.uuid4().hex[:8]}@example.test" for n in range(2))
    mailer.send(message(first, "one"))
    mailer.send(message(second, "two"))
    assert [m["Subject"] for m in received(first)] == ["one"]
    assert [m["Subject"] for m in received(second)] == ["two"]


def test_a_refused_message_raises_mail_error(backend, tmp_path):
    mailer, _ = backend
    if isinstance(mailer, LocalMailer):
        (tmp_path / "blocked").write_text("a file where the folder should be")
        mailer = LocalMailer(str(tmp_path / "blocked" / "mail"))
    elif isinstance(mailer, SmtpMailer):
        mailer = SmtpMailer(mailer.host, mailer.port, username="mailer", password="wrong",
                            tls_context=mailer.tls_context)
    else:
        refused = message("someone@example.test")
        refused.replace_header("From", "Nobody <not-verified@elsewhere.test>")
        with pytest.raises(MailError, match="SES"):
            mailer.send(refused)
        return
    with pytest.raises(MailError):
        mailer.send(message("someone@example.test"))


def test_local_files_are_readable_by_their_owner_only(tmp_path):
    LocalMailer(str(tmp_path / "mail")).send(message("owner@example.test"))
    [path] = (tmp_path / "mail").glob("*.eml")
    assert path.stat().st_mode & 0o077 == 0
    assert not list((tmp_path / "mail").glob("*.part"))


def test_smtp_will_not_send_in_the_clear_when_starttls_is_on():
    sink = SmtpSink().start()  # no TLS offered
    try:
        with pytest.raises(MailError, match="STARTTLS"):
            SmtpMailer("127.0.0.1", sink.port).send(message("clear@example.test"))
        assert sink.messages == []
        SmtpMailer("127.0.0.1", sink.port, starttls=False).send(message("clear@example.test"))  # said so: it may
        assert len(sink.wait_for("clear@example.test")) == 1
    finally:
        sink.stop()


def test_smtp_checks_the_servers_certificate():
    sink = SmtpSink(username="mailer", password="pw-123456").start()
    try:
        with pytest.raises(MailError, match="CERTIFICATE_VERIFY_FAILED|certificate"):
            SmtpMailer("127.0.0.1", sink.port, username="mailer", password="pw-123456").send(message("x@example.test"))
        assert sink.logins == []  # the password never went to a server that could not prove who it is
    finally:
        sink.stop()


def test_the_smtp_password_comes_from_secrets_manager_and_the_app_sends_through_it(tmp_path, moto_endpoint,
                                                                                  monkeypatch):
    sink = SmtpSink(username="videoforge", password="from-the-vault-42").start()
    secrets_manager = boto3.client("secretsmanager", endpoint_url=moto_endpoint, region_name="us-east-1")
    name = f"videoforge/mail/{uuid.uuid4().hex[:8]}"
    secrets_manager.create_secret(Name=name, SecretString=json.dumps({"smtp_password": "from-the-vault-42"}))
    # The adapter builds its TLS context the default way; point OpenSSL's default trust at the sink's certificate.
    monkeypatch.setenv("SSL_CERT_FILE", sink.cert_path)
    clear_cache()
    try:
        app = create_app(INSTANCE_PATH=str(tmp_path / "instance"), DATABASE_URL=f"sqlite:///{tmp_path}/db.sqlite",
                         MODULES=["auth"], TESTING=True, LOG_LEVEL="WARNING", MAIL_BACKEND="smtp", MAIL_FROM=SENDER,
                         SMTP_HOST="127.0.0.1", SMTP_PORT=sink.port, SMTP_USERNAME="videoforge",
                         SMTP_PASSWORD=f"secretsmanager:{name}#smtp_password", SECRETS_ENDPOINT_URL=moto_endpoint)
        assert app.config["SMTP_PASSWORD"] == "from-the-vault-42"
        courier = get_courier(app)
        courier.post(message("vault@example.test"))
        courier.flush()
        assert sink.wait_for("vault@example.test")[0]["Subject"] == "Reset your VideoForge password"
        assert sink.logins == ["videoforge"]
    finally:
        clear_cache()
        sink.stop()


def test_a_courier_logs_a_failure_without_the_body_and_keeps_going(tmp_path, caplog):
    class Flaky:
        def __init__(self):
            self.sent = []

        def send(self, mail):
            if mail["To"] == "down@example.test":
                raise MailError("SMTP mail.example.test:587: SMTPServerDisconnected: gone")
            self.sent.append(mail["To"])

    from videoforge.ports.mail.courier import Courier

    flaky = Flaky()
    courier = Courier(flaky)
    courier.post(message("down@example.test"))
    courier.post(message("up@example.test"))
    courier.flush()
    assert flaky.sent == ["up@example.test"]
    assert "down@example.test" in caplog.text and "token=" not in caplog.text


def test_backends_are_chosen_by_name_and_checked_at_start(tmp_path):
    from videoforge.config import ConfigError

    assert isinstance(make_mailer({"MAIL_BACKEND": "local"}, str(tmp_path)), LocalMailer)
    base = dict(INSTANCE_PATH=str(tmp_path / "i"), MODULES=["auth"], DATABASE_URL=f"sqlite:///{tmp_path}/d.db",
                TESTING=True)
    with pytest.raises(ConfigError, match="MAIL_BACKEND"):
        create_app(**base, MAIL_BACKEND="pigeon")
    with pytest.raises(ConfigError, match="MAIL_FROM"):
        create_app(**base, MAIL_BACKEND="smtp", SMTP_HOST="mail.example.test")
    with pytest.raises(ConfigError, match="SMTP_HOST"):
        create_app(**base, MAIL_BACKEND="smtp", MAIL_FROM=SENDER)
