"""Playback tokens: short-lived HMAC grants that let a player fetch one video's playlists without a bearer header."""

from __future__ import annotations

import hashlib
import hmac
import time

_CONTEXT = b"videoforge/playback/v1"


def _key(secret: str) -> bytes:
    # Derived, so a playback token can never double as any other signature the app makes.
    return hmac.new(secret.encode(), _CONTEXT, hashlib.sha256).digest()


def issue(secret: str, video_id: str, ttl: int, now: float | None = None) -> str:
    """A token for `video_id` valid for `ttl` seconds: `<expiry>.<signature>`."""
    expires = int((time.time() if now is None else now) + ttl)
    mac = hmac.new(_key(secret), f"{video_id}.{expires}".encode(), hashlib.sha256).hexdigest()[:40]
    return f"{expires}.{mac}"


def check(secret: str, video_id: str, token: str | None, now: float | None = None) -> bool:
    """True when the token was issued for this video and has not expired."""
    if not token or token.count(".") != 1:
        return False
    expires, mac = token.split(".")
    if not expires.isdigit() or int(expires) < (time.time() if now is None else now):
        return False
    expected = hmac.new(_key(secret), f"{video_id}.{expires}".encode(), hashlib.sha256).hexdigest()[:40]
    return hmac.compare_digest(mac, expected)
