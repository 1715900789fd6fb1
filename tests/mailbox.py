"""Mail in tests: a real SMTP server on loopback (aiosmtpd; STARTTLS with its own certificate, a login) that keeps
what it receives, the local backend's folder read back, and the link inside a message."""

from __future__ import annotations

import datetime
import email
import ipaddress
import os
import re
import ssl
import tempfile
import threading
import time
from email import policy
from email.message import EmailMessage
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

from tests.moto import free_port

LINK = re.compile(r"^(https?://\S+)$", re.MULTILINE)


def link_in(message: EmailMessage) -> str:
    """The one link a message holds (on a line of its own)."""
    text = message.get_content().replace("\r\n", "\n")  # SMTP carries CRLF line ends
    links = LINK.findall(text)
    assert len(links) == 1, text
    return links[0]


def token_in(message: EmailMessage) -> str:
    """The token of the message's link (`.../reset#token=...`: in the fragment, which no server is sent)."""
    fragment = urlsplit(link_in(message)).fragment
    return parse_qs(fragment)["token"][0]


def read_folder(folder: str | os.PathLike) -> list[EmailMessage]:
    """The local backend's messages, oldest first."""
    path = Path(folder)
    files = sorted(path.glob("*.eml")) if path.is_dir() else []
    return [email.message_from_bytes(f.read_bytes(), policy=policy.default) for f in files]


def self_signed(host: str = "127.0.0.1") -> tuple[str, str]:
    """A certificate for `host` (IP and name) and its key, as PEM files in a temporary folder: (cert, key)."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "localhost")])
    now = datetime.datetime.now(datetime.UTC)
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
            .serial_number(x509.random_serial_number()).not_valid_before(now - datetime.timedelta(minutes=5))
            .not_valid_after(now + datetime.timedelta(days=1))
            .add_extension(x509.SubjectAlternativeName([x509.DNSName("localhost"),
                                                        x509.IPAddress(ipaddress.ip_address(host))]), critical=False)
            .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
            .sign(key, hashes.SHA256()))
    folder = tempfile.mkdtemp(prefix="vf-smtp-")
    cert_path, key_path = os.path.join(folder, "cert.pem"), os.path.join(folder, "key.pem")
    Path(cert_path).write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    Path(key_path).write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                                 serialization.NoEncryption()))
    return cert_path, key_path


class SmtpSink:
    """aiosmtpd on a free loopback port. With `username`, it offers STARTTLS (its own certificate, `cert_path`),
    requires it, and accepts only that login; every message it accepts is kept in `messages`."""

    def __init__(self, username: str = "", password: str = ""):
        from aiosmtpd.controller import Controller
        from aiosmtpd.smtp import AuthResult

        self.messages: list[EmailMessage] = []
        self.logins: list[str] = []
        self._arrived = threading.Condition()
        self.cert_path = self.key_path = ""
        options: dict = {}
        if username:
            self.cert_path, self.key_path = self_signed()
            context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
            context.load_cert_chain(self.cert_path, self.key_path)

            def authenticator(server, session, envelope, mechanism, auth_data):
                ok = auth_data.login == username.encode() and auth_data.password == password.encode()
                if ok:
                    self.logins.append(username)
                return AuthResult(success=ok)

            options = dict(tls_context=context, require_starttls=True, auth_required=True, auth_require_tls=True,
                           authenticator=authenticator)
        self.port = free_port()
        self.controller = Controller(self, hostname="127.0.0.1", port=self.port, **options)

    async def handle_DATA(self, server, session, envelope):  # aiosmtpd's handler hook
        message = email.message_from_bytes(envelope.content, policy=policy.default)
        with self._arrived:
            self.messages.append(message)
            self._arrived.notify_all()
        return "250 Message accepted for delivery"

    def start(self) -> SmtpSink:
        self.controller.start()
        return self

    def stop(self) -> None:
        self.controller.stop()

    def tls_context(self) -> ssl.SSLContext:
        """A client context that trusts this server's certificate (and checks its name, as the adapter does)."""
        return ssl.create_default_context(cafile=self.cert_path)

    def wait_for(self, to: str, count: int = 1, timeout: float = 15.0) -> list[EmailMessage]:
        """The first `count` messages to `to`, waiting for them to arrive."""
        deadline = time.monotonic() + timeout
        with self._arrived:
            while True:
                mine = [m for m in self.messages if m["To"] == to]
                if len(mine) >= count:
                    return mine[:count]
                left = deadline - time.monotonic()
                assert left > 0, f"no mail to {to} after {timeout}s (got: {[m['To'] for m in self.messages]})"
                self._arrived.wait(left)


def sent_by(app) -> list[EmailMessage]:
    """What an app on the local mail backend has sent so far (waiting for its sending thread first)."""
    from videoforge.ports.mail import get_courier

    get_courier(app).flush()
    return read_folder(app.config.get("MAIL_PATH") or os.path.join(app.instance_path, "mail"))


def sent_to(app, to: str) -> list[EmailMessage]:
    return [m for m in sent_by(app) if m["To"] == to]
