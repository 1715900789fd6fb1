"""Count failed sign-ins per account and per client address in a sliding window; 429 once over the limit."""

from __future__ import annotations

import math
from datetime import datetime, timedelta

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from videoforge.models import SignInFailure


def account_key(email: str) -> str:
    return f"account:{email}"


def address_key(address: str | None) -> str:
    return f"address:{address or 'unknown'}"


def retry_after(session: Session, limits: dict[str, int], window: int, now: datetime) -> int | None:
    """Seconds until every key is under its limit again, or None when none is over it."""
    since = now - timedelta(seconds=window)
    wait = 0.0
    for key, limit in limits.items():
        times = session.scalars(select(SignInFailure.at).where(SignInFailure.key == key, SignInFailure.at > since)
                                .order_by(SignInFailure.at.desc()).limit(limit)).all()
        if len(times) >= limit:
            # Free again when the limit-th most recent failure leaves the window.
            wait = max(wait, (times[limit - 1] + timedelta(seconds=window) - now).total_seconds())
    return max(1, math.ceil(wait)) if wait > 0 else None


def record_failure(session: Session, keys: list[str], window: int, now: datetime) -> None:
    """Remember one failure under each key and forget failures that left the window."""
    session.execute(delete(SignInFailure).where(SignInFailure.at <= now - timedelta(seconds=window)))
    session.add_all(SignInFailure(key=key, at=now) for key in keys)
    session.commit()


def forget(session: Session, key: str) -> None:
    """A successful sign-in clears the account's count (the address keeps its own)."""
    session.execute(delete(SignInFailure).where(SignInFailure.key == key))
    session.commit()
