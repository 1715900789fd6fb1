"""Sign-in throttling that holds under concurrency, and that a stranger cannot turn against the account's owner.

Counting is videoforge/throttle.py's (record first, then count: it holds under concurrency); this module says what
the account's flows count and how much.

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

from collections.abc import Mapping
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import delete, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from videoforge.db import rows_matched
from videoforge.models import KnownAddress
from videoforge.throttle import Attempt, Limit, attempt, network


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
    return attempt(session, config, limits, now)


def code_attempt(session: Session, config: Mapping[str, Any], user_id: str, now: datetime) -> Attempt:
    """Record an attempt at a TOTP code made with a bearer token, and count it against the user's limit."""
    limit = Limit(code_key(user_id), int(config["AUTH_SIGNIN_MAX_FAILURES"]), int(config["AUTH_SIGNIN_FAILURE_WINDOW"]))
    return attempt(session, config, [limit], now)


def code_key(user_id: str) -> str:
    return f"totp:{user_id}"


def password_attempt(session: Session, config: Mapping[str, Any], user_id: str, now: datetime) -> Attempt:
    """Record an attempt at the current password made with a bearer token (change password or email, delete the
    account), so a stolen access token cannot guess it faster than sign-in could."""
    limit = Limit(password_key(user_id), int(config["AUTH_SIGNIN_MAX_FAILURES"]),
                  int(config["AUTH_SIGNIN_FAILURE_WINDOW"]))
    return attempt(session, config, [limit], now)


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
    return attempt(session, config, limits, now)


def link_attempt(session: Session, config: Mapping[str, Any], address: str | None, now: datetime) -> Attempt:
    """Record an attempt to use a mailed link (reset, verify, email change) from a client address; a good link
    withdraws it. 256-bit links cannot be guessed, but a flood of tries is still one client's to slow down."""
    limit = Limit(link_key(address), int(config["AUTH_SIGNIN_MAX_FAILURES_PER_ADDRESS"]),
                  int(config["AUTH_SIGNIN_FAILURE_WINDOW"]))
    return attempt(session, config, [limit], now)


def link_key(address: str | None) -> str:
    return f"link:{network(address)}"


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
