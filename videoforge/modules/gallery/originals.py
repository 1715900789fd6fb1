"""A video's original file, for its owner: download it, and replace it keeping the video's id, links, title and
captions.

Download: the owner or an admin gets a short-lived signed URL (DOWNLOAD_URL_EXPIRY) to the original that makes the
store answer `Content-Disposition: attachment` with a safe name made from the title and the file's extension
(videoforge/disposition.py). Anyone else: 404 when they cannot see the video, 403 when they can.

Replace: an upload like a new video's (one PUT or multipart, the same checks of name, type, size and quota), kept
apart from the video in a SourceReplacement row until it is confirmed, so the video plays on meanwhile:
- start: only a ready or failed video (409 while awaiting upload, queued or processing: a job is on its file);
  the new file gets a new key (layout.replacement_key); starting again discards the pending one;
- confirm: the bytes are checked as an upload's (multipart completed, size, sealed ETag), then one transaction runs
  Video.replace_source (ready/failed → queued with the new key, size, ETag, name and type; guarded, so a video that
  changed meanwhile is refused) and writes the transcode job (the outbox). Then the old original is deleted;
- the video stays on its published ladder: streaming serves it while the video is queued or processing, until the
  processor publishes the new file's ladder (the processor's part).
Pending replacements older than UPLOAD_TTL are removed by `videoforge uploads cleanup`. A replacing file discarded
(cancelled, started again, stale), or an original replaced while its upload URLs may still be valid, is erased again
once they have expired (erasure.erase_again_later), so bytes a URL sends afterwards do not stay.
"""

from __future__ import annotations

import logging
import os
from datetime import timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from videoforge import erasure, layout, outbox
from videoforge.db import Database
from videoforge.disposition import safe_filename
from videoforge.errors import NoSuchVideo, Refusal
from videoforge.lifecycle import REPLACEABLE, WORKABLE, Status
from videoforge.models import SourceReplacement, User, Video, utcnow
from videoforge.modules.gallery.rules import check_quota, check_size, clean_content_type, clean_filename
from videoforge.modules.gallery.service import (
    VideoView,
    can_change,
    complete_multipart,
    part_size_for,
    present,
    received_so_far,
    remove_in_batches,
    upload_plan,
    video_for_change,
    video_for_viewer,
)
from videoforge.ports.delivery import Delivery
from videoforge.ports.queue import Queue
from videoforge.ports.storage import Storage

log = logging.getLogger(__name__)


# --- download ----------------------------------------------------------------------------------

def download_name(video: Video) -> str:
    """The name a download is saved under: the title with the uploaded file's extension (made safe)."""
    return safe_filename(video.title + os.path.splitext(video.filename or "")[1])


def download(session: Session, storage: Storage, config: dict[str, Any], user: User, video_id: str) -> dict[str, Any]:
    """A short-lived link to the original, saved under a safe name (DownloadSchema); owner and admins only."""
    video = video_for_viewer(session, video_id, user)
    if not can_change(video, user):
        raise Refusal(403, "Only the video's owner (or an admin) may download its original.")
    if video.status == Status.AWAITING_UPLOAD or not video.source_key:
        raise Refusal.field(409, "status", "This video's file has not been uploaded yet.")
    expires = int(config["DOWNLOAD_URL_EXPIRY"])
    name = download_name(video)
    return {"url": storage.presign_get(video.source_key, expires, download_as=name), "filename": name,
            "size": video.source_size, "expires_in": expires}


# --- replace -----------------------------------------------------------------------------------

def _check_replaceable(video: Video) -> None:
    if video.status not in REPLACEABLE:
        doing = ("has not been uploaded yet" if video.status == Status.AWAITING_UPLOAD
                 else f"is {video.status}: wait until it is ready (or failed)")
        raise Refusal.field(409, "status", f"A video's file can be replaced once it is ready or failed; this one "
                                           f"{doing}.")


def _discard(session: Session, storage: Storage, replacement: SourceReplacement, lifetime: int | None) -> None:
    """The replacement's bytes and open multipart upload, not its row; and, in the session's transaction, a
    follow-up for its key, as its single-PUT URL may still be valid (erasure.py)."""
    if replacement.upload_id:
        storage.abort_multipart(replacement.source_key, replacement.upload_id)
    storage.delete_prefix(replacement.source_key)  # that key alone (layout.replacement_key)
    erasure.erase_again_later(session, replacement.source_key, lifetime)


def start_replacement(session: Session, storage: Storage, delivery: Delivery, config: dict[str, Any], user: User,
                      video_id: str, data: dict[str, Any]) -> dict[str, Any]:
    """The owner starts replacing a ready or failed video's file: how to send the new one (UploadCreatedSchema)."""
    video = video_for_change(session, video_id, user, owner_only=True)
    _check_replaceable(video)
    filename = clean_filename(config, data.get("filename", ""))
    content_type = clean_content_type(config, data.get("content_type", ""))
    size = check_size(config, int(data.get("size") or 0))
    check_quota(session, config, user, size, replacing=video)
    if video.replacement is not None:  # started again (another file, or after a reload): the old try goes
        _discard(session, storage, video.replacement, erasure.url_lifetime(config))
        video.replacement = None
        session.flush()  # its row goes before the new one takes the video's place
    replacement = SourceReplacement(video_id=video.id, source_key=layout.replacement_key(video.source_key),
                                    source_size=size, filename=filename, content_type=content_type)
    if size >= int(config["MULTIPART_THRESHOLD"]):
        replacement.part_size = part_size_for(config, size)
        replacement.upload_id = storage.create_multipart(replacement.source_key, content_type)
    video.replacement = replacement
    try:
        session.commit()
    except IntegrityError:  # two starts at once for one video: the other one won
        session.rollback()
        raise Refusal(409, "Another replace of this video started at the same moment; reload and try again.") from None
    log.info("replace started", extra={"video_id": video.id})
    return {"video": present(session, delivery, config, [video], user)[0],
            "upload": upload_plan(storage, config, replacement)}


