"""Mint the local issuer's access and id tokens in the shape Cognito gives them."""

from __future__ import annotations

import secrets
import time

from joserfc import jwt
from joserfc.jwk import RSAKey


def mint_tokens(key: RSAKey, *, issuer: str, client_id: str, sub: str, email: str | None,
                groups: list[str], ttl: int, now: int | None = None,
                email_verified: bool = True, session_epoch: int = 0) -> dict[str, str | int]:
    """An access token (`token_use=access`, `client_id`) and an id token (`token_use=id`, `aud`).

    Both say `email_verified` (the issuer passes the row's; the default serves tests' hand-made tokens): the id
    token as Cognito's does, the access token too, so any process can refuse uploads from unverified accounts
    (AUTH_EMAIL_VERIFICATION=required) without reading the users table. `session_epoch` is the row's when minted: a
    password change or reset bumps it, and every token minted before is refused (videoforge.identity).
    """
    now = int(time.time()) if now is None else now
    header = {"alg": "RS256", "kid": key.kid, "typ": "JWT"}
    common = {"sub": sub, "iss": issuer, "iat": now, "nbf": now, "exp": now + ttl,
              "cognito:groups": list(groups), "auth_time": now, "email_verified": bool(email_verified),
              "session_epoch": int(session_epoch)}
    access = common | {"token_use": "access", "client_id": client_id, "scope": "openid email profile",
                       "jti": secrets.token_hex(16), "username": sub}
    ident = common | {"token_use": "id", "aud": client_id, "email": email,
                      "jti": secrets.token_hex(16), "cognito:username": sub}
    return {
        "access_token": jwt.encode(header, access, key),
        "id_token": jwt.encode(header, ident, key),
        "token_type": "Bearer",
        "expires_in": ttl,
    }
