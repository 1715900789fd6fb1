"""Playback tokens: short-lived HMAC grants that let a player fetch one video's playlists without a bearer header.

A token is `<expiry>.<mac>` (51 characters). The MAC binds the video id, its `access_epoch` and the expiry; the
epoch is not in the token but read from the video row, so bumping it (a visibility change) ends every token signed
before, at once, and deleting the row ends them all.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import time

_CONTEXT = b"videoforge/playback/v2"  # v2: the epoch joined the MAC; a v1 token never checks
# Checked before int(): a bounded run of ASCII digits (str.isdigit() takes "²" and 5,000-digit strings, int() not).
_TOKEN = re.compile(r"([0-9]{1,12})\.([0-9a-f]{40})")
MAX_LENGTH = 64
"""Longer `token` query values are refused as malformed (422) before anything parses them."""


def _key(secret: str) -> bytes:
    # Derived, so a playback token can never double as any other signature the app makes.
    return hmac.new(secret.encode(), _CONTEXT, hashlib.sha256).digest()


def _mac(secret: str, video_id: str, epoch: int, expires: int) -> str:
    return hmac.new(_key(secret), f"{video_id}.{epoch}.{expires}".encode(), hashlib.sha256).hexdigest()[:40]


def issue(secret: str, video_id: str, epoch: int, ttl: int, now: float | None = None) -> str:
    """A token for `video_id` at access epoch `epoch`, valid for `ttl` seconds: `<expiry>.<signature>`."""
    expires = int((time.time() if now is None else now) + ttl)
    return f"{expires}.{_mac(secret, video_id, epoch or 0, expires)}"


def check(secret: str, video_id: str, epoch: int, token: str | None, now: float | None = None) -> bool:
    """True when the token was issued for this video at this epoch and has not expired."""
    match = _TOKEN.fullmatch(token or "")
    if match is None:
        return False
    expires = int(match.group(1))
    if expires < (time.time() if now is None else now):
        return False
    return hmac.compare_digest(match.group(2), _mac(secret, video_id, epoch or 0, expires))
