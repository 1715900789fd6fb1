"""Local identity provider HTTP API; with AUTH_BACKEND=cognito only /config and /me answer."""

from __future__ import annotations

import functools
from typing import Any

from flask import current_app, request
from flask.views import MethodView
from flask_smorest import Blueprint, abort

from videoforge.db import get_session
from videoforge.identity import current_user, require_user, sessions_only
from videoforge.modules.auth import account, links, service
from videoforge.modules.auth.schemas import (
    AcceptedSchema,
    AuthConfigSchema,
    ChangeEmailSchema,
    ChangePasswordSchema,
    ForgotPasswordSchema,
    JwksSchema,
    LinkSchema,
    MeSchema,
    PasswordSchema,
    RefreshSchema,
    ResetPasswordSchema,
    SignInSchema,
    SignUpSchema,
    TokenSchema,
    TotpCodeSchema,
    TotpEnrolmentSchema,
)
from videoforge.ports.mail import get_courier
from videoforge.ports.storage import get_storage
from videoforge.urls import public_url

blp = Blueprint("auth", __name__, description="Sign-up, sign-in, tokens, TOTP, account recovery and the JWKS of the "
                                              "local issuer; personal API keys")
PUBLIC: dict[str, list[Any]] = {"security": []}  # an OpenAPI operation that needs no bearer token


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


def _mail():
    """Where account mail goes: the app's Courier, which sends after the response."""
    return get_courier(current_app).post


def _link_base() -> str | None:
    """Where mailed links point (links.trusted_base: never a Host header a caller may have forged)."""
    return links.trusted_base(current_app.config, request.root_url)


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
        account.welcome(get_session(), current_app.config, _mail(), _link_base(), user)
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
        return service.sign_in(get_session(), current_app.config, _issuer(), data["email"], data["password"],
                               data.get("code"), request.remote_addr)


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
        return service.client_config(current_app.config, public_url(), mail_links=_link_base() is not None)


@blp.route("/mfa/totp")
class Totp(MethodView):
    @blp.response(201, TotpEnrolmentSchema)
    @local_only
    @require_user
    @sessions_only
    def post(self):
        """Start TOTP enrolment: a secret and otpauth:// URI for an authenticator app."""
        return service.enrol_totp(get_session(), current_app.config, current_user())

    @blp.arguments(TotpCodeSchema, error_status_code=400)
    @blp.response(204)
    @local_only
    @require_user
    @sessions_only
    def delete(self, data):
        """Turn TOTP off (needs a current code)."""
        service.disable_totp(get_session(), current_app.config, current_user(), data["code"])


@blp.route("/mfa/totp/verify")
class TotpVerify(MethodView):
    @blp.arguments(TotpCodeSchema, error_status_code=400)
    @blp.response(200, MeSchema)
    @local_only
    @require_user
    @sessions_only
    def post(self, data):
        """Turn TOTP on with a code from the enrolled app."""
        user = current_user()
        service.confirm_totp(get_session(), current_app.config, user, data["code"])
        return service.profile(user)


# --- account recovery and hygiene (account.py) -------------------------------------------------------------------

ACCEPTED = "If an account has this address, a link is on its way to it."


@blp.route("/password/forgot")
class ForgotPassword(MethodView):
    @blp.doc(**PUBLIC)
    @blp.arguments(ForgotPasswordSchema, error_status_code=400)
    @blp.response(202, AcceptedSchema)
    @blp.alt_response(429, description="Too many links asked for this address or from this client; see Retry-After")
    @blp.alt_response(503, description="PUBLIC_URL is unset and this address is not one links may point to")
    @local_only
    def post(self, data):
        """Mail a password-reset link (the answer is the same whether the address has an account)."""
        account.forgot_password(get_session(), current_app.config, _mail(), _link_base(), data["email"],
                                request.remote_addr)
        return {"message": ACCEPTED}


