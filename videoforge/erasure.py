"""Removing videos with every object they stored: one home for the gallery's delete, its clean-up of unconfirmed
uploads, and the deletion of an account (auth), which must not import the gallery.

Objects go first, then rows: a storage failure leaves the video listed, to be deleted again, never a row-less
object nobody can find. The upload folder is taken from the stored source key rather than spelled again from the
owner, so a video handed to another owner (ACCOUNT_DELETION=handover) still loses its original.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence

from sqlalchemy import select
from sqlalchemy.orm import Session

from videoforge import layout
from videoforge.lifecycle import Status
from videoforge.models import Video
from videoforge.ports.storage import Storage
from videoforge.webhooks import EventType
from videoforge.webhooks.events import record_event

log = logging.getLogger(__name__)


def upload_folder(video: Video) -> str:
    """The folder of the video's original: where its source key says (ends in `/`)."""
    if video.source_key:
        return layout.upload_folder_of(video.source_key)  # the original's and every replacing file's
    return layout.upload_prefix(video.owner_id, video.id)


def remove_objects(storage: Storage, video: Video) -> None:
    """Every object of the video: a pending multipart upload (its own, or a replacing file's), the original,
    everything processed."""
    if video.upload_id:
        storage.abort_multipart(video.source_key, video.upload_id)
    replacement = video.replacement
    if replacement is not None and replacement.upload_id:
        storage.abort_multipart(replacement.source_key, replacement.upload_id)
    storage.delete_prefix(upload_folder(video))
    storage.delete_prefix(layout.processed_prefix(video.id))


def erase_video(session: Session, storage: Storage, video: Video) -> None:
    """The video's objects, then its row (and its assets'); commits."""
    remove_objects(storage, video)
    record_event(session, video, EventType.VIDEO_DELETED)  # in the delete's transaction: announced if it commits
    session.delete(video)
    session.commit()
    log.info("video deleted", extra={"video_id": video.id})


def videos_of(session: Session, owner_id: str) -> Sequence[Video]:
    return session.scalars(select(Video).where(Video.owner_id == owner_id).order_by(Video.created_at)).all()


def erase_videos_of(session: Session, storage: Storage, owner_id: str) -> int:
    """Every video the owner has, one by one (each committed, so a failure half-way loses nothing that stays)."""
    videos = videos_of(session, owner_id)
    for video in videos:
        erase_video(session, storage, video)
    return len(videos)


def hand_over_videos(session: Session, storage: Storage, owner_id: str, heir_id: str) -> tuple[int, int]:
    """Give the owner's confirmed videos to `heir_id` (keys stay where they are); unconfirmed uploads are erased,
    as nobody will finish them. Returns (handed over, erased); the caller commits."""
    handed = erased = 0
    for video in videos_of(session, owner_id):
        if video.status == Status.AWAITING_UPLOAD:
            erase_video(session, storage, video)
            erased += 1
        else:
            video.owner_id = heir_id
            handed += 1
    return handed, erased
