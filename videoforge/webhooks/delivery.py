"""Sending webhooks: claim what is due, POST it signed to the address just checked, log the attempt, back off.

The dispatcher runs beside every worker (videoforge/modules/processor/worker.py starts it), so deliveries go out
wherever jobs run: the worker processes, or the all-in-one's in-process pool. Several dispatchers share the table:
each claims a delivery by moving its `next_attempt_at` forward (a lease) in a guarded UPDATE, so one of them sends
it; if that one dies mid-send, the lease runs out and another sends it again (at least once: receivers de-duplicate
by the event id).

Each POST is signed with the endpoint's secret (and, for a while after a roll, the one before it: endpoint_secret.py).
To send it: resolve the host once, refuse it unless every address is allowed (addresses.py), connect to that address
(the Host header and TLS name stay the URL's), send, read at most the answer's first KiB, never follow a redirect,
and give up after WEBHOOK_TIMEOUT seconds in all. A 2xx delivers; anything else is retried with
exponential back-off until WEBHOOK_RETRY_FOR has passed since the delivery was made, then it has failed.
"""

from __future__ import annotations

import contextlib
import functools
import http.client
import json
import logging
import socket
import ssl
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import delete, select, update

from videoforge import sealing
from videoforge.db import Database, rows_matched
from videoforge.models import WebhookAttempt, WebhookDelivery, WebhookEndpoint, WebhookEvent, utcnow
from videoforge.webhooks import DeliveryStatus, endpoint_secret, signing
from videoforge.webhooks.addresses import IPAddress, Target, TargetRefused, check_target, is_allowed

log = logging.getLogger("videoforge.webhooks")

USER_AGENT = "VideoForge-Webhooks/1"
RESPONSE_SNIPPET = 1024
"""Bytes of an answer kept in the delivery log."""
BACKOFF_BASE = 30
"""Seconds before the first retry; each next one waits twice as long, at most BACKOFF_CAP."""
BACKOFF_CAP = 4 * 3600
LEASE_SECONDS = 120
"""How long a claimed delivery stays hidden from other dispatchers: longer than one POST can take."""
BATCH = 20
"""Deliveries one pass claims."""
CONCURRENCY = 4
"""POSTs in flight at once in one dispatcher: one slow endpoint does not hold up the others."""


@dataclass(frozen=True)
class Answer:
    """What one POST got: a status and the answer's first bytes, or an error (never both empty)."""

    status: int | None
    response: str | None
    error: str | None
    duration_ms: int


@dataclass(frozen=True)
class Settings:
    """The config one dispatcher works with."""

    secret_keys: list[str]
    allow_loopback: bool
    timeout: float
    retry_for: int
    retention: int

    @classmethod
    def from_config(cls, config: dict[str, Any]) -> Settings:
        return cls(secret_keys=sealing.keys_of(config), allow_loopback=bool(config.get("WEBHOOK_ALLOW_LOOPBACK")),
                   timeout=float(config.get("WEBHOOK_TIMEOUT", 5.0)),
                   retry_for=int(config.get("WEBHOOK_RETRY_FOR", 24 * 3600)),
                   retention=int(config.get("WEBHOOK_RETENTION", 30 * 24 * 3600)))


# --- one POST ----------------------------------------------------------------------------------------------------

class _PinnedHTTP(http.client.HTTPConnection):
    """An HTTP connection to one checked address, whatever the name resolves to now."""

    def __init__(self, target: Target, address: IPAddress, timeout: float, allow_loopback: bool):
        super().__init__(target.host, target.port, timeout=timeout)
        self.address, self.allow_loopback = address, allow_loopback

    def connect(self) -> None:
        self.sock = self._pinned_socket()

    def _pinned_socket(self) -> socket.socket:
        sock = socket.create_connection((str(self.address), self.port), self.timeout)
        # The peer is the address checked (no proxy or name lies in between); say so rather than assume it.
        if not is_allowed(_peer_address(sock), self.allow_loopback):
            sock.close()
            raise TargetRefused("connected to an address that is not allowed")
        return sock


class _PinnedHTTPS(_PinnedHTTP):
    """The same over TLS: the certificate is checked against the URL's host name."""

    def connect(self) -> None:
        self.sock = self._pinned_socket()  # the watchdog can cut a handshake that drips, too
        self.sock = _tls().wrap_socket(self.sock, server_hostname=self.host)


@functools.cache
def _tls() -> ssl.SSLContext:
    """The system's trusted CAs, host names checked (made on first use: loading the CAs takes a moment)."""
    return ssl.create_default_context()


def _peer_address(sock: socket.socket) -> IPAddress:
    import ipaddress

    return ipaddress.ip_address(str(sock.getpeername()[0]).split("%", 1)[0])