def replacement_state(session: Session, storage: Storage, delivery: Delivery, config: dict[str, Any], user: User,
                      video_id: str) -> dict[str, Any]:
    """The owner's replacing upload as it stands (ReplaceStateSchema): the file it declared, parts received, fresh
    URLs for the rest; `upload` (and the file) null when none is open (never started, confirmed, given up or
    expired)."""
    video = video_for_change(session, video_id, user, owner_only=True)
    view = present(session, delivery, config, [video], user)[0]
    replacement = video.replacement
    if replacement is None:
        return {"video": view, "upload": None, "parts": [], "missing_parts": [], "received_bytes": 0,
                "filename": None, "size": None}
    return {"video": view, "filename": replacement.filename, "size": replacement.source_size,
            **received_so_far(storage, config, replacement)}


def confirm_replacement(session: Session, db: Database, storage: Storage, delivery: Delivery, queue: Queue,
                        config: dict[str, Any], user: User, video_id: str, parts: list[dict[str, Any]] | None,
                        request_id: str | None) -> VideoView:
    """The owner confirms the new file arrived: it becomes the video's original, and its transcode is queued."""
    video = video_for_change(session, video_id, user, owner_only=True)
    replacement = video.replacement
    if replacement is None:
        if video.status in WORKABLE:  # confirmed already: twice queues once
            return present(session, delivery, config, [video], user)[0]
        raise Refusal(409, "No new file is being uploaded for this video; start a replace first.")
    _check_replaceable(video)
    _check_bytes(session, storage, replacement, parts)
    held = storage.seal(replacement.source_key)  # as confirm_upload: the worker transcodes these bytes or none
    if held is None or held.size != replacement.source_size:
        raise Refusal.field(409, "upload", "The stored file changed while the replace was being confirmed; "
                                           "confirm again.")
    old_key = video.source_key
    lifetime = erasure.url_lifetime(config)
    if old_key and erasure.upload_urls_may_be_open(video, lifetime):  # a URL may write the old original again
        erasure.erase_again_later(session, old_key, lifetime)  # once deleted below: committed with the swap
    message = outbox.queue_transcode(
        session, queue, Video.replace_source(video.id, replacement, source_etag=held.etag, request_id=request_id),
        video.id, request_id)
    if message is None:  # a retry, or another confirm, moved the video on since it was read
        session.rollback()
        raise Refusal.field(409, "status", "This video changed while its replace was being confirmed; reload it.")
    video.replacement = None  # its key is the video's own now
    session.commit()
    if session.get(Video, video.id, populate_existing=True) is None:
        # Deleted by a request that committed right after this one (its erasure took the new file too; the job
        # queued above finds no video and is dropped): the same 404 as a confirm that came after the delete.
        raise NoSuchVideo()
    log.info("replace confirmed and queued", extra={"video_id": video.id})
    outbox.relay_after_commit(db, queue, message.id)
    _delete_old_original(storage, video, old_key)
    return present(session, delivery, config, [video], user)[0]


def _check_bytes(session: Session, storage: Storage, replacement: SourceReplacement,
                 parts: list[dict[str, Any]] | None) -> None:
    """Every byte of the new file is stored, at its declared size (as confirm_upload checks a new video's)."""
    if replacement.upload_id:
        complete_multipart(storage, replacement, replacement.upload_id, parts)
    size = storage.size_of(replacement.source_key)
    if size is None:
        raise Refusal.field(409, "upload", "No bytes have arrived for the new file yet; send them, then confirm.")
    if size != replacement.source_size:
        if replacement.upload_id:  # a fresh multipart upload keeps the replace resumable
            storage.delete_prefix(replacement.source_key)
            replacement.upload_id = storage.create_multipart(replacement.source_key, replacement.content_type)
            session.commit()
        raise Refusal.field(409, "size", f"Storage holds {size} bytes, but the replace declared "
                                         f"{replacement.source_size}; send the file again.")


def _delete_old_original(storage: Storage, video: Video, old_key: str) -> None:
    """The original the confirmed file replaced; kept (with a log line) when the store refuses, as the video's
    deletion still takes it with the whole upload folder."""
    if not old_key or old_key == video.source_key:
        return
    try:
        storage.delete_prefix(old_key)  # that key alone: no other source key starts with it (layout)
    except Exception as exc:  # noqa: BLE001 - the replace is done; an orphan original costs space, not correctness
        log.warning("replaced original not deleted: %s: %s", type(exc).__name__, exc, extra={"video_id": video.id})


def cancel_replacement(session: Session, storage: Storage, user: User, video_id: str) -> None:
    """The owner gives up replacing: the new file's bytes and upload go; nothing happens when none is open."""
    video = video_for_change(session, video_id, user, owner_only=True)
    if video.replacement is not None:
        _discard(session, storage, video.replacement, None)  # None: the app's URL lifetime
        video.replacement = None
        session.commit()


def cleanup_stale_replacements(db: Database, storage: Storage, ttl_seconds: int, batch: int = 100,
                               url_lifetime: int | None = None) -> int:
    """Remove replacing uploads started longer ago than the TTL and never confirmed, with their bytes (erased again
    once their URLs, which a resume hands out afresh, have expired)."""
    cutoff = utcnow() - timedelta(seconds=ttl_seconds)
    return remove_in_batches(db, select(SourceReplacement).where(SourceReplacement.created_at < cutoff)
                             .order_by(SourceReplacement.created_at),
                             lambda session, replacement: _discard(session, storage, replacement, url_lifetime),
                             batch)
