"""HMAC-signed, expiring URLs for the local object store: each signature binds method, key, expiry and limits.

A signature names one object, or (GETs only) a prefix: `prefix=processed/<video>/` signs every object under it
with one query string, so a whole playlist shares one signature, as a CDN's wildcard policy does. A GET may also
sign the Content-Disposition it is answered with (`disposition`, a download's file name), as S3's
`response-content-disposition` does.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import time
from collections.abc import Mapping
from urllib.parse import quote, urlencode

EXPIRES = "expires"
SIGNATURE = "sig"
# Every parameter a signature may carry; all present ones are signed, so none can be added or dropped.
SIGNED_PARAMS = ("size", "upload", "part", "prefix", "disposition")
PREFIX = "prefix"


class SignatureError(Exception):
    """A signed URL that is malformed, altered or expired; the message says which."""


_plain = re.compile(r"[A-Za-z0-9/_.~-]+").fullmatch  # keys that need no quoting (all of ours)
# An expiry as query() writes it: bounded ASCII digits, checked before int() (which takes "٣", " 3" or "3_0",
# and refuses more than 4,300 digits), so only the exact signed form verifies.
_expiry = re.compile(r"[0-9]{1,12}").fullmatch


def quote_key(key: str) -> str:
    """A key as it appears in a URL path (slashes kept)."""
    return key if _plain(key) else quote(key, safe="/~")


class UrlSigner:
    """Signs and checks local-storage URLs with a key derived from the app's secret.

    A dedicated derived key means a storage signature can never be replayed as any other
    HMAC the app makes with SECRET_KEY (and vice versa).
    """

    def __init__(self, secret: str | bytes, purpose: bytes = b"videoforge.storage.url.v1"):
        if not secret:
            raise ValueError("a non-empty secret is required to sign storage URLs")
        raw = secret.encode() if isinstance(secret, str) else secret
        self._key = hmac.new(raw, purpose, hashlib.sha256).digest()
        self._keyed = hmac.new(self._key, digestmod=hashlib.sha256)  # copied per URL: no key setup each time

    def _mac(self, method: str, key: str, expires: int, params: Mapping[str, str]) -> str:
        # Newline-separated fields: keys are checked to hold no control characters, so fields cannot run together.
        lines = [method, key, str(expires)] + [f"{name}={params[name]}" for name in SIGNED_PARAMS if name in params]
        mac = self._keyed.copy()
        mac.update("\n".join(lines).encode())
        return mac.hexdigest()

    def query(self, method: str, key: str, expires_in: int, now: float | None = None,
              **params: str | int | None) -> str:
        """The query string (without '?') that makes a URL for `method` on `key` valid for `expires_in` seconds."""
        if expires_in <= 0:
            raise ValueError("expires_in must be positive")
        unknown = set(params) - set(SIGNED_PARAMS)
        if unknown:
            raise ValueError(f"unknown signed parameters: {', '.join(sorted(unknown))}")
        expires = int(now if now is not None else time.time()) + int(expires_in)
        values = {name: str(value) for name, value in params.items() if value is not None}
        pairs = [(name, values[name]) for name in SIGNED_PARAMS if name in values]
        signature = self._mac(method, key, expires, values)
        if not pairs:  # a plain GET, by far the most signed (every segment of a playlist): skip urlencode
            return f"{EXPIRES}={expires}&{SIGNATURE}={signature}"
        return urlencode([*pairs, (EXPIRES, str(expires)), (SIGNATURE, signature)])

    def verify(self, method: str, key: str, args: Mapping[str, str], now: float | None = None) -> dict[str, str]:
        """The signed parameters of a valid request; SignatureError when missing, altered or expired."""
        signature = args.get(SIGNATURE)
        raw_expires = args.get(EXPIRES)
        if not signature or not raw_expires:
            raise SignatureError("the URL is not signed")
        if not _expiry(raw_expires):
            raise SignatureError("the URL's expiry is malformed")
        expires = int(raw_expires)
        params = {name: args[name] for name in SIGNED_PARAMS if name in args}
        expected = self._mac(method, _signed_key(method, key, params), expires, params)
        if not hmac.compare_digest(expected, signature):
            raise SignatureError("the URL's signature does not match (altered, or signed for another object)")
        if (now if now is not None else time.time()) > expires:
            raise SignatureError("the URL has expired")
        return params


def _signed_key(method: str, key: str, params: Mapping[str, str]) -> str:
    """What the signature must name for `key`: the key itself, or the prefix a prefix grant covers it by."""
    prefix = params.get(PREFIX)
    if prefix is None:
        return key
    # Only reads are granted by prefix; the prefix ends in "/", so "processed/ab/" never covers "processed/abc/...".
    # The key is checked for "..", "." and empty segments by the store (check_key) before any file is opened.
    if method != "GET" or not prefix.endswith("/") or not key.startswith(prefix):
        raise SignatureError("the URL's signature does not cover this object (signed for another prefix)")
    return prefix
