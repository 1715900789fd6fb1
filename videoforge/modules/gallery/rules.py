"""Gallery input rules: what a title, filename, type and size may be, and the per-user quota."""

from __future__ import annotations

import os
import unicodedata
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from videoforge.errors import Refusal
from videoforge.lifecycle import Visibility
from videoforge.models import SourceReplacement, User, Video

TITLE_COLUMN_LENGTH = 200  # videos.title; a larger TITLE_MAX_LENGTH is capped to it


def _has_control(text: str, allowed: str = "") -> bool:
    # Cc are control characters; Cf includes bidi overrides that make "evil\u202egpj.mp4" look like a .jpg.
    return any(unicodedata.category(c) in ("Cc", "Cf") and c not in allowed for c in text)


def clean_title(config: dict[str, Any], title: str) -> str:
    title = (title or "").strip()
    limit = min(int(config["TITLE_MAX_LENGTH"]), TITLE_COLUMN_LENGTH)
    if not title:
        raise Refusal.field(422, "title", "A title is required.")
    if len(title) > limit:
        raise Refusal.field(422, "title", f"A title has at most {limit} characters (this one has {len(title)}).")
    if _has_control(title):
        raise Refusal.field(422, "title", "A title cannot hold control characters.")
    return title


def clean_description(config: dict[str, Any], description: str | None) -> str:
    description = (description or "").strip()
    limit = int(config["DESCRIPTION_MAX_LENGTH"])
    if len(description) > limit:
        raise Refusal.field(422, "description", f"A description has at most {limit} characters.")
    if _has_control(description, allowed="\n\t"):
        raise Refusal.field(422, "description", "A description cannot hold control characters.")
    return description


def clean_visibility(visibility: str | None) -> Visibility:
    try:
        return Visibility(visibility or Visibility.PRIVATE)
    except ValueError:
        raise Refusal.field(422, "visibility", f"Visibility is one of {', '.join(Visibility)}.") from None


def clean_filename(config: dict[str, Any], filename: str) -> str:
    """The file's name, kept for display only; refused if it could be read as a path or hides characters."""
    if not filename or len(filename) > 255:
        raise Refusal.field(422, "filename", "A filename has 1 to 255 characters.")
    if "/" in filename or "\\" in filename or filename in (".", "..") or filename.startswith(".."):
        raise Refusal.field(422, "filename", "A filename cannot contain a path (no '/', '\\' or '..').")
    if _has_control(filename):
        raise Refusal.field(422, "filename", "A filename cannot hold control or invisible formatting characters.")
    extension = os.path.splitext(filename)[1].lower().lstrip(".")
    allowed = [e.lower() for e in config["ALLOWED_EXTENSIONS"]]
    if extension not in allowed:
        raise Refusal.field(422, "filename", f"Files ending in .{extension or '(nothing)'} are not accepted; "
                                             f"use one of: {', '.join(allowed)}.")
    return filename


def clean_content_type(config: dict[str, Any], content_type: str) -> str:
    media_type = (content_type or "").split(";")[0].strip().lower()
    allowed = [t.lower() for t in config["ALLOWED_CONTENT_TYPES"]]
    if media_type not in allowed:
        kind = "is not a video type" if not media_type.startswith("video/") else "is not accepted"
        raise Refusal.field(422, "content_type", f"{media_type or 'An empty type'} {kind}; "
                                                 f"accepted: {', '.join(allowed)}.")
    return media_type


def check_size(config: dict[str, Any], size: int) -> int:
    limit = int(config["UPLOAD_MAX_SIZE"])
    if size <= 0:
        raise Refusal.field(422, "size", "The size must be at least 1 byte.")
    if size > limit:
        raise Refusal.field(422, "size", f"The largest upload is {limit} bytes; this one is {size}.")
    return size


def upload_rules(config: dict[str, Any]) -> dict[str, Any]:
    """The limits above as the web client checks them before a form appears (UploadRulesSchema)."""
    return {
        "allowed_extensions": [e.lower() for e in config["ALLOWED_EXTENSIONS"]],
        "allowed_content_types": [t.lower() for t in config["ALLOWED_CONTENT_TYPES"]],
        "title_max_length": min(int(config["TITLE_MAX_LENGTH"]), TITLE_COLUMN_LENGTH),
        "description_max_length": int(config["DESCRIPTION_MAX_LENGTH"]),
        "upload_max_size": int(config["UPLOAD_MAX_SIZE"]),
    }


def check_quota(session: Session, config: dict[str, Any], user: User, size: int,
                replacing: Video | None = None) -> None:
    """Refuse an upload (with `replacing`, a new file for that video) past the user's quota; the user stays locked
    until the caller commits the new video (or replacement).

    So parallel uploads by one user are checked one after another, each counting the videos committed before it.
    A file being uploaded to replace another counts until it is confirmed or cleaned up; the file it replaces
    (deleted on confirm) and an earlier replacement of the same video (discarded) do not count against it.
    """
    _lock_owner(session, user)
    videos = (select(func.count(Video.id), func.coalesce(func.sum(Video.source_size), 0))
              .where(Video.owner_id == user.id))
    pending = (select(func.coalesce(func.sum(SourceReplacement.source_size), 0))
               .join(Video, Video.id == SourceReplacement.video_id).where(Video.owner_id == user.id))
    if replacing is not None:
        videos = videos.where(Video.id != replacing.id)
        pending = pending.where(SourceReplacement.video_id != replacing.id)
    count, stored = session.execute(videos).one()
    used = int(stored) + int(session.scalar(pending) or 0)
    if replacing is None and count >= int(config["QUOTA_VIDEOS"]):
        raise Refusal.field(403, "quota", f"You have {count} videos, the most allowed; delete one to upload another.")
    if int(used) + size > int(config["QUOTA_BYTES"]):
        raise Refusal.field(403, "size", f"This upload would take you to {int(used) + size} bytes, over your quota "
                                         f"of {config['QUOTA_BYTES']} ({used} used).")


def _lock_owner(session: Session, user: User) -> None:
    if session.get_bind().dialect.name == "postgresql":
        # The row lock serialises this user's uploads only; others' go on in parallel.
        session.execute(select(User.id).where(User.id == user.id).with_for_update())
    else:
        # SQLite has one writer per file: writing first takes its lock (waiting out the busy timeout) before the
        # count reads. Reading first and writing later would fail at once with SQLITE_BUSY if another upload
        # committed in between.
        session.execute(update(User).where(User.id == user.id).values(sub=User.sub)
                        .execution_options(synchronize_session=False))
