"""Wire the verifier (and, where local tokens are issued, the signing key) into the app."""

from __future__ import annotations

import threading
from typing import TYPE_CHECKING

from flask import Flask

from videoforge.config import ConfigError
from videoforge.identity.verifier import LEEWAY_SECONDS, JwksSource, StaticKeys, Verifier

if TYPE_CHECKING:
    from joserfc.jwk import KeySet, RSAKey

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
        # Only the issuer loads keys (and joserfc with them) at start: it signs. A process that only verifies local
        # tokens (a gallery Lambda reading the instance's key) loads them on its first token, so a cold start that
        # serves a public page never pays for joserfc and an RSA key check (~130 ms).
        keys = _LocalKeys(app)
        if "auth" in app.extensions.get("videoforge.modules", {}) or config.get("AUTH_SIGNING_KEY"):
            keys.load()
        verifier = Verifier(StaticKeys(keys.public), issuer=local_issuer_url(config),
                            client_id=config["AUTH_CLIENT_ID"], groups_from_token=False)
    else:
        # A split process (a gallery Lambda, say) trusts the issuer's published keys, fetched over HTTP.
        verifier = Verifier(JwksSource(config["AUTH_JWKS_URL"]), issuer=local_issuer_url(config),
                            client_id=config["AUTH_CLIENT_ID"], groups_from_token=False)
    app.extensions["videoforge.verifier"] = verifier


class _LocalKeys:
    """The instance's signing key and the public keyset verifiers use, loaded once, when first needed."""

    def __init__(self, app: Flask):
        self.app = app
        self._lock = threading.Lock()

    def load(self) -> KeySet:
        with self._lock:
            keys: KeySet | None = self.app.extensions.get("videoforge.jwks")
            if keys is None:
                from videoforge.identity.keys import load_retired_keys, load_signing_key, public_keyset

                config, folder = self.app.config, self.app.instance_path
                key = load_signing_key(config, folder)
                # Retired keys stay published while a token they signed may still be inside its lifetime.
                keep = int(config["AUTH_ACCESS_TOKEN_TTL"]) + LEEWAY_SECONDS
                keys = public_keyset(key, *load_retired_keys(config, folder, keep))
                self.app.extensions["videoforge.signing_key"] = key
                self.app.extensions["videoforge.jwks"] = keys
            return keys

    def public(self) -> KeySet:
        return self.load()


def signing_key(app: Flask) -> RSAKey:
    """The instance's private signing key (a joserfc RSAKey), loaded now if this process had no need of it yet."""
    if "videoforge.signing_key" not in app.extensions:
        _LocalKeys(app).load()
    key: RSAKey = app.extensions["videoforge.signing_key"]
    return key
