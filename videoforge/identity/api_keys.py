"""Personal API keys: their format, how they are stored, and the one check every module and topology runs.

A key is `vf_` and 43 URL-safe base64 characters: 256 bits from `secrets`, shown to its owner once. The database keeps
its SHA-256 (`ApiKey.secret_hash`) and `vf_` plus its first six characters (`ApiKey.prefix`, to tell keys apart in a
list; 220 unknown bits remain). A plain SHA-256, not a password KDF such as PBKDF2 or scrypt: a KDF's cost exists to
slow down guessing a low-entropy secret from its hash, and nothing guesses 256 random bits, so a slow hash would only
add its cost to every API call. Keyed HMAC would add nothing either, and would tie every key to SECRET_KEY's rotation.

A key is found by its hash through the unique index, so no secret is ever compared byte by byte against a caller's
guess: the database compares digests, and learning how much of SHA-256(guess) matches a stored digest tells nothing
about any key (that would need a preimage). Every refusal (unknown, revoked, expired, owner gone) is the same 401,
so nobody learns whether a key ever existed; the log line says which, by the key's id, never its secret.

Scopes are levels, each holding the ones before it: `read` (list and get videos, playback), `upload` (also create
uploads and confirm them), `manage` (also edit and delete). A view needs `read` for GET/HEAD/OPTIONS and `manage`
otherwise, unless it declares its need (videoforge.identity.api_key_scope) or refuses keys outright
(videoforge.identity.sessions_only: managing keys, credentials and MFA stay with a signed-in session).
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any

from sqlalchemy import or_, select, update
from sqlalchemy.orm import Session

from videoforge import throttle
from videoforge.identity.verifier import InvalidToken
from videoforge.models import ApiKey, User

KEY_PREFIX = "vf_"
SECRET_BYTES = 32
"""256 random bits: `secrets.token_urlsafe(32)` spells them in 43 characters."""
KEY_FORMAT = re.compile(r"vf_[A-Za-z0-9_-]{43}")
SHOWN_CHARACTERS = 6
"""Characters of the secret kept (after `vf_`) to tell keys apart in lists."""
LAST_USED_GRANULARITY = timedelta(minutes=1)
"""`last_used_at` is written at most this often per key: a busy script costs one UPDATE a minute, not one a call."""
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


class Scope(StrEnum):
    """What a key may do; each scope holds every one before it."""

    READ = "read"
    """List and get the owner's videos (and whatever the owner may see), play them."""
    UPLOAD = "upload"
    """Also create uploads and confirm them."""
    MANAGE = "manage"
    """Also edit and delete."""


LEVELS: tuple[Scope, ...] = (Scope.READ, Scope.UPLOAD, Scope.MANAGE)
SESSIONS_ONLY = "sessions-only"
"""What a view declares when no key may call it, whatever its scopes."""


def with_implied(scopes: Iterable[str]) -> list[str]:
    """The scopes asked for and every one they hold, in level order: ["upload"] -> ["read", "upload"]."""
    highest = max((LEVELS.index(Scope(s)) for s in scopes), default=0)
    return [str(scope) for scope in LEVELS[: highest + 1]]


def needed_scope(method: str, declared: str | None) -> str:
    """What a request needs of a key: the view's declaration, else `read` for safe methods and `manage` for others
    (so a view nobody thought about is never open to a weaker key)."""
    if declared:
        return declared
    return Scope.READ if method.upper() in SAFE_METHODS else Scope.MANAGE


@dataclass(frozen=True)
class MintedKey:
    """A new key: `key` goes to its owner once; `prefix` and `secret_hash` go to the database."""

    key: str
    prefix: str
    secret_hash: str


def mint() -> MintedKey:
    key = KEY_PREFIX + secrets.token_urlsafe(SECRET_BYTES)
    return MintedKey(key=key, prefix=key[: len(KEY_PREFIX) + SHOWN_CHARACTERS], secret_hash=digest(key))


def digest(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


def is_api_key(token: str) -> bool:
    """The bearer is meant as an API key (JWTs start `eyJ`): it is checked as one, and refused as one."""
    return token.startswith(KEY_PREFIX)


def check(session: Session, key: str, now: datetime) -> tuple[ApiKey, User]:
    """The key's row and its owner, when the key is live; InvalidToken (the reason, for logs) otherwise.

    Marks the key used (at most once a LAST_USED_GRANULARITY), committing the session.
    """
    if not KEY_FORMAT.fullmatch(key):
        raise InvalidToken("malformed API key")  # never reaches the database
    hashed = digest(key)
    found = session.execute(select(ApiKey, User).join(User, User.id == ApiKey.user_id)
                            .where(ApiKey.secret_hash == hashed)).first()
    # Defence in depth: the row must match byte for byte, whatever the database's collation made of the lookup.
    if found is None or not hmac.compare_digest(found[0].secret_hash, hashed):
        raise InvalidToken("unknown API key")
    row, owner = found
    if row.revoked_at is not None:
        raise InvalidToken(f"API key {row.id} was revoked")
    if row.expires_at is not None and row.expires_at <= now:
        raise InvalidToken(f"API key {row.id} expired")
    _mark_used(session, row, now)
    return row, owner


def _mark_used(session: Session, row: ApiKey, now: datetime) -> None:
    stale = now - LAST_USED_GRANULARITY
    if row.last_used_at is not None and row.last_used_at > stale:
        return
    # Conditional, so racing requests of one key write once; committed now, before the view's own work.
    session.execute(update(ApiKey).where(ApiKey.id == row.id, or_(ApiKey.last_used_at.is_(None),
                                                                  ApiKey.last_used_at <= stale))
                    .values(last_used_at=now))
    session.commit()
    row.last_used_at = now


def note_refusal(session: Session, config: Mapping[str, Any], address: str | None, now: datetime) -> int | None:
    """Count a refused key from a client address; once API_KEY_MAX_FAILURES_PER_ADDRESS are counted within
    API_KEY_FAILURE_WINDOW, the seconds until the next may be tried (None: answer the usual 401).

    256 random bits cannot be guessed at any rate, so this is not what keeps keys safe: it slows a flood of bad keys
    and caps the rows it writes. Only refusals are counted, after the key was looked up, so a good key is never held
    back by strangers failing at the same address. Counted like every other secret (videoforge/throttle.py: an IPv6
    /64 is one place, the limit holds under concurrency), in the same table.
    """
    most, window = int(config["API_KEY_MAX_FAILURES_PER_ADDRESS"]), int(config["API_KEY_FAILURE_WINDOW"])
    if most <= 0:
        return None
    return throttle.attempt(session, config, [throttle.Limit(f"api-key:{throttle.network(address)}", most, window)],
                            now).wait
