"""Database engine and sessions: SQLite (WAL, busy timeout) by default, PostgreSQL by URL."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import Any, cast

from flask import current_app, g
from sqlalchemy import CursorResult, DateTime, Result, TypeDecorator, create_engine, event, text
from sqlalchemy.engine import Dialect, Engine
from sqlalchemy.engine.interfaces import DBAPIConnection
from sqlalchemy.orm import DeclarativeBase, Session, sessionmaker

from videoforge.errors import unreachable_dependency

log = logging.getLogger(__name__)


class Base(DeclarativeBase):
    """Declarative base of every VideoForge table."""


class Database:
    """One engine and session factory per app."""

    def __init__(self, url: str):
        self.url = url
        self.engine = make_engine(url)
        self.sessions = sessionmaker(self.engine, expire_on_commit=False)

    @contextmanager
    def session(self) -> Iterator[Session]:
        """A session for work outside a request (worker, CLI); commits on success."""
        with self.sessions() as session, session.begin():
            yield session

    def ping(self) -> None:
        """Raise unless the database answers."""
        with self.engine.connect() as conn:
            conn.execute(text("SELECT 1"))


def make_engine(url: str) -> Engine:
    """An engine tuned for the backend: SQLite shares one file between web and worker threads."""
    if url.startswith("sqlite"):
        engine = create_engine(url, connect_args={"check_same_thread": False, "timeout": 30})
        event.listen(engine, "connect", _sqlite_pragmas)
        return engine
    return create_engine(url, pool_pre_ping=True, pool_size=5, max_overflow=10)


def _sqlite_pragmas(dbapi_conn: DBAPIConnection, _record: object) -> None:
    # WAL lets readers go on while the worker writes; the busy timeout waits instead of failing.
    cur = dbapi_conn.cursor()
    cur.execute("PRAGMA journal_mode=WAL")
    cur.execute("PRAGMA busy_timeout=30000")
    cur.execute("PRAGMA foreign_keys=ON")
    cur.close()


def rows_matched(result: Result[Any]) -> int:
    """Rows an UPDATE or DELETE matched. (Session.execute is typed to return a Result; for those statements it
    is a CursorResult, which has the count.)"""
    return cast("CursorResult[Any]", result).rowcount


def get_db() -> Database:
    """The current app's database."""
    return current_app.extensions["videoforge.db"]


def get_session() -> Session:
    """The request's session, closed when the request ends."""
    if "db_session" not in g:
        g.db_session = get_db().sessions()
    return g.db_session


def close_session(_exc: BaseException | None = None) -> None:
    """Teardown: roll back what the request left uncommitted and close.

    A connection that died after the request's last statement (the database restarting) cannot roll back, and
    need not: the server discards its transaction. The answer already made stands (raising here would replace it
    with the WSGI server's own HTML 500), and the pool replaces the connection on its next checkout.
    """
    session = g.pop("db_session", None)
    if session is None:
        return
    try:
        session.close()
    except Exception as exc:
        if unreachable_dependency(exc) != "database":
            raise
        log.warning("database connection lost after the answer: %s", type(exc).__name__)


class UTCDateTime(TypeDecorator[datetime]):
    """Timezone-aware UTC datetimes on every backend (SQLite hands back naive ones otherwise)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is not None and value.tzinfo is None:
            raise ValueError("naive datetime: use videoforge.models.utcnow()")
        return value.astimezone(UTC) if value is not None else None

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is not None and value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value
