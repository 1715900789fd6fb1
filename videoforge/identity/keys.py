"""The local issuer's RS256 signing key: from config (or Secrets Manager), else created once in the instance folder."""

from __future__ import annotations

import os

from joserfc.jwk import KeySet, RSAKey

KEY_FILE = "auth_signing_key.pem"


def load_signing_key(config: dict, instance_path: str) -> RSAKey:
    """The private key; its `kid` is the RFC 7638 thumbprint, so the same key always has the same kid."""
    pem = config.get("AUTH_SIGNING_KEY") or ""
    if not pem:
        path = os.path.join(instance_path, KEY_FILE)
        if not os.path.exists(path):
            os.makedirs(instance_path, exist_ok=True)
            key = RSAKey.generate_key(2048, private=True)
            # Written with 0600 so only the service user can read it.
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            with os.fdopen(fd, "wb") as fh:
                fh.write(key.as_pem(private=True))
        with open(path, "rb") as fh:
            pem = fh.read()
    key = RSAKey.import_key(pem)
    key.ensure_kid()
    return key


def public_keyset(*keys: RSAKey) -> KeySet:
    """The JWKS document's keys: public halves only, current key first, retired keys kept until their tokens expire."""
    return KeySet([RSAKey.import_key(k.as_dict(private=False) | {"kid": k.kid, "use": "sig", "alg": "RS256"})
                   for k in keys])
