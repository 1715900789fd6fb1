"""Wire the verifier (and, for the local backend, the signing key) into the app."""

from __future__ import annotations

from flask import Flask

from videoforge.identity.keys import load_signing_key, public_keyset
from videoforge.identity.verifier import JwksSource, StaticKeys, Verifier


def local_issuer_url(config: dict) -> str:
    """The `iss` of local tokens."""
    return config.get("AUTH_ISSUER") or config["PUBLIC_URL"].rstrip("/") + "/api/auth"


def cognito_issuer_url(config: dict) -> str:
    """Cognito's issuer for the pool, unless overridden (loopback servers use another host)."""
    return config.get("COGNITO_ISSUER") or (
        f"https://cognito-idp.{config['COGNITO_REGION']}.amazonaws.com/{config['COGNITO_USER_POOL_ID']}")


def init_identity(app: Flask) -> None:
    """Build the one verifier this process uses."""
    config = app.config
    if config["AUTH_BACKEND"] == "cognito":
        issuer = cognito_issuer_url(config)
        source = JwksSource(config.get("COGNITO_JWKS_URL") or issuer + "/.well-known/jwks.json")
        verifier = Verifier(source, issuer=issuer, client_id=config["COGNITO_CLIENT_ID"])
    else:
        key = load_signing_key(config, app.instance_path)
        app.extensions["videoforge.signing_key"] = key
        keys = public_keyset(key)
        verifier = Verifier(StaticKeys(lambda: keys), issuer=local_issuer_url(config),
                            client_id=config["AUTH_CLIENT_ID"])
    app.extensions["videoforge.verifier"] = verifier
