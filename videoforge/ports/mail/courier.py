"""Sending mail after the response: a request that mails a link answers as fast as one that mails nothing.

Without it, "forgot password" for an address with an account (an SMTP round trip) would answer measurably later
than for one without, telling a stranger which addresses have accounts. One thread per process sends in order;
a failure is logged with the recipient and the reason, never the body (it holds a single-use link).
"""

from __future__ import annotations

import logging
import threading
from concurrent.futures import Future, ThreadPoolExecutor, wait
from email.message import EmailMessage

from videoforge.ports.mail import Mailer

log = logging.getLogger(__name__)


class Courier:
    """Hands messages to a Mailer on a background thread; `flush()` waits for what was posted (tests, shutdown)."""

    def __init__(self, mailer: Mailer):
        self.mailer = mailer
        self._executor: ThreadPoolExecutor | None = None
        self._pending: set[Future] = set()
        self._lock = threading.Lock()

    def post(self, message: EmailMessage) -> None:
        """Send `message` soon; returns at once."""
        with self._lock:
            if self._executor is None:  # made here, not in __init__: gunicorn forks after the app is built
                self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="mail")
            future = self._executor.submit(self._send, message)
            self._pending.add(future)
        future.add_done_callback(self._done)

    def flush(self, timeout: float = 30.0) -> None:
        """Wait until every message posted so far was sent (or failed)."""
        with self._lock:
            pending = set(self._pending)
        wait(pending, timeout=timeout)

    def _done(self, future: Future) -> None:
        with self._lock:
            self._pending.discard(future)

    def _send(self, message: EmailMessage) -> None:
        try:
            self.mailer.send(message)
        except Exception as exc:  # noqa: BLE001 - any adapter's failure: log it, the sender thread lives on
            log.error("mail to %s not sent (%s): %s: %s", message["To"], message["Subject"], type(exc).__name__,
                      str(exc)[:300])
