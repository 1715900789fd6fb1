"""Auth module: the embedded identity provider (sign-up, tokens, JWKS) used when AUTH_BACKEND is local."""

from videoforge.modules import Module


def _blueprints():
    from videoforge.modules.auth.api import blp

    return [blp]


module = Module(name="auth", blueprints=_blueprints)
