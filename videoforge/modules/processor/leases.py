"""Leases: which one of many worker processes runs a periodic chore this interval (a row per chore in `leases`).

A claim is one guarded UPDATE (taken only where the last lease has run out), or, for a chore never run, one INSERT
that the primary key lets only one process win. On PostgreSQL two claims at once serialise on the row and the
second re-reads it, finds the lease taken and matches nothing; SQLite writes one at a time. A holder that dies keeps
the chore until its lease runs out: at worst one interval is missed. Clocks of the hosts need only agree to within
a small part of the interval.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import update
from sqlalchemy.exc import IntegrityError

from videoforge.db import Database, rows_matched
from videoforge.models import Lease, utcnow


def claim(db: Database, name: str, holder: str, seconds: float, now: datetime | None = None) -> bool:
    """Take the chore `name` for `seconds` from `now` unless another process holds it; True when taken."""
    now = now or utcnow()
    until = now + timedelta(seconds=seconds)
    with db.session() as session:
        taken = session.execute(
            update(Lease).where(Lease.name == name, Lease.until <= now).values(holder=holder, until=until)
        )
        if rows_matched(taken):
            return True
        if session.get(Lease, name) is not None:  # held, and not run out yet
            return False
    try:
        with db.session() as session:
            session.add(Lease(name=name, holder=holder, until=until))
    except IntegrityError:  # another process made the first row just now: the chore is theirs
        return False
    return True
