"""Mail port: send one message. The adapter (a folder, SMTP, Amazon SES) is picked by MAIL_BACKEND."""

from __future__ import annotations

import os
import threading
from collections.abc import Mapping
from email.message import EmailMessage
from typing import TYPE_CHECKING, Any, Protocol

if TYPE_CHECKING:
    from flask import Flask

    from videoforge.ports.mail.courier import Courier

EXTENSION = "videoforge.mail"
"""Key of the app's Courier in app.extensions."""
LOCAL_SENDER = "VideoForge <videoforge@localhost>"
"""From of the local backend when MAIL_FROM is unset: its messages never leave the instance folder."""


class MailError(Exception):
    """The message was not accepted for delivery; the message says why (never its body, which may hold a link)."""


class Mailer(Protocol):
    """What every mail adapter offers: hand one message (From, To and Subject set) to its next hop."""

    def send(self, message: EmailMessage) -> None: ...


def make_mailer(config: dict[str, Any], instance_path: str) -> Mailer:
    """The adapter named by MAIL_BACKEND; boto3 is imported only for ses."""
    backend = config["MAIL_BACKEND"]
    if backend == "smtp":
        from videoforge.ports.mail.smtp import SmtpMailer

        return SmtpMailer.from_config(config)
    if backend == "ses":
        from videoforge.ports.mail.ses import SesMailer

        return SesMailer.from_config(config)
    from videoforge.ports.mail.local import LocalMailer

    return LocalMailer(config.get("MAIL_PATH") or os.path.join(instance_path, "mail"))


def sender_of(config: Mapping[str, Any]) -> str:
    """The From address: MAIL_FROM, or for the local backend a placeholder (validate() requires it elsewhere)."""
    return config.get("MAIL_FROM") or LOCAL_SENDER


_create_lock = threading.Lock()


def get_courier(app: Flask) -> Courier:
    """The app's Courier (its adapter behind one sending thread), made on first use."""
    from videoforge.ports.mail.courier import Courier

    courier: Courier | None = app.extensions.get(EXTENSION)
    if courier is None:
        with _create_lock:
            courier = app.extensions.get(EXTENSION)
            if courier is None:
                courier = app.extensions[EXTENSION] = Courier(make_mailer(app.config, app.instance_path))
    return courier
