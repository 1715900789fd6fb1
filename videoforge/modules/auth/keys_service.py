"""Personal API keys, managed by their owner (create, list, revoke) and by administrators (list, revoke any).

The key's format, hashing and the check on every request live in videoforge/identity/api_keys.py; this file keeps
the people's side: names, scopes, expiry and the cap on keys per person. Plain functions over a session and the
config; the views (keys_api.py) call them.
"""

from __future__ import annotations

import logging
import unicodedata
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import and_, delete, func, or_, select, update
from sqlalchemy.orm import Session
from sqlalchemy.sql.elements import ColumnElement

from videoforge.capped import Cap, add_within
from videoforge.db import rows_matched
from videoforge.errors import Refusal
from videoforge.identity import api_keys
from videoforge.models import ApiKey, User, utcnow
from videoforge.modules.auth.service import normalize_email

log = logging.getLogger(__name__)

NAME_MAX_LENGTH = 100  # api_keys.name
REVOKED_KEPT = timedelta(days=30)
"""A revoked key's row stays this long, so a script still using it is logged as using a revoked key (not an
unknown one); then the owner's next new key clears it away."""


class NoSuchKey(Refusal):
    """No such live key for this caller (someone else's keys answer the same)."""

    code = 404
    description = "No such API key."


@dataclass(frozen=True)
class CreatedKey:
    """A new key's row and the key itself, which is shown this once."""

    row: ApiKey
    key: str


@dataclass(frozen=True)
class KeyWithOwner:
    """A key as administrators list it: with whose it is."""

    row: ApiKey
    owner: User


def live(now: datetime) -> ColumnElement[bool]:
    """Keys that still work: not revoked, not expired."""
    return and_(ApiKey.revoked_at.is_(None), or_(ApiKey.expires_at.is_(None), ApiKey.expires_at > now))


def clean_name(name: str) -> str:
    name = (name or "").strip()
    if not name:
        raise Refusal.field(400, "name", "Give the key a name, to know it again in the list.")
    if len(name) > NAME_MAX_LENGTH:
        raise Refusal.field(400, "name", f"A key's name has at most {NAME_MAX_LENGTH} characters.")
    # Cc are control characters; Cf holds the bidi overrides that make a name read as something else.
    if any(unicodedata.category(c) in ("Cc", "Cf") for c in name):
        raise Refusal.field(400, "name", "A key's name cannot hold control characters.")
    return name


def create(session: Session, config: Mapping[str, Any], user: User, name: str, scopes: Sequence[str],
           expires_in_days: int | None, now: datetime | None = None) -> CreatedKey:
    """A new key for `user`; a name already in use among their keys -> 409, too many live keys -> 409."""
    now = now or utcnow()
    name = clean_name(name)
    expires_at = _expiry(config, expires_in_days, now)
    if not scopes:
        raise Refusal.field(400, "scopes", f"Choose at least one scope: {', '.join(api_keys.LEVELS)}.")
    if _named(session, user, name) > 0:
        raise Refusal.field(409, "name", "You have a key with this name already; choose another name.")
    session.execute(delete(ApiKey).where(ApiKey.user_id == user.id, ApiKey.revoked_at <= now - REVOKED_KEPT))
    minted = api_keys.mint()
    row = ApiKey(user_id=user.id, name=name, prefix=minted.prefix, secret_hash=minted.secret_hash,
                 scopes=api_keys.with_implied(scopes), created_at=now, expires_at=expires_at)
    # Counted after the insert (videoforge/capped.py): keys created at once cannot all slip under the cap, nor two
    # with one name past the check above (tests/hardening/test_attacker_review.py made eight before).
    mine = select(ApiKey.id).where(ApiKey.user_id == user.id)
    most = int(config["API_KEYS_MAX_PER_USER"])
    too_many, same_name = Cap(mine.where(live(now)), most), Cap(mine.where(ApiKey.revoked_at.is_(None),
                                                                          ApiKey.name == name), 1)
    passed = add_within(session, row, [too_many, same_name])
    if passed is too_many:
        raise Refusal(409, f"You have {most} API keys, the most allowed; revoke one you no longer use first.")
    if passed is same_name:
        raise Refusal.field(409, "name", "You have a key with this name already; choose another name.")
    log.info("API key %s (%s) created for user %s with scopes %s", row.id, row.prefix, user.id,
             ",".join(row.scopes))
    return CreatedKey(row=row, key=minted.key)


def _named(session: Session, user: User, name: str) -> int:
    """How many of the user's keys that are not revoked carry this name."""
    return session.scalar(select(func.count()).select_from(ApiKey).where(
        ApiKey.user_id == user.id, ApiKey.revoked_at.is_(None), ApiKey.name == name)) or 0


def _expiry(config: Mapping[str, Any], days: int | None, now: datetime) -> datetime | None:
    longest = int(config["API_KEY_MAX_LIFETIME_DAYS"])
    if days is None:
        days = longest or None  # an operator's limit is also the default
    elif longest and days > longest:
        raise Refusal.field(400, "expires_in_days", f"Keys on this server expire within {longest} days.")
    return now + timedelta(days=days) if days else None


def mine(session: Session, user: User) -> list[ApiKey]:
    """The user's keys that are not revoked (expired ones too, so they can be seen and cleared), newest first."""
    return list(session.scalars(select(ApiKey).where(ApiKey.user_id == user.id, ApiKey.revoked_at.is_(None))
                                .order_by(ApiKey.created_at.desc(), ApiKey.id)))


def revoke_mine(session: Session, user: User, key_id: str, now: datetime | None = None) -> None:
    """Revoke one of the user's keys: it stops working at once, in every process."""
    _revoke(session, key_id, now or utcnow(), ApiKey.user_id == user.id)
    log.info("API key %s revoked by its owner %s", key_id, user.id)


def revoke_any(session: Session, admin: User, key_id: str, now: datetime | None = None) -> None:
    """An administrator revokes anyone's key."""
    _revoke(session, key_id, now or utcnow())
    log.info("API key %s revoked by administrator %s", key_id, admin.id)


def _revoke(session: Session, key_id: str, now: datetime, *conditions: ColumnElement[bool]) -> None:
    revoked = update(ApiKey).where(ApiKey.id == key_id, ApiKey.revoked_at.is_(None), *conditions)
    if rows_matched(session.execute(revoked.values(revoked_at=now))) != 1:
        session.rollback()
        raise NoSuchKey()
    session.commit()


def everyone(session: Session, who: str | None, page: int, page_size: int) -> tuple[list[KeyWithOwner], int]:
    """Every person's keys that are not revoked, newest first, one page of them and how many there are; `who` (an
    email or a user id) keeps one person's."""
    query = select(ApiKey, User).join(User, User.id == ApiKey.user_id).where(ApiKey.revoked_at.is_(None))
    if who:
        query = query.where(or_(User.id == who.strip(), func.lower(User.email) == normalize_email(who)))
    total = session.scalar(select(func.count()).select_from(query.subquery())) or 0
    offset = (page - 1) * page_size
    if offset >= total:  # past the end; also keeps a huge ?page= from overflowing the database's OFFSET
        return [], total
    rows = session.execute(query.order_by(ApiKey.created_at.desc(), ApiKey.id)
                           .limit(page_size).offset(offset)).all()
    return [KeyWithOwner(row=key, owner=owner) for key, owner in rows], total
