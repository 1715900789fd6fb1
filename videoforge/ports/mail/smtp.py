"""SMTP adapter: any mail server, with STARTTLS and a login (the password may be a Secrets Manager reference)."""

from __future__ import annotations

import smtplib
import ssl
from email.message import EmailMessage
from typing import Any

from videoforge.ports.mail import MailError


class SmtpMailer:
    """One connection per message: account mail is rare, and a held connection would time out between them."""

    def __init__(self, host: str, port: int = 587, *, starttls: bool = True, username: str = "", password: str = "",
                 timeout: float = 10.0, tls_context: ssl.SSLContext | None = None):
        self.host = host
        self.port = port
        self.starttls = starttls
        self.username = username
        self.password = password
        self.timeout = timeout
        self.tls_context = tls_context or ssl.create_default_context()
        """Checks the server's certificate and name; tests pass one that trusts their own certificate."""

    @classmethod
    def from_config(cls, config: dict[str, Any]) -> SmtpMailer:
        return cls(config["SMTP_HOST"], int(config["SMTP_PORT"]), starttls=bool(config["SMTP_STARTTLS"]),
                   username=config.get("SMTP_USERNAME") or "", password=config.get("SMTP_PASSWORD") or "",
                   timeout=float(config["SMTP_TIMEOUT"]))

    def send(self, message: EmailMessage) -> None:
        try:
            with smtplib.SMTP(self.host, self.port, timeout=self.timeout) as smtp:
                smtp.ehlo()
                if self.starttls:
                    # Refuses to go on in the clear when the server offers no STARTTLS: the login and the
                    # links would travel readable.
                    smtp.starttls(context=self.tls_context)
                    smtp.ehlo()
                if self.username:
                    smtp.login(self.username, self.password)
                smtp.send_message(message)
        except (smtplib.SMTPException, OSError) as exc:
            # smtplib's messages carry the server's reply, never the password.
            raise MailError(f"SMTP {self.host}:{self.port}: {type(exc).__name__}: {exc}") from exc
