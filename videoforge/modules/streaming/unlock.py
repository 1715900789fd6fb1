"""Password-protected videos: a viewer gives the password and gets an unlock token, which the playback info asks
for; wrong passwords are throttled per video and per client address.

- The password is checked with the accounts' KDF (auth/passwords.py, scrypt), one run per check, right or wrong, so
  the time taken tells nothing; a wrong one is a 403 naming the `password` field.
- Attempts are counted before they are checked, in the sign-in throttle's table and way (videoforge/throttle.py), under
  three limits: this video from this address (VIDEO_UNLOCK_MAX_FAILURES), this address at any video
  (..._PER_ADDRESS), this video from anywhere (..._PER_VIDEO), in VIDEO_UNLOCK_WINDOW. Over any: 429 with
  Retry-After, and no KDF run. A right password withdraws its attempt and forgets that pair's failures.
- An unlock token (tokens.UNLOCK) binds the video, the access epoch the checked password belonged to, and an expiry
  (VIDEO_UNLOCK_TTL). A new password, or any change of visibility, bumps the epoch: every unlock and every playback
  token given under the old one stops at once.
- The owner and admins never need the password: their bearer token shows them the video as before.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sqlalchemy.orm import Session

from videoforge import throttle
from videoforge.errors import NoSuchVideo, Refusal
from videoforge.lifecycle import SEEN_BY_ANYONE, Visibility
from videoforge.models import Video, utcnow
from videoforge.modules.streaming import tokens
from videoforge.modules.streaming.service import find_video


def unlock(session: Session, config: Mapping[str, Any], video_id: str, password: str,
           address: str | None) -> dict[str, Any]:
    """Check a password video's password from a client at `address`: an unlock token (UnlockedSchema), or a
    refusal (403 wrong, 404 no such video, 409 needs none, 429 too many wrong ones)."""
    video = _password_video(session, video_id)
    # Read together before anything commits: the token binds the epoch of the password that is checked.
    stored, epoch = video.password_hash, video.access_epoch
    attempt = throttle.attempt(session, config, limits(config, video.id, address), utcnow())
    if attempt.wait is not None:
        raise Refusal(429, f"Too many wrong passwords; try again in {attempt.wait} seconds.",
                      headers={"Retry-After": str(attempt.wait)})
    # Imported here: the module hashes a dummy password once at import (its timing guard), which a streaming
    # process pays only when someone unlocks.
    from videoforge.modules.auth.passwords import password_matches

    if not password_matches(stored, password):
        raise Refusal.field(403, "password", "Wrong password.")
    throttle.withdraw(session, attempt, forget=pair_key(video.id, address))
    ttl = int(config["VIDEO_UNLOCK_TTL"])
    return {"unlock_token": tokens.issue(config["SECRET_KEY"], video.id, epoch, ttl, purpose=tokens.UNLOCK),
            "expires_in": ttl}


def _password_video(session: Session, video_id: str) -> Video:
    video = find_video(session, video_id)
    if video is None:
        raise NoSuchVideo()
    if video.visibility != Visibility.PASSWORD:
        if video.visibility in SEEN_BY_ANYONE:
            raise Refusal(409, "This video needs no password: anyone with its link may watch it.")
        raise NoSuchVideo()  # private: the same answer as no video at all
    return video


def pair_key(video_id: str, address: str | None) -> str:
    return f"unlock:{video_id}|address:{throttle.network(address)}"


def limits(config: Mapping[str, Any], video_id: str, address: str | None) -> list[throttle.Limit]:
    """The three counts a wrong password goes into (the module's docstring)."""
    window = int(config["VIDEO_UNLOCK_WINDOW"])
    return [throttle.Limit(pair_key(video_id, address), int(config["VIDEO_UNLOCK_MAX_FAILURES"]), window),
            throttle.Limit(f"unlock-from:{throttle.network(address)}",
                           int(config["VIDEO_UNLOCK_MAX_FAILURES_PER_ADDRESS"]), window),
            throttle.Limit(f"unlock:{video_id}", int(config["VIDEO_UNLOCK_MAX_FAILURES_PER_VIDEO"]), window)]
