"""Auth module: the embedded identity provider (sign-up, tokens, TOTP, recovery, JWKS), the client's sign-in and
personal API keys."""

from flask import Flask

from videoforge.config import ConfigError
from videoforge.modules import Module
from videoforge.modules.auth import config


def _blueprints():
    from videoforge.modules.auth.api import blp

    return [blp]


def _cli():
    from videoforge.modules.auth.cli import create_user, rotate_signing_key

    return [create_user, rotate_signing_key]


def _setup(app: Flask) -> None:
    if app.config["ACCOUNT_DELETION"] not in ("erase", "handover"):
        raise ConfigError(f"VIDEOFORGE_ACCOUNT_DELETION: {app.config['ACCOUNT_DELETION']!r} is not one of erase, "
                          "handover")
    # The web client needs the hosted UI's address to sign anyone in; say so at start, not at first sign-in.
    if app.config["AUTH_BACKEND"] == "cognito" and not app.config.get("COGNITO_DOMAIN"):
        raise ConfigError("VIDEOFORGE_COGNITO_DOMAIN: required when AUTH_BACKEND is cognito and this process "
                          "serves /api/auth (the hosted UI's domain, e.g. https://NAME.auth.REGION.amazoncognito.com)")


module = Module(name="auth", blueprints=_blueprints, config=config, cli=_cli, setup=_setup)
