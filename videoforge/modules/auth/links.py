"""Single-use links mailed to people: reset a password, verify an address, take a new address.

A link carries 256 random bits (`secrets.token_urlsafe(32)`); the database keeps only their SHA-256. Hashed, so a
copy of the database (a backup, a replica, a leaked dump) holds no live link. SHA-256 rather than a slow KDF like
the passwords' scrypt: a slow hash protects secrets people chose, which are guessable; 2^256 equally likely values
are not, so the fast hash loses nothing and the lookup stays one indexed equality. Each link expires
(AUTH_RESET_LINK_TTL, AUTH_EMAIL_LINK_TTL), works once (a conditional UPDATE decides between two racing uses), and
a newer link of the same purpose retires the older ones.

Where the links point: PUBLIC_URL, or without it the address the request came in on, but only a loopback or
private one. A request's Host is the caller's to write, so "forgot password" sent with `Host: evil.example` would
otherwise mail the victim a link that hands the token to evil.example (reset-link poisoning).
"""

from __future__ import annotations

import hashlib
import ipaddress
import secrets
from collections.abc import Mapping
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import quote, urlsplit

from sqlalchemy import delete, select, update
from sqlalchemy.orm import Session

from videoforge.db import rows_matched
from videoforge.errors import Refusal
from videoforge.models import AccountToken, User

RESET = "reset"
VERIFY = "verify"
EMAIL = "email"
PAGES = {RESET: "reset", VERIFY: "verify", EMAIL: "verify"}
"""The web client's page each link opens; a new address is verified on the same page."""

NOT_VALID = "This link is not valid any more: it was used, replaced by a newer one, or has expired. Ask for a new one."


def digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def trusted_base(config: Mapping[str, Any], request_root: str) -> str | None:
    """Where mailed links point: PUBLIC_URL, or the request's own root when it cannot be an attacker's host
    (localhost, a loopback or private address: `make run`, a phone on the LAN); None otherwise."""
    if config.get("PUBLIC_URL"):
        return config["PUBLIC_URL"].rstrip("/")
    host = (urlsplit(request_root).hostname or "").lower()
    if host == "localhost" or host.endswith(".localhost"):
        return request_root.rstrip("/")
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        return None
    return request_root.rstrip("/") if (address.is_loopback or address.is_private) else None


def url(base: str, purpose: str, token: str) -> str:
    # The page by its path, the token in the fragment: browsers never send a fragment to a server, so the token
    # stays out of access logs and Referer.
    return f"{base}/{PAGES[purpose]}#token={quote(token)}"


def issue(session: Session, user: User, purpose: str, email: str, ttl: int, now: datetime) -> str:
    """A new link for `user` sent to `email`; earlier links of the same purpose stop working. Commits."""
    session.execute(delete(AccountToken).where(AccountToken.expires_at <= now))  # housekeeping, cheap (indexed)
    retire(session, user.id, purpose, now)
    token = secrets.token_urlsafe(32)
    session.add(AccountToken(user_id=user.id, purpose=purpose, token_hash=digest(token), email=email,
                             expires_at=now + timedelta(seconds=ttl), created_at=now))
    session.commit()
    return token


def retire(session: Session, user_id: str, purpose: str, now: datetime) -> None:
    """Every unused link of this purpose stops working (in the caller's transaction)."""
    session.execute(update(AccountToken).where(AccountToken.user_id == user_id, AccountToken.purpose == purpose,
                                               AccountToken.used_at.is_(None)).values(used_at=now))


def find(session: Session, purposes: tuple[str, ...], token: str, now: datetime) -> AccountToken:
    """The unused, unexpired link with this token and one of these purposes, or 400 naming `token`."""
    row = session.scalars(select(AccountToken).where(AccountToken.token_hash == digest(token),
                                                     AccountToken.purpose.in_(purposes))).first()
    if row is None or row.used_at is not None or row.expires_at <= now:
        raise Refusal.field(400, "token", NOT_VALID)
    return row


def claim(session: Session, row: AccountToken, now: datetime) -> None:
    """Use the link, in the caller's transaction: of two racing uses exactly one wins, the other gets 400."""
    claimed = rows_matched(session.execute(
        update(AccountToken).where(AccountToken.id == row.id, AccountToken.used_at.is_(None)).values(used_at=now)))
    if claimed != 1:
        session.rollback()
        raise Refusal.field(400, "token", NOT_VALID)
