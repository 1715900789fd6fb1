"""Sign-in throttling that holds under concurrency, and that a stranger cannot turn against the account's owner.

Counting. An attempt is recorded first, one row under each of its keys, and committed; then each key's attempts in
its window are counted, everyone's committed ones included. Over a limit, the attempt is withdrawn and answered 429;
otherwise it is checked, and stays counted as a failure unless it succeeds (then it is withdrawn too). However the
requests interleave, the last admitted attempt to count saw every admitted one, so at most `limit` are checked per
window. No lock, and no transaction that reads before it writes (SQLite in WAL fails such a writer at once).

Keys of a sign-in, for its password and its TOTP step alike:
- account + address: AUTH_SIGNIN_MAX_FAILURES per AUTH_SIGNIN_FAILURE_WINDOW (5 per 15 min), one guesser at one place;
- address: AUTH_SIGNIN_MAX_FAILURES_PER_ADDRESS per the same window (20), one place trying many accounts;
- account: AUTH_SIGNIN_MAX_FAILURES_PER_ACCOUNT per AUTH_SIGNIN_ACCOUNT_WINDOW (20 per hour), a guesser spread over
  many addresses. It does not apply at addresses the account signed in from successfully within
  AUTH_SIGNIN_KNOWN_ADDRESS_TTL (30 days): strangers failing elsewhere never lock the owner out where they usually
  sign in, and there the account + address limit still holds. A success forgets only its own account + address
  failures; the account-wide count is the strangers' and stays. From a new address, an owner under a distributed
  attack waits like the attacker (Retry-After), or signs in from a known address.
An IPv6 address counts as its /64 (one host commonly holds a whole /64). The address is Flask's `remote_addr`, which
believes X-Forwarded-For only behind TRUSTED_PROXY_HOPS proxies (the app factory's ProxyFix), so a client cannot claim
to be at the owner's address. TOTP codes checked with a bearer token (confirm, disable) count under one key per user,
AUTH_SIGNIN_MAX_FAILURES per window, and so do attempts at the current password made with one (changing the password
or email, deleting the account). Requests that mail a link count per recipient and per client address
(AUTH_MAIL_MAX_PER_RECIPIENT, AUTH_MAIL_MAX_PER_CLIENT per AUTH_MAIL_WINDOW), whether an account has that address or
not. A limit of 0 is off.
"""

from __future__ import annotations

import ipaddress
import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import delete, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from videoforge.db import rows_matched
from videoforge.models import KnownAddress, SignInFailure


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


def pair_key(email: str, address: str | None) -> str:
    return f"account:{email}|address:{network(address)}"


def sign_in_attempt(session: Session, config: Mapping[str, Any], email: str, address: str | None, known: bool,
                    now: datetime) -> Attempt:
    """Record a sign-in attempt and count it against its three limits (the account-wide one unless `known`)."""
    window = int(config["AUTH_SIGNIN_FAILURE_WINDOW"])
    limits = [Limit(pair_key(email, address), int(config["AUTH_SIGNIN_MAX_FAILURES"]), window),
              Limit(f"address:{network(address)}", int(config["AUTH_SIGNIN_MAX_FAILURES_PER_ADDRESS"]), window),
              Limit(f"account:{email}", int(config["AUTH_SIGNIN_MAX_FAILURES_PER_ACCOUNT"]),
                    int(config["AUTH_SIGNIN_ACCOUNT_WINDOW"]), applies=not known)]
    return _attempt(session, config, limits, now)


def code_attempt(session: Session, config: Mapping[str, Any], user_id: str, now: datetime) -> Attempt:
    """Record an attempt at a TOTP code made with a bearer token, and count it against the user's limit."""
    limit = Limit(code_key(user_id), int(config["AUTH_SIGNIN_MAX_FAILURES"]), int(config["AUTH_SIGNIN_FAILURE_WINDOW"]))
    return _attempt(session, config, [limit], now)


def code_key(user_id: str) -> str:
    return f"totp:{user_id}"


