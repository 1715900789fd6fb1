"""Counting attempts at a secret so that the count holds under concurrency: sign-ins, TOTP codes and mailed links
(modules/auth/throttle.py says which limits), a video's password (modules/streaming/unlock.py), API keys
(identity/api_keys.py).

An attempt is recorded first, one row under each of its keys, and committed; then each key's attempts in its window
are counted, everyone's committed ones included. Over a limit, the attempt is withdrawn and answered 429; otherwise it
is checked, and stays counted as a failure unless it succeeds (then it is withdrawn too). However the requests
interleave, the last admitted attempt to count saw every admitted one, so at most `limit` are checked per window. No
lock, and no transaction that reads before it writes (SQLite in WAL fails such a writer at once). An IPv6 address
counts as its /64 (one host commonly holds a whole /64). A limit of 0 is off.
"""

from __future__ import annotations

import ipaddress
import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import delete, or_, select
from sqlalchemy.orm import Session

from videoforge.models import SignInFailure


@dataclass(frozen=True)
class Limit:
    """At most `most` attempts under `key` within `window` seconds; recorded but not enforced unless `applies`."""

    key: str
    most: int
    window: int
    applies: bool = True


@dataclass
class Attempt:
    """The rows that record one attempt; `wait` is set (seconds) when it was refused, and then they are gone."""

    ids: list[int] = field(default_factory=list)
    wait: int | None = None


def network(address: str | None) -> str:
    """What failures are counted by: the address, or for IPv6 its /64."""
    try:
        ip = ipaddress.ip_address(address or "")
    except ValueError:
        return (address or "unknown")[:64]
    if ip.version == 6 and ip.ipv4_mapped is not None:
        return str(ip.ipv4_mapped)
    if ip.version == 6:
        return str(ipaddress.ip_network(f"{ip.exploded}/64", strict=False))
    return str(ip)


def attempt(session: Session, config: Mapping[str, Any], limits: list[Limit], now: datetime) -> Attempt:
    """Record an attempt under each of `limits` and count it (refused, and withdrawn, when over one of them).

    Rows older than the longest window any process uses are purged on the way: the auth module's windows (read
    with .get: a process without that module, the streaming Lambda, counts its own attempts) and these."""
    kept = max(int(config.get("AUTH_SIGNIN_FAILURE_WINDOW") or 0), int(config.get("AUTH_SIGNIN_ACCOUNT_WINDOW") or 0),
               int(config.get("AUTH_MAIL_WINDOW") or 0), *(limit.window for limit in limits))
    session.execute(delete(SignInFailure).where(SignInFailure.at <= now - timedelta(seconds=kept)))
    rows = [SignInFailure(key=limit.key, at=now) for limit in limits]
    session.add_all(rows)
    session.commit()  # visible to every racing attempt before any of them counts
    attempt = Attempt([row.id for row in rows])
    overs = [_over(session, limit, attempt.ids, now) for limit in limits if limit.applies and limit.most > 0]
    waits = [wait for wait in overs if wait is not None]
    if waits:
        withdraw(session, attempt)
        attempt.wait = max(1, math.ceil(max(waits)))
    return attempt


def _over(session: Session, limit: Limit, mine: list[int], now: datetime) -> float | None:
    """Seconds until `limit` admits this attempt, or None when the others in its window leave room for it."""
    window = timedelta(seconds=limit.window)
    others = session.scalars(
        select(SignInFailure.at)
        .where(SignInFailure.key == limit.key, SignInFailure.at > now - window, SignInFailure.id.not_in(mine))
        .order_by(SignInFailure.at.desc()).limit(limit.most)).all()
    if len(others) < limit.most:
        return None
    # Room again when the most-th most recent other attempt leaves the window.
    return (others[-1] + window - now).total_seconds()


def withdraw(session: Session, attempt: Attempt, forget: str | None = None) -> None:
    """The attempt was refused or was not a failure: stop counting it (and every failure under `forget`)."""
    doomed = SignInFailure.id.in_(attempt.ids)
    session.execute(delete(SignInFailure).where(or_(doomed, SignInFailure.key == forget) if forget else doomed))
    session.commit()
