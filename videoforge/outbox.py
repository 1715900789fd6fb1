"""Transactional outbox: a job is written in the same transaction as the change it announces, then relayed.

With the embedded SQL queue the relay happens inside that very transaction (the message is a row in the
same database). With SQS the row is committed first and sent afterwards, retried until it goes through,
so no confirmed upload is ever left without its job. Delivery is at least once: consumers are idempotent.
"""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from sqlalchemy import Update, delete, select
from sqlalchemy.orm import Session

from videoforge.db import Database, rows_matched
from videoforge.logs import new_request_id
from videoforge.models import OutboxMessage, utcnow
from videoforge.ports.queue import Queue

log = logging.getLogger(__name__)

JOBS = "jobs"
"""Topic of messages bound for the job queue."""
TRANSCODE = "transcode"
"""Type of the job that asks a worker to transcode a video."""
TRANSCODE_CHUNK = "transcode_chunk"
"""Type of the job that asks a worker to encode one chunk of a long video's ladder (processor/chunked.py)."""
TRANSCRIBE = "transcribe"
"""Type of the job that asks a worker to make a generated caption track from a video's audio."""


@dataclass(frozen=True)
class RelayResult:
    """What one relay pass did."""

    sent: int
    failed: int


def transcode_message(video_id: str, request_id: str | None = None) -> dict[str, Any]:
    """The job that asks a worker to transcode a video; its request id ties the worker's log lines to the request."""
    return {"type": TRANSCODE, "video_id": video_id, "request_id": request_id or new_request_id()}


def chunk_message(video_id: str, take: str, plan: dict[str, Any], request_id: str | None = None) -> dict[str, Any]:
    """The job that asks a worker to encode one chunk; `plan` names the chunk, the ladder and the encoder settings,
    so every chunk of the take encodes alike whichever worker (and configuration) takes it."""
    return {"type": TRANSCODE_CHUNK, "video_id": video_id, "take": take, **plan,
            "request_id": request_id or new_request_id()}


def transcribe_message(video_id: str, caption_id: str, request_id: str | None = None) -> dict[str, Any]:
    """The job that asks a worker to transcribe a video's audio into its pending generated track `caption_id`."""
    return {"type": TRANSCRIBE, "video_id": video_id, "caption_id": caption_id,
            "request_id": request_id or new_request_id()}


def queue_transcode(session: Session, queue: Queue, transition: Update, video_id: str,
                    request_id: str | None) -> OutboxMessage | None:
    """Run a guarded transition to queued (Video.queue, Video.retry) and, if it won, write the video's transcode
    job in the same transaction. None when it lost: nothing is written, and the caller says why."""
    if not rows_matched(session.execute(transition)):
        return None
    return write(session, queue, transcode_message(video_id, request_id))


def write(session: Session, queue: Queue, payload: dict[str, Any], topic: str = JOBS) -> OutboxMessage:
    """Add an outbox row to the caller's transaction; a transactional queue gets the message in it too."""
    row = OutboxMessage(topic=topic, payload=payload)
    session.add(row)
    if queue.transactional:
        queue.send(payload, session=session)
        row.sent_at, row.attempts = utcnow(), 1
    session.flush()
    return row


def relay_pending(db: Database, queue: Queue, *, limit: int = 100, ids: list[int] | None = None) -> RelayResult:
    """Send unsent rows (only `ids` if given), oldest first; a failure is counted on the row and retried later."""
    stmt = select(OutboxMessage).where(OutboxMessage.sent_at.is_(None)).order_by(OutboxMessage.id).limit(limit)
    if ids is not None:
        stmt = stmt.where(OutboxMessage.id.in_(ids))
    if db.engine.dialect.name == "postgresql":
        # Two relays never hold the same row, so a row is not sent twice (barring a crash after sending).
        stmt = stmt.with_for_update(skip_locked=True)
    sent = failed = 0
    with db.session() as session:
        for row in session.scalars(stmt).all():
            row.attempts += 1
            try:
                queue.send(row.payload, session=session if queue.transactional else None)
            except Exception as exc:  # noqa: BLE001 - any send failure is retried later; the row keeps the reason
                row.last_error = f"{type(exc).__name__}: {exc}"[:2000]
                failed += 1
                log.warning("outbox relay: message %s not sent (attempt %s): %s", row.id, row.attempts, row.last_error,
                            extra={"video_id": (row.payload or {}).get("video_id")})
                continue
            row.sent_at, row.last_error = utcnow(), None
            sent += 1
    return RelayResult(sent=sent, failed=failed)


def relay_after_commit(db: Database, queue: Queue, message_id: int) -> None:
    """With SQS, send the row just committed; a failure leaves it to the relay loop (one try per request,
    so an SQS outage slows a confirm by one failed send, not by the whole backlog)."""
    if queue.transactional:
        return
    try:
        relay_pending(db, queue, ids=[message_id])
    except Exception:  # the row is committed; the relay loop delivers it later
        log.exception("outbox relay after commit failed; the relay loop will retry")


def pending_count(db: Database) -> int:
    """Rows not yet relayed (an alarm-worthy number when it keeps growing)."""
    from sqlalchemy import func

    with db.session() as session:
        return session.scalar(
            select(func.count()).select_from(OutboxMessage).where(OutboxMessage.sent_at.is_(None))) or 0


def prune_sent(db: Database, older_than_seconds: int) -> int:
    """Delete rows relayed longer ago than `older_than_seconds`; they are history, not state."""
    cutoff = utcnow() - timedelta(seconds=older_than_seconds)
    with db.session() as session:
        return rows_matched(session.execute(delete(OutboxMessage).where(
            OutboxMessage.sent_at.is_not(None), OutboxMessage.sent_at < cutoff)))


def relay_forever(db: Database, queue: Queue, stop: threading.Event, interval: float = 5.0) -> None:
    """Relay every `interval` seconds until `stop` is set (for a worker thread when the queue is SQS)."""
    while not stop.is_set():
        try:
            relay_pending(db, queue)
        except Exception:  # a database hiccup must not end the loop
            log.exception("outbox relay pass failed")
        stop.wait(interval)
