"""Local identity provider HTTP API; with AUTH_BACKEND=cognito only /config and /me answer."""

from __future__ import annotations

import functools
import logging
from http import HTTPStatus

from flask import current_app, jsonify, request
from flask.views import MethodView
from flask_smorest import Blueprint, abort

from videoforge.db import get_session
from videoforge.errors import error_body
from videoforge.identity import current_user, require_user
from videoforge.modules.auth import service
from videoforge.modules.auth.schemas import (
    AuthConfigSchema, JwksSchema, MeSchema, RefreshSchema, SignInSchema, SignUpSchema, TokenSchema, TotpCodeSchema,
    TotpEnrolmentSchema,
)

log = logging.getLogger(__name__)
blp = Blueprint("auth", __name__, description="Sign-up, sign-in, tokens, TOTP and the JWKS of the local issuer")
PUBLIC = {"security": []}


@blp.errorhandler(service.AuthFailure)
def _refusal(exc: service.AuthFailure):
    response = jsonify(error_body(exc.status, HTTPStatus(exc.status).phrase, exc.message, exc.errors))
    response.status_code = exc.status
    response.headers.update(exc.headers)
    if exc.status == 401:
        response.headers.setdefault("WWW-Authenticate", "Bearer")
    return response


@blp.errorhandler(400)
def _invalid_fields(exc):
    """Validation errors say which fields are wrong in the message too, not only in `errors`."""
    messages = (getattr(exc, "data", None) or {}).get("messages") or {}
    fields = sorted({name for location in messages.values() if isinstance(location, dict) for name in location})
    message = f"Check these fields: {', '.join(fields)}." if fields else (exc.description or "Bad request.")
    response = jsonify(error_body(400, "Bad Request", message, messages or None))
    response.status_code = 400
    return response


def local_only(view):
    """Routes of the embedded issuer; with Cognito, people sign in through the hosted UI instead."""

    @functools.wraps(view)
    def wrapper(*args, **kwargs):
        if current_app.config["AUTH_BACKEND"] != "local":
            abort(404, message="AUTH_BACKEND is cognito: sign in through Cognito's hosted UI (see /api/auth/config).")
        return view(*args, **kwargs)

    return wrapper


def _issuer() -> service.Issuer:
    return service.Issuer.of(current_app)


@blp.route("/signup")
class SignUp(MethodView):
    @blp.doc(**PUBLIC)
    @blp.arguments(SignUpSchema, error_status_code=400)
    @blp.response(201, MeSchema)
    @blp.alt_response(409, description="An account with this email exists")
    @local_only
    def post(self, data):
        """Create a local account."""
        if not current_app.config["AUTH_SIGNUP_ENABLED"]:
            abort(403, message="Sign-up is closed; ask an administrator for an account.")
        user = service.create_account(get_session(), current_app.config, data["email"], data["password"])
        return service.profile(user)


@blp.route("/token")
class Token(MethodView):
    @blp.doc(**PUBLIC)
    @blp.arguments(SignInSchema, error_status_code=400)
    @blp.response(200, TokenSchema)
    @blp.alt_response(401, description="Wrong details; `errors.mfa = totp_required` when a TOTP code is needed")
    @blp.alt_response(429, description="Too many failed sign-ins; see Retry-After")
    @local_only
    def post(self, data):
        """Sign in with email, password and (when on) a TOTP code."""
        try:
            return service.sign_in(get_session(), current_app.config, _issuer(), data["email"], data["password"],
                                   data.get("code"), request.remote_addr)
        except service.AuthFailure as exc:
            log.info("sign-in refused: %s", exc.status)
            raise


@blp.route("/refresh")
class Refresh(MethodView):
    @blp.doc(**PUBLIC)
    @blp.arguments(RefreshSchema, error_status_code=400)
    @blp.response(200, TokenSchema)
    @blp.alt_response(401, description="Unknown, expired, revoked or reused refresh token")
    @local_only
    def post(self, data):
        """Swap a refresh token for new tokens (the old refresh token stops working)."""
        return service.refresh(get_session(), _issuer(), data["refresh_token"])


@blp.route("/signout")
class SignOut(MethodView):
    @blp.doc(**PUBLIC)
    @blp.arguments(RefreshSchema, error_status_code=400)
    @blp.response(204)
    @local_only
    def post(self, data):
        """Revoke a refresh token and every token rotated from the same sign-in."""
        service.sign_out(get_session(), data["refresh_token"])


@blp.route("/me")
class Me(MethodView):
    @blp.response(200, MeSchema)
    @blp.alt_response(401, description="No valid bearer token")
    @require_user
    def get(self):
        """The signed-in user."""
        return service.profile(current_user())


@blp.route("/.well-known/jwks.json")
class Jwks(MethodView):
    @blp.doc(**PUBLIC)
    @blp.response(200, JwksSchema)
    @local_only
    def get(self):
        """Public keys that verify local tokens (current and recently retired)."""
        keys = current_app.extensions.get("videoforge.jwks")
        if keys is None:
            abort(404, message="This process does not issue local tokens.")
        return keys.as_dict(private=False), 200, {"Cache-Control": "public, max-age=300"}


@blp.route("/config")
class Config(MethodView):
    @blp.doc(**PUBLIC)
    @blp.response(200, AuthConfigSchema)
    def get(self):
        """Which sign-in flow the client uses, and for Cognito where its hosted UI is."""
        return service.client_config(current_app.config)


@blp.route("/mfa/totp")
class Totp(MethodView):
    @blp.response(201, TotpEnrolmentSchema)
    @local_only
    @require_user
    def post(self):
        """Start TOTP enrolment: a secret and otpauth:// URI for an authenticator app."""
        return service.enrol_totp(get_session(), current_app.config, current_user())

    @blp.arguments(TotpCodeSchema, error_status_code=400)
    @blp.response(204)
    @local_only
    @require_user
    def delete(self, data):
        """Turn TOTP off (needs a current code)."""
        service.disable_totp(get_session(), current_app.config, current_user(), data["code"])


@blp.route("/mfa/totp/verify")
class TotpVerify(MethodView):
    @blp.arguments(TotpCodeSchema, error_status_code=400)
    @blp.response(200, MeSchema)
    @local_only
    @require_user
    def post(self, data):
        """Turn TOTP on with a code from the enrolled app."""
        user = current_user()
        service.confirm_totp(get_session(), current_app.config, user, data["code"])
        return service.profile(user)
