"""Adding a row under caps (a person's live API keys, one name among them, their webhook endpoints) so that the caps
hold under concurrency.

Counting first and inserting after lets every request of a burst pass: each counts only the rows committed before
it. So the row is inserted and committed first, then the rows each cap covers are counted, everyone's committed ones
included; over a cap, the row is withdrawn and the caller refuses. However the requests interleave, the last one to
count saw every row that stays, so at most `most` stay (racing requests may all be refused; none is wrongly let in).
The same order as the attempt counter in videoforge/throttle.py, for rows that are kept rather than attempts.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Select, func, select
from sqlalchemy.orm import Session

from videoforge.db import Base


@dataclass(frozen=True)
class Cap:
    """At most `most` rows of those `covered` selects (a cap of 0 or less is none)."""

    covered: Select[Any]
    most: int


def add_within(session: Session, row: Base, caps: Sequence[Cap]) -> Cap | None:
    """Add `row` and commit, then count each cap's rows (the row among them). The first cap it passes, with the row
    deleted again (committed); None when the row stays."""
    session.add(row)
    session.commit()
    for cap in caps:
        if cap.most > 0 and (session.scalar(select(func.count()).select_from(cap.covered.subquery())) or 0) > cap.most:
            session.delete(row)
            session.commit()
            return cap
    return None
