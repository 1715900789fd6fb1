"""Identity: who is calling, by a session's token or a personal API key. `require_user` and `require_group` guard
views in every module; `api_key_scope` and `sessions_only` say what an API key needs to call one."""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Literal, TypeVar, overload

from flask import current_app, g, request
from flask_smorest import abort
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from videoforge.db import get_session
from videoforge.errors import Refusal
from videoforge.identity import api_keys
from videoforge.identity.verifier import Identity, InvalidToken
from videoforge.models import User, utcnow


def bearer_token() -> str | None:
    """The request's bearer token, or None."""
    header = request.headers.get("Authorization", "")
    scheme, _, token = header.partition(" ")
    return token.strip() if scheme.lower() == "bearer" and token.strip() else None


def authenticate(required: bool = True) -> Identity | None:
    """Verify the bearer token (a session's JWT or a `vf_` API key) once per request; 401 in the one JSON shape when
    it is missing or bad, 403 when an API key lacks the scope this request needs."""
    if "identity" in g:
        return g.identity
    token = bearer_token()
    if token is None:
        if required:
            abort(401, message="Sign in first: no bearer token.", headers={"WWW-Authenticate": "Bearer"})
        return None
    if api_keys.is_api_key(token):
        return _authenticate_key(token)
    try:
        g.identity = current_app.extensions["videoforge.verifier"].verify(token)
    except InvalidToken as exc:
        current_app.logger.info("rejected token: %s", exc)
        abort(401, message="The bearer token is not valid.",
              headers={"WWW-Authenticate": 'Bearer error="invalid_token"'})
    return g.identity


def _authenticate_key(key: str) -> Identity:
    """A personal API key acts as its owner (whose row is the truth for groups), within its scopes."""
    session, now = get_session(), utcnow()
    try:
        row, owner = api_keys.check(session, key, now)
    except InvalidToken as exc:
        current_app.logger.info("rejected API key: %s", exc)  # the reason and the key's id, never the key
        wait = api_keys.note_refusal(session, current_app.config, request.remote_addr, now)
        if wait is not None:
            raise Refusal(429, f"Too many refused API keys from this address; try again in {wait} seconds.",
                          headers={"Retry-After": str(wait)}) from None
        abort(401, message="The API key is not valid: it is unknown, revoked or expired.",
              headers={"WWW-Authenticate": 'Bearer error="invalid_token"'})
    identity = Identity(sub=owner.sub, email=owner.email, groups=tuple(owner.groups or ()), claims={},
                        api_key_id=row.id, scopes=tuple(row.scopes or ()))
    _require_scope(identity)  # before the request may know who is calling
    g.identity, g.user = identity, owner
    return identity


def _require_scope(identity: Identity) -> None:
    """403 unless the key holds what this view needs (its declaration, else by method: api_keys.needed_scope)."""
    declared = _declared_scope()
    if declared == api_keys.SESSIONS_ONLY:
        abort(403, message="API keys cannot do this: sign in to manage keys, credentials and MFA.")
    needed = api_keys.needed_scope(request.method, declared)
    if needed not in (identity.scopes or ()):
        abort(403, message=f"This API key lacks the `{needed}` scope this request needs.",
              errors={"scope": [f"Needs `{needed}`; the key has {', '.join(identity.scopes or ()) or 'none'}."]},
              headers={"WWW-Authenticate": f'Bearer error="insufficient_scope", scope="{needed}"'})


def _declared_scope() -> str | None:
    """What the view serving this request declared with `api_key_scope` or `sessions_only` (a MethodView's method
    for this request's method), or None."""
    view = current_app.view_functions.get(request.endpoint or "")
    view_class = getattr(view, "view_class", None)
    if view_class is not None:
        method = request.method.lower()
        view = getattr(view_class, method, None) or (getattr(view_class, "get", None) if method == "head" else None)
    declared = getattr(view, API_KEY_SCOPE, None)
    return declared if isinstance(declared, str) else None


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
    if "user" in g:  # an API key: its owner's row was read with it
        return g.user
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


API_KEY_SCOPE = "api_key_scope"
"""The attribute `api_key_scope` and `sessions_only` set on a view function (kept through functools.wraps)."""

_View = TypeVar("_View", bound=Callable)


def api_key_scope(scope: str) -> Callable[[_View], _View]:
    """Declare the scope an API key needs for this view, where the default (`read` for GET, HEAD and OPTIONS,
    `manage` for the rest) does not fit: `@api_key_scope(Scope.UPLOAD)` on creating and confirming uploads."""

    def declare(view: _View) -> _View:
        setattr(view, API_KEY_SCOPE, str(scope))
        return view

    return declare


def sessions_only(view: _View) -> _View:
    """No API key may call this view, whatever its scopes (403): managing keys, credentials and MFA need a
    signed-in session, so a leaked key cannot make more keys or lock its owner out."""
    return api_key_scope(api_keys.SESSIONS_ONLY)(view)
