"""The embedded job queue: a table in the app's database (SQLite or PostgreSQL), SQS semantics without SQS."""

from __future__ import annotations

import secrets
import time
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import and_, case, delete, func, select, update
from sqlalchemy.orm import Session

from videoforge.db import Database, rows_matched
from videoforge.models import QueueMessage, utcnow
from videoforge.ports.queue import DeadLetter, Message, QueueDepth

POLL_SECONDS = 0.2
"""How often a long-polling receive looks at the table again while it waits."""


class SqlQueue:
    """Messages are rows; a receive hides a row until `visible_at` and hands out a fresh receipt.

    A receive that would exceed `max_receives` marks the row dead instead of delivering it, as
    SQS's redrive policy moves such a message to the dead-letter queue.
    """

    transactional = True

    def __init__(self, db: Database, name: str = "jobs", visibility_timeout: int = 120, max_receives: int = 3):
        if max_receives < 1:
            raise ValueError(f"QUEUE_MAX_RECEIVES must be at least 1, got {max_receives}")
        self.db = db
        self.name = name
        self.visibility_timeout = visibility_timeout
        self.max_receives = max_receives
        self._postgres = db.engine.dialect.name == "postgresql"

    @classmethod
    def from_config(cls, config: dict[str, Any], db: Database | None) -> SqlQueue:
        if db is None:
            raise ValueError("QUEUE_BACKEND=sql needs a database, but no enabled module uses one")
        return cls(db, visibility_timeout=int(config["QUEUE_VISIBILITY_TIMEOUT"]),
                   max_receives=int(config["QUEUE_MAX_RECEIVES"]))

    def send(self, body: dict[str, Any], *, delay: int = 0, session: Session | None = None) -> str:
        """Add a message; with `session` it joins that transaction (committed or rolled back with it)."""
        row = QueueMessage(queue=self.name, body=body, visible_at=utcnow() + timedelta(seconds=delay))
        if session is not None:
            session.add(row)
            session.flush()  # assigns the id; the caller's commit makes the message visible
            return str(row.id)
        with self.db.session() as own:
            own.add(row)
            own.flush()
            return str(row.id)

    def receive(self, *, max_messages: int = 1, wait_seconds: float = 0,
                visibility_timeout: int | None = None) -> list[Message]:
        """Up to `max_messages`, waiting up to `wait_seconds` for the first one (long polling)."""
        hide = self.visibility_timeout if visibility_timeout is None else visibility_timeout
        deadline = time.monotonic() + wait_seconds
        while True:
            claimed = self._claim(max_messages, hide)
            if claimed or time.monotonic() >= deadline:
                return claimed
            time.sleep(min(POLL_SECONDS, max(0.0, deadline - time.monotonic())))

    def _claim(self, limit: int, hide: int) -> list[Message]:
        now = utcnow()
        ready = (select(QueueMessage)
                 .where(QueueMessage.queue == self.name, QueueMessage.dead.is_(False), QueueMessage.visible_at <= now)
                 .order_by(QueueMessage.visible_at, QueueMessage.id))
        claimed: list[Message] = []
        with self.db.session() as session:
            if self._postgres:
                # Rows another consumer has locked are skipped, not waited for: disjoint claims.
                rows = session.scalars(ready.limit(limit * 2 + 8).with_for_update(skip_locked=True)).all()
            else:
                rows = session.scalars(ready.limit(limit * 2 + 8)).all()
            for row in rows:
                if len(claimed) == limit:
                    break
                message = self._take(session, row, now, hide)
                if message is not None:
                    claimed.append(message)
        return claimed

    def _take(self, session: Session, row: QueueMessage, now: datetime, hide: int) -> Message | None:
        dead = row.receive_count >= self.max_receives
        receipt = None if dead else secrets.token_hex(16)
        values: dict[str, Any] = {"dead": True, "receipt": None} if dead else {
            "receipt": receipt, "receive_count": row.receive_count + 1,
            "visible_at": now + timedelta(seconds=hide),
            "first_received_at": row.first_received_at or now,
        }
        # Compare-and-set on what we read: on SQLite (no row locks) a concurrent consumer that
        # claimed the row first has changed receive_count or visible_at, so this matches nothing.
        # On PostgreSQL the row is already locked by us and the guard always holds.
        result = session.execute(
            update(QueueMessage)
            .where(QueueMessage.id == row.id, QueueMessage.dead.is_(False),
                   QueueMessage.receive_count == row.receive_count, QueueMessage.visible_at == row.visible_at)
            .values(**values)
            .execution_options(synchronize_session=False))
        if rows_matched(result) != 1 or receipt is None:  # lost the race, or dead
            return None
        return Message(id=str(row.id), body=row.body, receipt=receipt, receive_count=row.receive_count + 1)

    def delete(self, message: Message) -> None:
        """Remove a received message for good (a stale receipt deletes nothing)."""
        with self.db.session() as session:
            session.execute(
                delete(QueueMessage).where(QueueMessage.id == int(message.id), QueueMessage.receipt == message.receipt)
                .execution_options(synchronize_session=False))

    def extend(self, message: Message, seconds: int) -> None:
        """Keep a message hidden `seconds` from now (the worker's heartbeat)."""
        self._update_received(message, visible_at=utcnow() + timedelta(seconds=seconds))

    def release(self, message: Message, *, delay: int = 0, error: str | None = None) -> None:
        """Hand a message back: visible again after `delay`; `error` is kept for the dead-letter list."""
        values: dict[str, Any] = {"visible_at": utcnow() + timedelta(seconds=delay), "receipt": None}
        if error is not None:
            values["last_error"] = error[:4000]
        self._update_received(message, **values)

    def _update_received(self, message: Message, **values: Any) -> None:
        with self.db.session() as session:
            session.execute(
                update(QueueMessage)
                .where(QueueMessage.id == int(message.id), QueueMessage.receipt == message.receipt)
                .values(**values)
                .execution_options(synchronize_session=False))

    def depth(self) -> QueueDepth:
        """Waiting, hidden (received or delayed) and dead messages."""
        now = utcnow()
        live = QueueMessage.dead.is_(False)
        with self.db.session() as session:
            visible, hidden, dead = session.execute(
                select(
                    func.coalesce(func.sum(case((and_(live, QueueMessage.visible_at <= now), 1), else_=0)), 0),
                    func.coalesce(func.sum(case((and_(live, QueueMessage.visible_at > now), 1), else_=0)), 0),
                    func.coalesce(func.sum(case((QueueMessage.dead.is_(True), 1), else_=0)), 0),
                ).where(QueueMessage.queue == self.name)).one()
        return QueueDepth(visible=int(visible), in_flight=int(hidden), dead=int(dead))

    def dead_letters(self, limit: int = 100) -> list[DeadLetter]:
        """Dead messages, oldest first, with the last error a consumer reported."""
        with self.db.session() as session:
            rows = session.scalars(
                select(QueueMessage).where(QueueMessage.queue == self.name, QueueMessage.dead.is_(True))
                .order_by(QueueMessage.id).limit(limit)).all()
            return [DeadLetter(id=str(r.id), body=r.body, receive_count=r.receive_count, error=r.last_error)
                    for r in rows]

    def redrive(self, ids: list[str] | None = None) -> int:
        """Put dead messages (all, or those ids) back in the queue with a fresh receive count."""
        where = [QueueMessage.queue == self.name, QueueMessage.dead.is_(True)]
        if ids is not None:
            numeric = [int(i) for i in ids if str(i).isdigit()]
            if not numeric:
                return 0
            where.append(QueueMessage.id.in_(numeric))
        with self.db.session() as session:
            result = session.execute(
                update(QueueMessage).where(*where)
                .values(dead=False, receive_count=0, receipt=None, visible_at=utcnow(), first_received_at=None)
                .execution_options(synchronize_session=False))
            return rows_matched(result)
