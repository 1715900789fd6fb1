"""Identity: who is calling. `require_user` and `require_group` guard views in every module."""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Literal, overload

from flask import current_app, g, request
from flask_smorest import abort
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from videoforge.db import get_session
from videoforge.identity.verifier import Identity, InvalidToken
from videoforge.models import User


def bearer_token() -> str | None:
    """The request's bearer token, or None."""
    header = request.headers.get("Authorization", "")
    scheme, _, token = header.partition(" ")
    return token.strip() if scheme.lower() == "bearer" and token.strip() else None


def authenticate(required: bool = True) -> Identity | None:
    """Verify the bearer token once per request; 401 in the one JSON shape when it is missing or bad."""
    if "identity" in g:
        return g.identity
    token = bearer_token()
    if token is None:
        if required:
            abort(401, message="Sign in first: no bearer token.", headers={"WWW-Authenticate": "Bearer"})
        return None
    try:
        g.identity = current_app.extensions["videoforge.verifier"].verify(token)
    except InvalidToken as exc:
        current_app.logger.info("rejected token: %s", exc)
        abort(401, message="The bearer token is not valid.",
              headers={"WWW-Authenticate": 'Bearer error="invalid_token"'})
    return g.identity


@overload
def current_user(required: Literal[True] = True) -> User: ...
@overload
def current_user(required: bool) -> User | None: ...
def current_user(required: bool = True) -> User | None:
    """The calling user's row, created on first sight of their `sub`; groups follow the token."""
    if "user" in g:
        return g.user
    identity = authenticate(required)
    if identity is None:
        return None
    verifier = current_app.extensions["videoforge.verifier"]
    user = user_for(get_session(), identity, groups_from_token=verifier.groups_from_token)
    if signed_out_since(user, identity):
        current_app.logger.info("rejected token: issued before the account's sessions were revoked")
        abort(401, message="The bearer token is not valid.",
              headers={"WWW-Authenticate": 'Bearer error="invalid_token"'})
    g.user = user
    return g.user


def signed_out_since(user: User, identity: Identity) -> bool:
    """The token was minted before a password change or reset signed every session of the account out: its
    `session_epoch` is older than the row's. (Cognito's tokens carry none, and their rows' epoch stays 0.)"""
    if not user.session_epoch:
        return False
    minted = identity.claims.get("session_epoch", 0)
    return not isinstance(minted, int) or minted < user.session_epoch


def user_for(session, identity: Identity, groups_from_token: bool = True) -> User:
    """Find or create the user for a verified identity (a race on first sight is settled by the unique `sub`).

    With Cognito the token's groups are the truth and update the row; with the local issuer the row is the
    truth (an admin demoted by the CLI loses the group at once, not when their old token expires).
    """
    user = session.scalars(select(User).where(User.sub == identity.sub)).first()
    if user is None:
        user = _create_user(session, identity, identity.email)
    elif groups_from_token and list(identity.groups) != list(user.groups or []):
        user.groups = list(identity.groups)
        session.commit()
    return user


def _create_user(session, identity: Identity, email: str | None) -> User:
    user = User(sub=identity.sub, email=email, groups=list(identity.groups))
    session.add(user)
    try:
        session.commit()
        return user
    except IntegrityError:
        session.rollback()
    existing = session.scalars(select(User).where(User.sub == identity.sub)).first()
    if existing is not None:  # another request created it first
        return existing
    # The email belongs to another row (say, a local account from before a switch to Cognito): keep them apart.
    return _create_user(session, identity, None) if email else session.scalars(
        select(User).where(User.sub == identity.sub)).one()


def require_user(view: Callable) -> Callable:
    """Only signed-in callers pass."""

    @functools.wraps(view)
    def wrapper(*args, **kwargs):
        current_user()
        return view(*args, **kwargs)

    return wrapper


def require_verified_email(view: Callable) -> Callable:
    """Signed-in callers pass; with the local issuer and AUTH_EMAIL_VERIFICATION=required, only once their address
    is verified (403 otherwise). As with groups, the local row is the truth (a token minted before the link was
    followed still says `email_verified: false`); the token's claim counts too. Cognito's pool decides for itself:
    its access tokens carry no such claim, and this setting does not apply to it.
    """

    @functools.wraps(view)
    def wrapper(*args, **kwargs):
        user = current_user()
        config = current_app.config
        if (config["AUTH_BACKEND"] == "local" and config["AUTH_EMAIL_VERIFICATION"] == "required"
                and user.email_verified_at is None and g.identity.email_verified is not True):
            abort(403, message="Verify your email address first: follow the link we mailed you, or send a new "
                               "one from your account page.")
        return view(*args, **kwargs)

    return wrapper


def require_group(name: str) -> Callable[[Callable], Callable]:
    """Only callers in the group pass (403 otherwise)."""

    def decorator(view: Callable) -> Callable:
        @functools.wraps(view)
        def wrapper(*args, **kwargs):
            user = current_user()
            if name not in (user.groups or []):
                abort(403, message=f"Only members of {name!r} may do this.")
            return view(*args, **kwargs)

        return wrapper

    return decorator
