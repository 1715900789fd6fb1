"""The embedded mail adapter: each message becomes one .eml file in the instance folder, and one log line.

`make run` needs no mail server: open the file (any mail program reads .eml) to follow its link. The files hold
single-use links, so they are written readable by the owner only; the log names the file, never the link.
"""

from __future__ import annotations

import logging
import os
import secrets
from datetime import UTC, datetime
from email.message import EmailMessage

from videoforge.ports.mail import MailError

log = logging.getLogger(__name__)


class LocalMailer:
    """Writes messages to `folder` as `<UTC time>-<random>.eml`."""

    def __init__(self, folder: str):
        self.folder = folder

    def send(self, message: EmailMessage) -> None:
        stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S.%fZ")
        path = os.path.join(self.folder, f"{stamp}-{secrets.token_hex(4)}.eml")
        partial = path + ".part"
        try:
            os.makedirs(self.folder, mode=0o700, exist_ok=True)
            # Complete or absent: a reader polling the folder never sees half a message.
            fd = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            with os.fdopen(fd, "wb") as fh:
                fh.write(bytes(message))
            os.replace(partial, path)
        except OSError as exc:
            raise MailError(f"cannot write {path}: {exc.strerror or exc}") from exc
        log.info("mail to %s (%s) written to %s", message["To"], message["Subject"], path)
