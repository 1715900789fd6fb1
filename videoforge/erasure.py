"""Removing videos with every object they stored: one home for the gallery's delete, its clean-up of unconfirmed
uploads, and the deletion of an account (auth), which must not import the gallery.

Objects go first, then rows: a storage failure leaves the video listed, to be deleted again, never a row-less
object nobody can find. The upload folder is taken from the stored source key rather than spelled again from the
owner, so a video handed to another owner (ACCOUNT_DELETION=handover) still loses its original.

A signed upload URL outlives what it was made for: bytes PUT with it after the erasure would be stored again, in
no quota and under no row. So an erasure made while such a URL may still be valid records, in its own transaction,
a follow-up (PendingErasure) for exactly that upload's folder or file, due once every URL has expired;
the gallery's housekeeping carries it out (`erase_due`: a worker every 15 minutes, or
`videoforge uploads cleanup`). An open multipart upload is aborted at once (its part URLs
then fail with NoSuchUpload); a single PUT cannot be revoked on S3, hence the follow-up.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Mapping, Sequence
from datetime import datetime, timedelta
from typing import Any

from flask import current_app, has_app_context
from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from videoforge import layout
from videoforge.db import Database
from videoforge.lifecycle import Status
from videoforge.models import PendingErasure, Video, utcnow
from videoforge.ports.storage import Storage
from videoforge.webhooks import EventType
from videoforge.webhooks.events import record_event

log = logging.getLogger(__name__)

LATE_PUT_MARGIN = 3600
"""Seconds a follow-up waits past the URL lifetime: clocks of app and store that differ, a PUT accepted just before
its URL expired still sending its body, a URL handed out by a resume racing the erasure."""
LONGEST_PRESIGN = 7 * 24 * 3600
"""The longest an S3 presigned URL can be valid (SigV4): the lifetime assumed where no UPLOAD_URL_EXPIRY is known."""

_IN_ONE_UPLOAD = re.compile(r"uploads/[^/]+/[^/]+/.*").fullmatch


def upload_folder(video: Video) -> str:
    """The folder of the video's original: where its source key says (ends in `/`)."""
    if video.source_key:
        return layout.upload_folder_of(video.source_key)  # the original's and every replacing file's
    return layout.upload_prefix(video.owner_id, video.id)


def in_one_upload(prefix: str) -> bool:
    """Whether `prefix` lies inside one upload's folder (`uploads/{owner}/{video}/...`): the widest a follow-up may
    ever delete."""
    return bool(_IN_ONE_UPLOAD(prefix)) and not {".", ".."} & set(prefix.split("/"))


def url_lifetime(config: Mapping[str, Any] | None = None) -> int:
    """Seconds an upload URL may stay valid after it was handed out: UPLOAD_URL_EXPIRY (the gallery's) from `config`,
    else from the running app's; where neither has it (a process without the gallery), S3's longest, 7 days."""
    if config is None and has_app_context():
        config = current_app.config
    value = (config or {}).get("UPLOAD_URL_EXPIRY")
    return int(value) if value is not None else LONGEST_PRESIGN


def _window(lifetime: int | None) -> timedelta:
    return timedelta(seconds=(url_lifetime() if lifetime is None else lifetime) + LATE_PUT_MARGIN)


def upload_urls_may_be_open(video: Video, lifetime: int | None = None, now: datetime | None = None) -> bool:
    """Whether a URL handed out for the video's own upload may still be valid. URLs are handed out only while it
    awaits its bytes, and a confirm sets queued_at (a retry or replace only moves it later), so one confirmed longer
    ago than the lifetime has none left. A replacing file's URLs are the caller's to consider."""
    if video.status == Status.AWAITING_UPLOAD or video.queued_at is None:
        return True
    return (now or utcnow()) - video.queued_at < _window(lifetime)


def erase_again_later(
    session: Session, prefix: str, lifetime: int | None = None, now: datetime | None = None
) -> PendingErasure:
    """Record, in the caller's transaction, that the objects under `prefix` (one upload's folder, or one file of it)
    are deleted again once every upload URL that could write there has expired."""
    if not in_one_upload(prefix):
        raise ValueError(f"{prefix!r} is not inside one upload's folder")
    now = now or utcnow()
    follow_up = PendingErasure(prefix=prefix, due_at=now + _window(lifetime), created_at=now)
    session.add(follow_up)
    return follow_up


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


