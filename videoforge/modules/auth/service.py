"""The local issuer's accounts: sign-up, sign-in (with throttling and TOTP), token issue, refresh rotation, sign-out.

Plain functions over a session and the app config; views, the CLI and tests call them alike.
"""

from __future__ import annotations

import hashlib
import logging
import secrets
import uuid
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any, ParamSpec, TypeVar

from joserfc.jwk import RSAKey
from sqlalchemy import func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from videoforge.db import rows_matched
from videoforge.errors import Refusal
from videoforge.identity.setup import local_issuer_url
from videoforge.identity.tokens import mint_tokens
from videoforge.models import RefreshToken, User, utcnow
from videoforge.modules.auth import throttle, totp
from videoforge.modules.auth.passwords import hash_password, password_matches, password_problem
from videoforge.sealing import SealBroken, keys_of
from videoforge.throttle import withdraw

if TYPE_CHECKING:
    from flask import Flask

log = logging.getLogger(__name__)

SIGN_IN_FAILED = "Those sign-in details are not right."


@dataclass(frozen=True)
class Issuer:
    """What minting needs: the private key, `iss`, client id and lifetimes."""

    key: RSAKey
    url: str
    client_id: str
    access_ttl: int
    refresh_ttl: int

    @classmethod
    def of(cls, app: Flask) -> Issuer:
        config = app.config
        return cls(key=app.extensions["videoforge.signing_key"], url=local_issuer_url(config),
                   client_id=config["AUTH_CLIENT_ID"], access_ttl=int(config["AUTH_ACCESS_TOKEN_TTL"]),
                   refresh_ttl=int(config["AUTH_REFRESH_TOKEN_TTL"]))


def normalize_email(email: str) -> str:
    return email.strip().lower()


def find_user(session: Session, email: str) -> User | None:
    return session.scalars(select(User).where(func.lower(User.email) == normalize_email(email))).first()


def create_account(session: Session, config: Mapping[str, Any], email: str, password: str,
                   admin: bool = False, verified: bool = False) -> User:
    """A local account; weak password -> 400, taken email -> 409 (both naming the field). `verified`: the operator
    vouches for the address (the CLI), so no link is needed."""
    email = normalize_email(email)
    problem = password_problem(password, email, int(config["AUTH_PASSWORD_MIN_LENGTH"]))
    if problem:
        raise Refusal.field(400, "password", problem)
    if find_user(session, email) is not None:
        raise Refusal.field(409, "email", "An account with this email already exists.")
    admins = {normalize_email(e) for e in config.get("AUTH_ADMIN_EMAILS") or ()}
    groups = ["admin"] if admin or email in admins else []
    user = User(sub=str(uuid.uuid4()), email=email, groups=groups, password_hash=hash_password(password),
                email_verified_at=utcnow() if verified else None)
    session.add(user)
    try:
        session.commit()
    except IntegrityError:  # the same email signed up twice at once
        session.rollback()
        raise Refusal.field(409, "email", "An account with this email already exists.") from None
    return user


def sign_in(session: Session, config: Mapping[str, Any], issuer: Issuer, email: str, password: str,
            code: str | None, address: str | None, now: datetime | None = None) -> dict[str, Any]:
    """Tokens for the right email, password (and TOTP code when on); the refusal never says which part was wrong."""
    now = now or utcnow()
    email = normalize_email(email)
    user = find_user(session, email)
    known = user is not None and throttle.is_known(session, config, user.id, address, now)
    # Counted before it is checked, so racing guesses cannot all slip under the limit (see the throttle module).
    attempt = throttle.sign_in_attempt(session, config, email, address, known, now)
    if attempt.wait is not None:
        raise _too_many(f"Too many failed sign-ins; try again in {attempt.wait} seconds.", attempt.wait)
    if not password_matches(user.password_hash if user else None, password) or user is None:  # hashed either way
        raise Refusal(401, SIGN_IN_FAILED)
    if user.totp_enabled:
        if not code:
            withdraw(session, attempt)  # the password was right: not a failure
            raise Refusal(401, "Enter the code from your authenticator app.", {"mfa": "totp_required"})
        step = _checked(user, totp.check, user, code, keys_of(config), now)
        if step is None or not totp.claim(session, user, step):
            raise Refusal(401, "That authenticator code is not right.", {"code": "invalid"})
    withdraw(session, attempt, forget=throttle.pair_key(email, address))
    throttle.remember(session, config, user.id, address, now)
    return issue_tokens(session, issuer, user, now=now)


