"""Password-protected videos, the gallery's side: the owner sets, changes or removes a video's password with its
visibility; viewers unlock it through streaming (modules/streaming/unlock.py).

Why a visibility (`password`) and not a password on top of public or unlisted: one column already says who may
watch, every module asks `Video.visible_to`, and a password video then stays out of everything public or unlisted
videos get — the public gallery and its search, link previews, embeds — unless a rule names it. A password beside
`public` would have to be remembered by each of them, and `private` with a password would mean nothing.

The rules (one request may change both, checked before anything changes):
- visibility `password` needs a password: given in the same request, or already set;
- a password is only taken with visibility `password` (set now or already); `null` with it is refused;
- leaving `password` for another visibility removes the password (Video.change_visibility);
- a new password (even the same one again) revokes every unlock and playback link given before (Video.set_password).
The password is hashed with the accounts' KDF (auth/passwords.py) and is never in any response.
"""

from __future__ import annotations

from typing import Any

from videoforge.errors import Refusal
from videoforge.lifecycle import Visibility
from videoforge.models import Video
from videoforge.modules.gallery.rules import clean_visibility


def hash_video_password(config: dict[str, Any], password: object) -> str:
    """The password's hash after checking its length (the longest as for accounts: the KDF's cost is not the
    caller's to choose); 422 naming the `password` field otherwise."""
    # Imported here: the module hashes a dummy password at import (its timing guard), paid only when one is set.
    from videoforge.modules.auth.passwords import MAX_LENGTH, hash_password

    shortest = int(config["VIDEO_PASSWORD_MIN_LENGTH"])
    if not isinstance(password, str) or not shortest <= len(password) <= MAX_LENGTH:
        raise Refusal.field(422, "password", f"A video's password has {shortest} to {MAX_LENGTH} characters.")
    return hash_password(password)


def access_for_upload(config: dict[str, Any], data: dict[str, Any]) -> tuple[Visibility, str | None]:
    """A new video's visibility and password hash from its upload request (the rules above)."""
    visibility = clean_visibility(data.get("visibility"))
    password = data.get("password")
    if visibility != Visibility.PASSWORD:
        if password is not None:
            raise Refusal.field(422, "password", "A password is only for visibility password.")
        return visibility, None
    if password is None:
        raise Refusal.field(422, "password", "A password-protected video needs a password.")
    return visibility, hash_video_password(config, password)


def change_access(config: dict[str, Any], video: Video, changes: dict[str, Any]) -> None:
    """Apply an edit's `visibility` and `password` (either may be absent) to the video (the rules above)."""
    visibility = clean_visibility(changes["visibility"]) if "visibility" in changes else Visibility(video.visibility)
    password_hash = None
    if "password" in changes:
        if visibility != Visibility.PASSWORD:
            raise Refusal.field(422, "password", "A password is only for visibility password; to remove it, choose "
                                                 "another visibility.")
        if changes["password"] is None:
            raise Refusal.field(422, "password", "A password-protected video needs a password; to remove it, "
                                                 "choose another visibility.")
        password_hash = hash_video_password(config, changes["password"])
    elif visibility == Visibility.PASSWORD and not video.password_hash:
        raise Refusal.field(422, "password", "A password-protected video needs a password.")
    video.change_visibility(visibility)  # revokes links on a change; clears the password when it leaves
    if password_hash is not None:
        video.set_password(password_hash)