def erase_objects(session: Session, storage: Storage, video: Video, lifetime: int | None = None) -> None:
    """The video's objects (remove_objects) and, in the caller's transaction, a follow-up for its upload folder when
    a URL handed out for it (its own upload's, or a replacing file's) may still be valid. The row is the caller's."""
    late = upload_urls_may_be_open(video, lifetime) or video.replacement is not None  # read before the objects go
    remove_objects(storage, video)
    if late:
        erase_again_later(session, upload_folder(video), lifetime)


def erase_video(session: Session, storage: Storage, video: Video, lifetime: int | None = None) -> None:
    """The video's objects, then its row (and its assets'); commits. `lifetime`: url_lifetime() when None.
    Nothing to do when another request erased it first."""
    # The video's row is locked first, as every change of a video takes it first (a replace confirm updates it,
    # then deletes its replacement's row). The ORM deletes the children before the row: without this the two took
    # the same locks in opposite orders, a deadlock on PostgreSQL. FOR NO KEY UPDATE, the lock an UPDATE of the row
    # takes: it waits for every writer of the video, yet lets a job finishing meanwhile insert rows that refer to
    # it (a caption's cues; their foreign key check takes only a key-share lock), which then go with the video.
    # Then the video is read again, as that change left it (its replacement's row gone, say).
    if session.scalar(select(Video.id).where(Video.id == video.id).with_for_update(key_share=True)) is None:
        session.rollback()  # the row is gone
        return
    session.expire(video)
    erase_objects(session, storage, video, lifetime)
    record_event(session, video, EventType.VIDEO_DELETED)  # in the delete's transaction: announced if it commits
    session.delete(video)
    session.commit()
    log.info("video deleted", extra={"video_id": video.id})


def videos_of(session: Session, owner_id: str) -> Sequence[Video]:
    return session.scalars(select(Video).where(Video.owner_id == owner_id).order_by(Video.created_at)).all()


def erase_videos_of(session: Session, storage: Storage, owner_id: str, lifetime: int | None = None) -> int:
    """Every video the owner has, one by one (each committed, so a failure half-way loses nothing that stays)."""
    videos = videos_of(session, owner_id)
    for video in videos:
        erase_video(session, storage, video, lifetime)
    return len(videos)


def hand_over_videos(
    session: Session, storage: Storage, owner_id: str, heir_id: str, lifetime: int | None = None
) -> tuple[int, int]:
    """Give the owner's confirmed videos to `heir_id` (keys stay where they are); unconfirmed uploads are erased,
    as nobody will finish them. Returns (handed over, erased); the caller commits."""
    handed = erased = 0
    for video in videos_of(session, owner_id):
        if video.status == Status.AWAITING_UPLOAD:
            erase_video(session, storage, video, lifetime)
            erased += 1
        else:
            video.owner_id = heir_id
            handed += 1
    return handed, erased


def erase_due(db: Database, storage: Storage, now: datetime | None = None, batch: int = 100) -> tuple[int, int]:
    """Carry out the follow-ups due by `now`: the objects under each prefix, then its row. One whose delete fails
    stays for the next run (deleting twice is harmless). Returns (carried out, failed)."""
    now = now or utcnow()
    done = failed = 0
    after = 0  # by id, so follow-ups that keep failing never hide the ones behind them
    while True:
        with db.session() as session:
            rows = session.execute(
                select(PendingErasure.id, PendingErasure.prefix)
                .where(PendingErasure.due_at <= now, PendingErasure.id > after)
                .order_by(PendingErasure.id)
                .limit(batch)
            ).all()
        erased = [row.id for row in rows if _erase_prefix(storage, row.prefix)]
        if erased:
            with db.session() as session:  # a statement, not ORM deletes: two runs at once both succeed
                session.execute(delete(PendingErasure).where(PendingErasure.id.in_(erased)))
        done, failed = done + len(erased), failed + len(rows) - len(erased)
        if len(rows) < batch:
            return done, failed
        after = rows[-1].id


def _erase_prefix(storage: Storage, prefix: str) -> bool:
    """Delete what is under one follow-up's prefix; False (logged) when the store refused or the prefix is not one
    upload's (never written so, but never deleted wider either)."""
    if not in_one_upload(prefix):
        log.error("follow-up erasure of %r skipped: not inside one upload's folder", prefix)
        return False
    try:
        found = storage.delete_prefix(prefix)
    except Exception as exc:  # noqa: BLE001 - any store error: the row stays for the next run
        log.warning("follow-up erasure of %s failed, kept for the next run: %s: %s", prefix, type(exc).__name__, exc)
        return False
    if found:
        log.warning("follow-up erasure removed %d object(s) sent after their upload was erased under %s", found, prefix)
    return True
