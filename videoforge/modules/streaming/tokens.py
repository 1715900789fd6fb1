"""Playback tokens: short-lived HMAC grants that let a player fetch one video's playlists without a bearer header.

A token is `<expiry>.<mac>` (51 characters). The MAC binds the video id, its `access_epoch` and the expiry; the
epoch is not in the token but read from the video row, so bumping it (a visibility change) ends every token signed
before, at once, and deleting the row ends them all.

An unlock token (`purpose=UNLOCK`) has the same shape under another derived key: proof that its holder gave a
password video's password (unlock.py), which the playback info asks for. A new password bumps the epoch, so it ends
every unlock and playback token given before; neither kind of token can pass for the other.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import time

PLAYBACK = b"videoforge/playback/v2"  # v2: the epoch joined the MAC; a v1 token never checks
"""Purpose of a playback token: players fetch the video's playlists with it."""
UNLOCK = b"videoforge/unlock/v1"
"""Purpose of an unlock token: its holder gave the video's password, and may ask for its playback info."""
# Checked before int(): a bounded run of ASCII digits (str.isdigit() takes "²" and 5,000-digit strings, int() not).
_TOKEN = re.compile(r"([0-9]{1,12})\.([0-9a-f]{40})")
MAX_LENGTH = 64
"""Longer `token` query values are refused as malformed (422) before anything parses them."""


def _key(secret: str, purpose: bytes) -> bytes:
    # Derived per purpose, so a token can never double as any other signature the app makes.
    return hmac.new(secret.encode(), purpose, hashlib.sha256).digest()


def _mac(secret: str, video_id: str, epoch: int, expires: int, purpose: bytes) -> str:
    return hmac.new(_key(secret, purpose), f"{video_id}.{epoch}.{expires}".encode(), hashlib.sha256).hexdigest()[:40]


def issue(secret: str, video_id: str, epoch: int, ttl: int, now: float | None = None,
          purpose: bytes = PLAYBACK) -> str:
    """A token for `video_id` at access epoch `epoch`, valid for `ttl` seconds: `<expiry>.<signature>`."""
    expires = int((time.time() if now is None else now) + ttl)
    return f"{expires}.{_mac(secret, video_id, epoch or 0, expires, purpose)}"


def check(secret: str, video_id: str, epoch: int, token: str | None, now: float | None = None,
          purpose: bytes = PLAYBACK) -> bool:
    """True when the token was issued for this video at this epoch, for this purpose, and has not expired."""
    match = _TOKEN.fullmatch(token or "")
    if match is None:
        return False
    expires = int(match.group(1))
    if expires < (time.time() if now is None else now):
        return False
    return hmac.compare_digest(match.group(2), _mac(secret, video_id, epoch or 0, expires, purpose))
