"""Job queue port: at-least-once delivery with visibility timeouts, receive counts and dead letters."""

from __future__ import annotations

import threading
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Protocol

if TYPE_CHECKING:
    from flask import Flask
    from sqlalchemy.orm import Session

    from videoforge.db import Database


@dataclass
class Message:
    """A received job; `receipt` proves this receive and is what delete/extend/release take."""

    id: str
    body: dict[str, Any]
    receipt: str
    receive_count: int


@dataclass(frozen=True)
class QueueDepth:
    """Visible (waiting), in flight (received, not deleted) and dead-lettered messages."""

    visible: int
    in_flight: int
    dead: int


@dataclass(frozen=True)
class DeadLetter:
    """A message that ran out of receives."""

    id: str
    body: dict[str, Any]
    receive_count: int
    error: str | None


class Queue(Protocol):
    """What every queue adapter offers."""

    name: str
    """The queue's name (the SQS queue's, or the table's queue column): the dimension of its metrics."""
    transactional: bool
    """True when `send(..., session=s)` joins the caller's database transaction (the SQL table)."""
    max_receives: int
    """Receives after which a message goes to the dead letters instead of being delivered again."""
    visibility_timeout: int
    """Seconds a received message stays hidden unless extended."""

    def send(self, body: dict[str, Any], *, delay: int = 0, session: Session | None = None) -> str: ...
    def receive(self, *, max_messages: int = 1, wait_seconds: float = 0,
                visibility_timeout: int | None = None) -> list[Message]: ...
    def delete(self, message: Message) -> None: ...
    def extend(self, message: Message, seconds: int) -> None: ...
    def release(self, message: Message, *, delay: int = 0, error: str | None = None) -> None: ...
    def depth(self) -> QueueDepth: ...
    def dead_letters(self, limit: int = 100) -> list[DeadLetter]: ...
    def redrive(self, ids: list[str] | None = None) -> int: ...


def make_queue(config: dict[str, Any], db: Database | None) -> Queue:
    """The adapter named by QUEUE_BACKEND; boto3 is imported only for sqs."""
    if config["QUEUE_BACKEND"] == "sqs":
        from videoforge.ports.queue.sqs import SqsQueue

        return SqsQueue.from_config(config)
    from videoforge.ports.queue.sql import SqlQueue

    return SqlQueue.from_config(config, db)


_create_lock = threading.Lock()


def get_queue(app: Flask | None = None) -> Queue:
    """The app's queue, made on first use and kept in app.extensions["videoforge.queue"]."""
    if app is None:
        from flask import current_app

        app = current_app  # the proxy reads the same extensions and config
    queue: Queue | None = app.extensions.get("videoforge.queue")
    if queue is None:
        with _create_lock:
            queue = app.extensions.get("videoforge.queue")
            if queue is None:
                queue = make_queue(app.config, app.extensions.get("videoforge.db"))
                app.extensions["videoforge.queue"] = queue
    return queue