def _too_many(message: str, wait: int) -> Refusal:
    return Refusal(429, message, headers={"Retry-After": str(wait)})


def issue_tokens(session: Session, issuer: Issuer, user: User, family: str | None = None,
                 now: datetime | None = None) -> dict[str, Any]:
    """Access and id tokens with the row's current groups, plus a new refresh token (in `family` when rotating)."""
    now = now or utcnow()
    tokens = mint_tokens(issuer.key, issuer=issuer.url, client_id=issuer.client_id, sub=user.sub, email=user.email,
                         groups=list(user.groups or []), ttl=issuer.access_ttl, now=int(now.timestamp()),
                         email_verified=user.email_verified_at is not None, session_epoch=user.session_epoch or 0)
    refresh = secrets.token_urlsafe(32)
    session.add(RefreshToken(user_id=user.id, token_hash=_digest(refresh), family=family or uuid.uuid4().hex,
                             expires_at=now + timedelta(seconds=issuer.refresh_ttl), created_at=now))
    session.commit()
    return tokens | {"refresh_token": refresh}


def refresh(session: Session, issuer: Issuer, refresh_token: str, now: datetime | None = None) -> dict[str, Any]:
    """Swap a refresh token for new tokens; a token used twice means it leaked, so its whole family is revoked."""
    now = now or utcnow()
    row = session.scalars(select(RefreshToken).where(RefreshToken.token_hash == _digest(refresh_token))).first()
    if row is None or row.expires_at <= now:
        raise Refusal(401, "The refresh token is not valid; sign in again.")
    # One conditional UPDATE decides between two racing uses of the same token: exactly one wins.
    claimed = rows_matched(session.execute(
        update(RefreshToken)
        .where(RefreshToken.id == row.id, RefreshToken.used_at.is_(None), RefreshToken.revoked_at.is_(None))
        .values(used_at=now)))
    if claimed != 1:
        session.rollback()
        revoke_family(session, row.family, now)
        raise Refusal(401, "The refresh token is not valid; sign in again.")
    user = session.get(User, row.user_id)
    if user is None:  # the account was deleted while its token was in use
        raise Refusal(401, "The refresh token is not valid; sign in again.")
    return issue_tokens(session, issuer, user, family=row.family, now=now)


def sign_out(session: Session, refresh_token: str, now: datetime | None = None) -> None:
    """Revoke the refresh token's family (every token rotated from the same sign-in); unknown tokens are ignored."""
    row = session.scalars(select(RefreshToken).where(RefreshToken.token_hash == _digest(refresh_token))).first()
    if row is not None:
        revoke_family(session, row.family, now or utcnow())


def revoke_family(session: Session, family: str, now: datetime) -> None:
    session.execute(update(RefreshToken).where(RefreshToken.family == family, RefreshToken.revoked_at.is_(None))
                    .values(revoked_at=now))
    session.commit()


def enrol_totp(session: Session, config: Mapping[str, Any], user: User) -> dict[str, Any]:
    """A new TOTP secret and its otpauth:// URI for the user's authenticator app."""
    _local_account(user)
    if user.totp_enabled:
        raise Refusal(409, "TOTP is already on; turn it off first to enrol another app.")
    return totp.begin(session, user, config["AUTH_TOTP_ISSUER"], keys_of(config))


def confirm_totp(session: Session, config: Mapping[str, Any], user: User, code: str,
                 now: datetime | None = None) -> None:
    """Turn TOTP on with a code from the freshly enrolled app."""
    _local_account(user)
    if user.totp_enabled:
        raise Refusal(409, "TOTP is already on.")
    if not user.totp_secret:
        raise Refusal(409, "Start enrolment first (POST /api/auth/mfa/totp).")
    _check_code(session, config, user, code, totp.confirm, now or utcnow())


