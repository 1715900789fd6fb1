"""The signature on every webhook: `VideoForge-Signature: t=<unix seconds>,v1=<hex>`, as Stripe signs (and
`t=…,v1=<new>,v1=<old>` while a rolled secret's predecessor still signs: videoforge/webhooks/endpoint_secret.py).

v1 is HMAC-SHA256, keyed with the endpoint's secret (the whole `whsec_…` string, as UTF-8), over the timestamp, a
dot, and the exact bytes of the body: `f"{t}.".encode() + body`. A receiver recomputes it, compares in constant
time, and refuses a timestamp too far from its clock (replays of an old, captured request). `verify` is that check,
for the tests and as the reference a receiver may copy (docs/webhooks.md spells it out).
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import time

HEADER = "VideoForge-Signature"
SECRET_PREFIX = "whsec_"
SECRET_PURPOSE = "webhook secret"
"""What endpoint secrets are sealed for (videoforge.sealing, bound to the endpoint's id): the sender opens them."""
TOLERANCE_SECONDS = 300
"""How far a receiver should let the signed timestamp stray from its own clock."""


def new_secret() -> str:
    """A fresh endpoint secret: `whsec_` and 256 random bits."""
    return SECRET_PREFIX + secrets.token_urlsafe(32)


def signature(secret: str, timestamp: int, body: bytes) -> str:
    """v1: HMAC-SHA256 of `{timestamp}.{body}`, hex."""
    return hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256).hexdigest()


def header_value(signing_secrets: list[str], body: bytes, timestamp: int | None = None) -> str:
    """The signature header's value for a body sent now (or at `timestamp`): one v1 per secret, in order.

    Several while a rolled secret's predecessor still signs (the new one first): a receiver accepts the body when
    any v1 matches the secret it holds, so it may deploy the new secret at any time within the overlap."""
    at = int(time.time()) if timestamp is None else timestamp
    return ",".join([f"t={at}", *(f"v1={signature(secret, at, body)}" for secret in signing_secrets)])


def verify(secret: str, header: str, body: bytes, *, now: float | None = None,
           tolerance: int = TOLERANCE_SECONDS) -> bool:
    """True when `header` signs `body` with `secret` at a time within `tolerance` seconds of `now`."""
    timestamp, candidates = None, []
    for item in header.split(","):
        key, _, value = item.strip().partition("=")
        if key == "t" and value.isdigit():
            timestamp = int(value)
        elif key == "v1":
            candidates.append(value)
    if timestamp is None or abs((time.time() if now is None else now) - timestamp) > tolerance:
        return False
    expected = signature(secret, timestamp, body)
    return any(hmac.compare_digest(expected.encode(), candidate.encode()) for candidate in candidates)
