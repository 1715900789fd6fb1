"""Wire the verifier (and, where local tokens are issued, the signing key) into the app."""

from __future__ import annotations

from flask import Flask

from videoforge.config import ConfigError
from videoforge.identity.verifier import LEEWAY_SECONDS, JwksSource, StaticKeys, Verifier

LOCAL_ISSUER = "urn:videoforge:auth"
"""`iss` of local tokens when neither AUTH_ISSUER nor PUBLIC_URL is set."""


def local_issuer_url(config: dict) -> str:
    """The `iss` of local tokens: AUTH_ISSUER, else PUBLIC_URL + /api/auth, else LOCAL_ISSUER.

    Never the request's host: a token signed in at localhost must still verify when used at 127.0.0.1 or
    from a phone on the LAN, and every split process must expect the same `iss` whoever it is asked by.
    """
    if config.get("AUTH_ISSUER"):
        return config["AUTH_ISSUER"]
    return config["PUBLIC_URL"].rstrip("/") + "/api/auth" if config.get("PUBLIC_URL") else LOCAL_ISSUER


def cognito_region(config: dict) -> str:
    """The pool's region: configured, or the prefix of the pool id (`eu-west-1_AbC123`)."""
    region = config.get("COGNITO_REGION") or config["COGNITO_USER_POOL_ID"].partition("_")[0]
    if not region:
        raise ConfigError("VIDEOFORGE_COGNITO_REGION: required (the pool id does not start with a region)")
    return region


def cognito_issuer_url(config: dict) -> str:
    """Cognito's issuer for the pool, unless overridden (loopback servers use another host)."""
    return config.get("COGNITO_ISSUER") or (
        f"https://cognito-idp.{cognito_region(config)}.amazonaws.com/{config['COGNITO_USER_POOL_ID']}")


def issues_local_tokens(app: Flask) -> bool:
    """This process holds the private key: it serves /api/auth, or was given the key, or has no JWKS URL to use."""
    config = app.config
    return ("auth" in app.extensions.get("videoforge.modules", {}) or bool(config.get("AUTH_SIGNING_KEY"))
            or not config.get("AUTH_JWKS_URL"))


def init_identity(app: Flask) -> None:
    """Build the one verifier this process uses."""
    config = app.config
    if config["AUTH_BACKEND"] == "cognito":
        issuer = cognito_issuer_url(config)
        source = JwksSource(config.get("COGNITO_JWKS_URL") or issuer + "/.well-known/jwks.json")
        verifier = Verifier(source, issuer=issuer, client_id=config["COGNITO_CLIENT_ID"])
    elif issues_local_tokens(app):
        # Only the issuer loads keys (and joserfc with them); a process that verifies alone imports it on its
        # first token.
        from videoforge.identity.keys import load_retired_keys, load_signing_key, public_keyset

        key = load_signing_key(config, app.instance_path)
        # Retired keys stay published while a token they signed may still be inside its lifetime.
        keep = int(config["AUTH_ACCESS_TOKEN_TTL"]) + LEEWAY_SECONDS
        keys = public_keyset(key, *load_retired_keys(config, app.instance_path, keep))
        app.extensions["videoforge.signing_key"] = key
        app.extensions["videoforge.jwks"] = keys
        verifier = Verifier(StaticKeys(lambda: keys), issuer=local_issuer_url(config),
                            client_id=config["AUTH_CLIENT_ID"], groups_from_token=False)
    else:
        # A split process (a gallery Lambda, say) trusts the issuer's published keys, fetched over HTTP.
        verifier = Verifier(JwksSource(config["AUTH_JWKS_URL"]), issuer=local_issuer_url(config),
                            client_id=config["AUTH_CLIENT_ID"], groups_from_token=False)
    app.extensions["videoforge.verifier"] = verifier