def post(target: Target, address: IPAddress, body: bytes, headers: dict[str, str], timeout: float,
         allow_loopback: bool) -> Answer:
    """POST `body` to `target` at `address`; within `timeout` seconds in all (a watchdog cuts a slow answer)."""
    kind = _PinnedHTTPS if target.scheme == "https" else _PinnedHTTP
    connection = kind(target, address, timeout, allow_loopback)
    watchdog = threading.Timer(timeout, _cut, (connection,))
    watchdog.daemon = True
    started = time.monotonic()
    watchdog.start()
    try:
        connection.request("POST", target.path, body=body, headers=headers)
        answer = connection.getresponse()
        snippet = answer.read(RESPONSE_SNIPPET)
        return Answer(answer.status, snippet.decode("utf-8", "replace"), None, _since(started))
    except TargetRefused as exc:
        return Answer(None, None, f"refused: {exc.reason}", _since(started))
    except (OSError, http.client.HTTPException) as exc:
        late = time.monotonic() - started >= timeout
        return Answer(None, None, f"timed out after {timeout:g} s" if late else describe(exc), _since(started))
    finally:
        watchdog.cancel()
        connection.close()


def _cut(connection: http.client.HTTPConnection) -> None:
    """The watchdog: end a POST that outlived its time (a server dripping its answer byte by byte)."""
    sock = connection.sock
    if sock is not None:
        with contextlib.suppress(OSError):  # already closed: the POST ended on its own
            sock.shutdown(socket.SHUT_RDWR)


def describe(exc: BaseException) -> str:
    """One line for the delivery log, naming no address of ours."""
    if isinstance(exc, ssl.SSLCertVerificationError):
        return f"TLS certificate not accepted: {exc.verify_message}"
    if isinstance(exc, ssl.SSLError):
        return f"TLS failed: {exc.reason or exc}"
    if isinstance(exc, TimeoutError):
        return "timed out"
    if isinstance(exc, ConnectionRefusedError):
        return "connection refused"
    if isinstance(exc, ConnectionResetError):
        return "connection reset"
    return f"{type(exc).__name__}: {exc}"[:300]


def _since(started: float) -> int:
    return int((time.monotonic() - started) * 1000)


# --- one delivery --------------------------------------------------------------------------------------------------

def body_of(event: WebhookEvent) -> bytes:
    """The exact bytes sent (and signed): the event's JSON, compact."""
    return json.dumps(event.payload, separators=(",", ":"), ensure_ascii=False).encode()


def headers_for(event: WebhookEvent, delivery_id: str, secrets: list[str], body: bytes) -> dict[str, str]:
    """The request's headers, the body signed with each of `secrets` (two while a rolled secret overlaps)."""
    return {"Content-Type": "application/json", "User-Agent": USER_AGENT, "Connection": "close",
            "VideoForge-Event": event.type, "VideoForge-Event-Id": event.id, "VideoForge-Delivery": delivery_id,
            signing.HEADER: signing.header_value(secrets, body)}


def attempt(db: Database, settings: Settings, delivery_id: str, now: datetime | None = None) -> str:
    """Try one claimed delivery once and record how it went; its new status."""
    with db.session() as session:
        delivery = session.get(WebhookDelivery, delivery_id)
        if delivery is None:
            return "gone"
        endpoint = session.get(WebhookEndpoint, delivery.endpoint_id)
        if endpoint is None:
            return "gone"
        url, enabled = endpoint.url, endpoint.enabled
        body = body_of(delivery.event)
        secrets = endpoint_secret.signing_secrets(session, settings.secret_keys, endpoint, now or utcnow())
        headers = headers_for(delivery.event, delivery.id, secrets, body) if secrets is not None else {}
    started_at = utcnow()
    if secrets is None:
        answer = Answer(None, None, "not sent: the endpoint's secret no longer opens (was SECRET_KEY changed "
                                    "without SECRET_KEY_FALLBACKS?); roll its secret", 0)
    elif not enabled:
        answer = Answer(None, None, "not sent: the endpoint is disabled", 0)
    else:
        try:
            target, address = check_target(url, settings.allow_loopback)
        except TargetRefused as exc:
            answer = Answer(None, None, f"refused: {exc.reason}", 0)
        else:
            answer = post(target, address, body, headers, settings.timeout, settings.allow_loopback)
    return record(db, settings, delivery_id, started_at, answer, final=secrets is None or not enabled, now=now)