def disable_totp(session: Session, config: Mapping[str, Any], user: User, code: str,
                 now: datetime | None = None) -> None:
    """Turn TOTP off; needs a current code."""
    _local_account(user)
    if not user.totp_enabled:
        raise Refusal(409, "TOTP is not on.")
    _check_code(session, config, user, code, totp.disable, now or utcnow())


TotpAction = Callable[[Session, User, str, Sequence[str], datetime], bool]
"""totp.confirm or totp.disable: True when the code was right (and the change made)."""


def _check_code(session: Session, config: Mapping[str, Any], user: User, code: str, action: TotpAction,
                now: datetime) -> None:
    # Guessing codes with a stolen access token is throttled like guessing passwords, and counted before checking.
    attempt = throttle.code_attempt(session, config, user.id, now)
    if attempt.wait is not None:
        raise _too_many(f"Too many wrong codes; try again in {attempt.wait} seconds.", attempt.wait)
    if not _checked(user, action, session, user, code, keys_of(config), now):
        raise Refusal.field(400, "code", "That authenticator code is not right.")
    withdraw(session, attempt, forget=throttle.code_key(user.id))


_P = ParamSpec("_P")
_T = TypeVar("_T")


def _checked(user: User, action: Callable[_P, _T], *args: _P.args, **kwargs: _P.kwargs) -> _T:
    """Run a TOTP action; a seed no configured key opens is the operator's to fix, and says so."""
    try:
        return action(*args, **kwargs)
    except SealBroken:
        log.error("TOTP seed of user %s opens with no configured key: SECRET_KEY changed without "
                  "SECRET_KEY_FALLBACKS, or the row was altered", user.id)
        raise Refusal(500, "This account's authenticator cannot be checked right now; "
                           "the operator has been told.") from None


def _local_account(user: User) -> None:
    if not user.password_hash:
        raise Refusal(409, "This account signs in elsewhere; set up MFA with that provider.")


def profile(user: User) -> dict[str, Any]:
    """What /me answers."""
    return {"id": user.id, "sub": user.sub, "email": user.email, "groups": list(user.groups or []),
            "mfa_enabled": bool(user.totp_enabled), "email_verified": user.email_verified_at is not None}


def client_config(config: Mapping[str, Any], base_url: str, mail_links: bool = True) -> dict[str, Any]:
    """What /config tells the web client: the local form, or the Cognito hosted UI's endpoints (code + PKCE flow).

    `base_url` is where the caller reached the app (videoforge.urls.public_url): the default hosted-UI callback.
    `mail_links`: links can be mailed from this address (links.trusted_base), so "forgot password" is offered.
    """
    if config["AUTH_BACKEND"] == "local":
        return {"flow": "local", "mfa": True, "signup": bool(config["AUTH_SIGNUP_ENABLED"]),
                "password_min_length": int(config["AUTH_PASSWORD_MIN_LENGTH"]),
                "password_reset": mail_links, "email_verification": config["AUTH_EMAIL_VERIFICATION"],
                "account_deletion": config["ACCOUNT_DELETION"]}
    domain = config["COGNITO_DOMAIN"].rstrip("/")
    return {
        "flow": "cognito",
        "authorize_url": f"{domain}/oauth2/authorize",
        "token_url": f"{domain}/oauth2/token",
        "logout_url": f"{domain}/logout",
        "client_id": config["COGNITO_CLIENT_ID"],
        "redirect_uri": config.get("COGNITO_REDIRECT_URI") or base_url.rstrip("/") + "/",
        "scopes": list(config["COGNITO_SCOPES"]),
    }


def _digest(token: str) -> str:
    # Refresh tokens carry 256 random bits, so a fast hash is enough: there is nothing to brute-force.
    return hashlib.sha256(token.encode()).hexdigest()