def password_attempt(session: Session, config: Mapping[str, Any], user_id: str, now: datetime) -> Attempt:
    """Record an attempt at the current password made with a bearer token (change password or email, delete the
    account), so a stolen access token cannot guess it faster than sign-in could."""
    limit = Limit(password_key(user_id), int(config["AUTH_SIGNIN_MAX_FAILURES"]),
                  int(config["AUTH_SIGNIN_FAILURE_WINDOW"]))
    return _attempt(session, config, [limit], now)


def password_key(user_id: str) -> str:
    return f"password:{user_id}"


def mail_attempt(session: Session, config: Mapping[str, Any], email: str, address: str | None,
                 now: datetime) -> Attempt:
    """Record a request that may mail a link (forgot password, resend verification, change email), counted per
    recipient (nobody's mailbox is flooded) and per client address; never withdrawn. The count is the same whether
    the address has an account or not, so a 429 says nothing about that either."""
    window = int(config["AUTH_MAIL_WINDOW"])
    limits = [Limit(f"mail-to:{email}", int(config["AUTH_MAIL_MAX_PER_RECIPIENT"]), window),
              Limit(f"mail-from:{network(address)}", int(config["AUTH_MAIL_MAX_PER_CLIENT"]), window)]
    return _attempt(session, config, limits, now)


def link_attempt(session: Session, config: Mapping[str, Any], address: str | None, now: datetime) -> Attempt:
    """Record an attempt to use a mailed link (reset, verify, email change) from a client address; a good link
    withdraws it. 256-bit links cannot be guessed, but a flood of tries is still one client's to slow down."""
    limit = Limit(link_key(address), int(config["AUTH_SIGNIN_MAX_FAILURES_PER_ADDRESS"]),
                  int(config["AUTH_SIGNIN_FAILURE_WINDOW"]))
    return _attempt(session, config, [limit], now)


def link_key(address: str | None) -> str:
    return f"link:{network(address)}"


def attempt(session: Session, config: Mapping[str, Any], limits: list[Limit], now: datetime) -> Attempt:
    """Record an attempt at another secret than an account's (a video's password: streaming's unlock) under its
    own limits, counted the same way. Each window must not outlast the sign-in windows of every process that
    counts attempts (older rows are purged with theirs)."""
    return _attempt(session, config, limits, now)


def _attempt(session: Session, config: Mapping[str, Any], limits: list[Limit], now: datetime) -> Attempt:
    # .get: a process without the auth module (the streaming Lambda) counts unlock attempts with its own limits.
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


def is_known(session: Session, config: Mapping[str, Any], user_id: str, address: str | None, now: datetime) -> bool:
    """The account signed in successfully from this address (its /64) within AUTH_SIGNIN_KNOWN_ADDRESS_TTL."""
    if not address:  # no address is not one place: it never earns the exemption
        return False
    since = now - timedelta(seconds=int(config["AUTH_SIGNIN_KNOWN_ADDRESS_TTL"]))
    return session.scalars(select(KnownAddress.id).where(
        KnownAddress.user_id == user_id, KnownAddress.address == network(address), KnownAddress.seen_at > since)
    ).first() is not None


def remember(session: Session, config: Mapping[str, Any], user_id: str, address: str | None, now: datetime) -> None:
    """Mark the address as one the account signs in from (and forget the ones unused for too long); commits."""
    if not address:
        return
    place, ttl = network(address), timedelta(seconds=int(config["AUTH_SIGNIN_KNOWN_ADDRESS_TTL"]))
    session.execute(delete(KnownAddress).where(KnownAddress.user_id == user_id, KnownAddress.seen_at <= now - ttl))
    mark = update(KnownAddress).where(KnownAddress.user_id == user_id, KnownAddress.address == place)
    if rows_matched(session.execute(mark.values(seen_at=now))) == 0:
        session.add(KnownAddress(user_id=user_id, address=place, seen_at=now))
    try:
        session.commit()
    except IntegrityError:  # a racing sign-in from the same address inserted it first: bring its time up to date
        session.rollback()
        session.execute(mark.values(seen_at=now))
        session.commit()