def record(db: Database, settings: Settings, delivery_id: str, started_at: datetime, answer: Answer,
           final: bool = False, now: datetime | None = None) -> str:
    """Log the attempt and settle the delivery: delivered, due again after its back-off, or failed."""
    now = now or utcnow()
    with db.session() as session:
        delivery = session.get(WebhookDelivery, delivery_id)
        if delivery is None:  # its endpoint was deleted while it was being sent
            return "gone"
        session.add(WebhookAttempt(delivery_id=delivery_id, started_at=started_at, duration_ms=answer.duration_ms,
                                   status_code=answer.status, response=answer.response, error=answer.error))
        delivery.attempts += 1
        delivery.last_status_code, delivery.last_error = answer.status, answer.error
        if answer.status is not None and 200 <= answer.status < 300:
            delivery.status, delivery.delivered_at, delivery.next_attempt_at = DeliveryStatus.DELIVERED, now, None
        else:
            if answer.error is None:
                delivery.last_error = f"answered {answer.status}"
            deadline = delivery.created_at + timedelta(seconds=settings.retry_for)
            if final or now >= deadline:
                delivery.status, delivery.next_attempt_at = DeliveryStatus.FAILED, None
            else:
                delivery.next_attempt_at = min(now + timedelta(seconds=backoff(delivery.attempts)), deadline)
        log.info("webhook delivery %s: %s (attempt %d)%s", delivery_id, delivery.status, delivery.attempts,
                 f": {delivery.last_error}" if delivery.status != DeliveryStatus.DELIVERED else "",
                 extra={"video_id": delivery.event.video_id})
        return delivery.status


def backoff(attempts: int) -> int:
    """Seconds before the next try after `attempts` failed ones: 30 s, 1 min, 2 min … at most 4 h apart (14 tries
    within the day, and a last one as it ends)."""
    return min(BACKOFF_CAP, BACKOFF_BASE * 2 ** max(0, attempts - 1))


# --- the dispatcher -------------------------------------------------------------------------------------------------

def claim_due(db: Database, now: datetime | None = None, limit: int = BATCH) -> list[str]:
    """Deliveries due by `now` that this dispatcher won (their lease moved forward), oldest due first."""
    now = now or utcnow()
    with db.session() as session:
        due = session.scalars(select(WebhookDelivery.id).where(
            WebhookDelivery.status == DeliveryStatus.PENDING, WebhookDelivery.next_attempt_at <= now)
            .order_by(WebhookDelivery.next_attempt_at).limit(limit)).all()
    claimed = []
    for delivery_id in due:
        with db.session() as session:
            won = session.execute(update(WebhookDelivery).where(
                WebhookDelivery.id == delivery_id, WebhookDelivery.status == DeliveryStatus.PENDING,
                WebhookDelivery.next_attempt_at <= now).values(
                next_attempt_at=now + timedelta(seconds=LEASE_SECONDS)))
            if rows_matched(won):
                claimed.append(delivery_id)
    return claimed


def deliver_due(db: Database, config: dict[str, Any], now: datetime | None = None,
                pool: ThreadPoolExecutor | None = None) -> dict[str, str]:
    """One pass: claim what is due and send it (in `pool` when given); each delivery's new status by id."""
    settings = Settings.from_config(config)
    claimed = claim_due(db, now)
    if pool is None:
        return {delivery_id: attempt(db, settings, delivery_id, now) for delivery_id in claimed}
    futures = {delivery_id: pool.submit(attempt, db, settings, delivery_id, now) for delivery_id in claimed}
    return {delivery_id: future.result() for delivery_id, future in futures.items()}


def prune(db: Database, retention_seconds: int, now: datetime | None = None) -> int:
    """Delete events older than the retention, with their deliveries and logs (settled or not: a day of retries
    ended long before)."""
    cutoff = (now or utcnow()) - timedelta(seconds=retention_seconds)
    with db.session() as session:
        old = select(WebhookEvent.id).where(WebhookEvent.created_at < cutoff)
        attempts_of_old = select(WebhookDelivery.id).where(WebhookDelivery.event_id.in_(old))
        # Children first: SQLite enforces the cascades only on connections with foreign keys on (ours are).
        session.execute(delete(WebhookAttempt).where(WebhookAttempt.delivery_id.in_(attempts_of_old)))
        session.execute(delete(WebhookDelivery).where(WebhookDelivery.event_id.in_(old)))
        return rows_matched(session.execute(delete(WebhookEvent).where(WebhookEvent.created_at < cutoff)))


class Dispatcher(threading.Thread):
    """Delivers due webhooks every `interval` seconds until `stop` is set; prunes old ones hourly."""

    PRUNE_SECONDS = 3600

    def __init__(self, db: Database, config: dict[str, Any], stop: threading.Event, interval: float = 1.0):
        super().__init__(name="webhook-dispatcher", daemon=True)
        self.db, self.config, self.stop, self.interval = db, config, stop, interval
        self._pruned = 0.0

    def run(self) -> None:
        failures = 0
        with ThreadPoolExecutor(CONCURRENCY, thread_name_prefix="webhook") as pool:
            while not self.stop.wait(self.interval * 2 ** min(failures, 5)):
                try:
                    deliver_due(self.db, self.config, pool=pool)
                    if time.monotonic() - self._pruned >= self.PRUNE_SECONDS:
                        self._pruned = time.monotonic()
                        prune(self.db, Settings.from_config(self.config).retention)
                    failures = 0
                except Exception as exc:  # noqa: BLE001 - the database is away, or not migrated yet: try later
                    failures += 1
                    log.warning("webhook dispatch failed (%d in a row): %s", failures, exc)