@blp.route("/password/reset")
class ResetPassword(MethodView):
    @blp.doc(**PUBLIC)
    @blp.arguments(ResetPasswordSchema, error_status_code=400)
    @blp.response(204)
    @blp.alt_response(400, description="A used, replaced or expired link (`token`), or a weak `password`")
    @blp.alt_response(429, description="Too many bad links from this client; see Retry-After")
    @local_only
    def post(self, data):
        """Set a new password with a reset link; every session of the account is signed out."""
        account.reset_password(get_session(), current_app.config, _mail(), data["token"], data["password"],
                               request.remote_addr)


@blp.route("/password/change")
class ChangePassword(MethodView):
    @blp.arguments(ChangePasswordSchema, error_status_code=400)
    @blp.response(200, TokenSchema)
    @blp.alt_response(400, description="Wrong `current_password`, or a weak `new_password`")
    @blp.alt_response(409, description="The account has no local password")
    @blp.alt_response(429, description="Too many wrong passwords; see Retry-After")
    @local_only
    @require_user
    @sessions_only
    def post(self, data):
        """Change the password: other sessions are signed out, and this one gets new tokens."""
        return account.change_password(get_session(), current_app.config, _issuer(), _mail(), current_user(),
                                       data["current_password"], data["new_password"])


@blp.route("/email/verify")
class VerifyEmail(MethodView):
    @blp.doc(**PUBLIC)
    @blp.arguments(LinkSchema, error_status_code=400)
    @blp.response(200, MeSchema)
    @blp.alt_response(400, description="A used, replaced or expired link (`token`)")
    @blp.alt_response(409, description="A new address another account took since the link was sent")
    @blp.alt_response(429, description="Too many bad links from this client; see Retry-After")
    @local_only
    def post(self, data):
        """Follow a mailed link: the account's address is verified, or a new address takes its place."""
        user = account.verify_email(get_session(), current_app.config, _mail(), data["token"], request.remote_addr)
        return service.profile(user)


@blp.route("/email/verify/resend")
class ResendVerification(MethodView):
    @blp.response(202, AcceptedSchema)
    @blp.alt_response(404, description="Email verification is off")
    @blp.alt_response(409, description="Already verified, or the account signs in elsewhere")
    @blp.alt_response(429, description="Too many links asked for; see Retry-After")
    @blp.alt_response(503, description="PUBLIC_URL is unset and this address is not one links may point to")
    @local_only
    @require_user
    @sessions_only
    def post(self):
        """Mail a new link that verifies the signed-in account's address."""
        user = current_user()
        account.send_verification(get_session(), current_app.config, _mail(), _link_base(), user,
                                  request.remote_addr)
        return {"message": f"A new link is on its way to {user.email}."}


@blp.route("/email/change")
class ChangeEmail(MethodView):
    @blp.arguments(ChangeEmailSchema, error_status_code=400)
    @blp.response(202, AcceptedSchema)
    @blp.alt_response(400, description="Wrong `password`, or `email` is already the account's")
    @blp.alt_response(409, description="The account has no local password")
    @blp.alt_response(429, description="Too many wrong passwords or links asked for; see Retry-After")
    @blp.alt_response(503, description="PUBLIC_URL is unset and this address is not one links may point to")
    @local_only
    @require_user
    @sessions_only
    def post(self, data):
        """Ask to change the address: a link goes to the new one, and the change happens when it is followed."""
        account.change_email(get_session(), current_app.config, _mail(), _link_base(), current_user(),
                             data["password"], data["email"], request.remote_addr)
        return {"message": "A link is on its way to the new address; the change happens when it is followed."}


@blp.route("/account")
class Account(MethodView):
    @blp.arguments(PasswordSchema, error_status_code=400)
    @blp.response(204)
    @blp.alt_response(400, description="Wrong `password`")
    @blp.alt_response(409, description="No local password, or (handover) no administrator to take the videos")
    @blp.alt_response(429, description="Too many wrong passwords; see Retry-After")
    @local_only
    @require_user
    @sessions_only
    def delete(self, data):
        """Delete the account, with its videos and their files (or hand the videos to an administrator)."""
        account.delete_account(get_session(), current_app.config, get_storage(current_app), _mail(), current_user(),
                               data["password"])


# Personal API keys live in their own file; importing it registers its routes on `blp`.
from videoforge.modules.auth import keys_api  # noqa: E402, F401
