"""One token verifier for the local issuer and Cognito: RS256 by `kid`, issuer, expiry, token use and client id."""

from __future__ import annotations

import base64
import json
import threading
import time
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

# joserfc (and the cryptography it loads) is imported where a token is checked: ~60 ms of a cold start that an
# anonymous first request (the public gallery, a playlist) never needs (docs/benchmarks.md).
if TYPE_CHECKING:
    from joserfc.jwk import KeySet, KeySetSerialization

LEEWAY_SECONDS = 30
REFETCH_INTERVAL = 60.0
RETRY_WITHOUT_KEYS = 5.0
"""Until a first fetch has succeeded, try again sooner: every token fails while there are no keys at all."""


class InvalidToken(Exception):
    """The token is not one this app accepts; the message says why (for logs, not for callers)."""


@dataclass(frozen=True)
class Identity:
    """Who a verified token speaks for."""

    sub: str
    email: str | None
    groups: tuple[str, ...]
    claims: dict
    api_key_id: str | None = None
    """Set when a personal API key, not a signed-in session, made the request (identity.api_keys)."""
    scopes: tuple[str, ...] | None = None
    """The key's scopes; None for a session's token, which is not scoped."""

    @property
    def email_verified(self) -> bool | None:
        """The token's `email_verified`: local tokens always say it; Cognito's access tokens never do (None)."""
        value = self.claims.get("email_verified")
        return value if isinstance(value, bool) else None


class JwksSource:
    """A JWKS document fetched over HTTP, cached, refetched on an unknown `kid` at most once a minute."""

    def __init__(self, url: str, fetch: Callable[[str], KeySetSerialization] | None = None,
                 clock: Callable[[], float] = time.monotonic):
        self.url = url
        self._fetch = fetch or _fetch_json
        self._clock = clock
        self._keys: KeySet | None = None
        self._fetched_at = float("-inf")
        self._lock = threading.Lock()

    def keyset(self, kid: str | None) -> KeySet:
        from joserfc.jwk import KeySet

        with self._lock:
            known = self._keys is not None and any(k.kid == kid for k in self._keys.keys)
            interval = REFETCH_INTERVAL if self._keys is not None else RETRY_WITHOUT_KEYS
            if not known and self._clock() - self._fetched_at >= interval:
                self._fetched_at = self._clock()
                try:
                    self._keys = KeySet.import_key_set(self._fetch(self.url))
                except Exception as exc:  # noqa: BLE001 - network or JSON trouble: keep the old keys, fail this token
                    if self._keys is None:
                        raise InvalidToken(f"cannot fetch JWKS: {type(exc).__name__}") from None
            if self._keys is None:
                raise InvalidToken("no JWKS yet")
            return self._keys

    def forget(self) -> None:
        """Drop the cached keys: the next token fetches the JWKS again (a restored SnapStart snapshot)."""
        with self._lock:
            self._keys = None
            self._fetched_at = float("-inf")


class StaticKeys:
    """Keys known in-process (the local issuer verifying its own tokens)."""

    def __init__(self, keys: Callable[[], KeySet]):
        self._keys = keys

    def keyset(self, kid: str | None) -> KeySet:
        return self._keys()


class Verifier:
    """Checks a bearer token completely; anything off raises InvalidToken."""

    def __init__(self, source, *, issuer: str, client_id: str, now: Callable[[], float] = time.time,
                 groups_from_token: bool = True):
        self.source = source
        self.issuer = issuer
        self.client_id = client_id
        self.now = now
        self.groups_from_token = groups_from_token
        """Cognito owns group membership, so tokens update the user row; the local issuer's row is the authority."""

    def verify(self, token: str, token_use: str = "access") -> Identity:
        header = _header_of(token)
        if header.get("alg") != "RS256":
            raise InvalidToken(f"algorithm {header.get('alg')!r} not accepted")
        kid = header.get("kid")
        if not isinstance(kid, str) or not kid:
            raise InvalidToken("token header has no kid")
        from joserfc import jwt
        from joserfc.errors import JoseError

        keys = self.source.keyset(kid)
        try:
            decoded = jwt.decode(token, keys, algorithms=["RS256"])
        except JoseError as exc:
            raise InvalidToken(f"signature: {exc.error}") from None
        except (ValueError, TypeError):
            raise InvalidToken("malformed token") from None
        claims = decoded.claims
        registry = jwt.JWTClaimsRegistry(
            now=int(self.now()), leeway=LEEWAY_SECONDS,
            iss={"essential": True, "value": self.issuer},
            sub={"essential": True},
            exp={"essential": True},
            token_use={"essential": True, "value": token_use},
        )
        try:
            registry.validate(claims)
        except JoseError as exc:
            raise InvalidToken(f"claims: {exc.error} {exc.description or ''}".strip()) from None
        audience = claims.get("client_id") if token_use == "access" else claims.get("aud")
        if audience != self.client_id:
            raise InvalidToken("token was issued to another client")
        if not isinstance(claims["sub"], str) or not claims["sub"]:
            raise InvalidToken("claims: sub is not a string")
        groups = claims.get("cognito:groups") or ()
        if not isinstance(groups, (list, tuple)) or not all(isinstance(g, str) for g in groups):
            raise InvalidToken("claims: cognito:groups is not a list of names")
        return Identity(sub=claims["sub"], email=claims.get("email"), groups=tuple(groups), claims=claims)


def _header_of(token: str) -> dict:
    parts = token.split(".")
    if len(parts) != 3:
        raise InvalidToken("malformed token: not three dot-separated parts")
    try:
        header = json.loads(base64.urlsafe_b64decode(parts[0] + "=" * (-len(parts[0]) % 4)))
    except ValueError:
        raise InvalidToken("malformed token: header is not base64url JSON") from None
    if not isinstance(header, dict):
        raise InvalidToken("malformed token: header is not a JSON object")
    return header


def _fetch_json(url: str) -> KeySetSerialization:  # unchecked: import_key_set refuses what is not a JWKS
    with urllib.request.urlopen(url, timeout=5) as response:  # the configured JWKS URL, never a request's
        return json.load(response)
