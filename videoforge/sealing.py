"""Small secrets kept in the database (TOTP seeds) sealed with AES-256-GCM under a key derived from SECRET_KEY.

A copy of the database alone (a backup, a read-only SQL injection) then yields no second factor.
Each value is bound to its purpose and row (GCM's associated data), so a sealed value copied to
another user's row does not open. Keys come from HKDF-SHA256 over SECRET_KEY, so the app has one
root secret to keep in Secrets Manager; SECRET_KEY_FALLBACKS (Flask's name) lists older keys that
still open values sealed before a rotation, which are sealed afresh with the current key when used.
"""

from __future__ import annotations

import base64
import os
from collections.abc import Iterable

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

PREFIX = "v1:"
_NONCE_BYTES = 12
_TAG_BYTES = 16


class SealBroken(Exception):
    """A sealed value that no configured key opens: altered, moved to another row, or from an unknown key."""


def seal(secret_key: str, purpose: str, row: str, plaintext: str) -> str:
    """`plaintext` sealed for `purpose` on `row`: "v1:" + base64url(nonce + ciphertext + tag)."""
    nonce = os.urandom(_NONCE_BYTES)
    sealed = AESGCM(_derive(secret_key, purpose)).encrypt(nonce, plaintext.encode(), _context(purpose, row))
    return PREFIX + base64.urlsafe_b64encode(nonce + sealed).decode().rstrip("=")


def unseal(keys: Iterable[str], purpose: str, row: str, value: str) -> tuple[str, bool]:
    """The plaintext, and whether it should be sealed again (an older key, or stored before sealing)."""
    if not value.startswith(PREFIX):
        return value, True  # written by a release that stored it in the clear
    body = value[len(PREFIX):]
    try:
        raw = base64.urlsafe_b64decode(body + "=" * (-len(body) % 4))
    except ValueError:  # binascii.Error: not base64 at all
        raw = b""
    if len(raw) < _NONCE_BYTES + _TAG_BYTES:
        raise SealBroken(f"a sealed {purpose} value on row {row} is not well formed")
    nonce, sealed = raw[:_NONCE_BYTES], raw[_NONCE_BYTES:]
    for index, key in enumerate(k for k in keys if k):
        try:
            plaintext = AESGCM(_derive(key, purpose)).decrypt(nonce, sealed, _context(purpose, row))
        except InvalidTag:
            continue
        return plaintext.decode(), index > 0
    raise SealBroken(f"a sealed {purpose} value on row {row} opens with none of the configured keys")


def keys_of(config) -> list[str]:
    """SECRET_KEY first, then SECRET_KEY_FALLBACKS, newest first."""
    return [config["SECRET_KEY"], *config.get("SECRET_KEY_FALLBACKS", [])]


def _derive(secret_key: str, purpose: str) -> bytes:
    hkdf = HKDF(algorithm=hashes.SHA256(), length=32, salt=b"videoforge sealing", info=purpose.encode())
    return hkdf.derive(secret_key.encode())


def _context(purpose: str, row: str) -> bytes:
    return f"{purpose}\x00{row}".encode()
