"""Gallery work as plain functions: upload plans, confirm with the outbox, access, edits, deletion, housekeeping."""

from __future__ import annotations

import logging
import math
import os
from datetime import timedelta
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session, selectinload

from videoforge import outbox
from videoforge.models import User, Video, utcnow
from videoforge.modules.gallery.rules import (GalleryError, check_quota, check_size, clean_content_type,
                                              clean_description, clean_filename, clean_title, clean_visibility,
                                              field_error, not_found)
from videoforge.ports.storage import InvalidParts, NoSuchUpload, Storage

log = logging.getLogger(__name__)

MiB = 1024 * 1024
MIN_PART_SIZE = 8 * MiB
MAX_PARTS = 10_000
DONE_CONFIRMING = ("queued", "processing", "ready")


# --- storage layout ----------------------------------------------------------------------------

def source_key(user_id: str, video_id: str) -> str:
    """Where an upload's bytes go; user filenames never become part of a key."""
    return f"uploads/{user_id}/{video_id}/source"


def upload_prefix(video: Video) -> str:
    return f"uploads/{video.owner_id}/{video.id}/"


def processed_prefix(video_id: str) -> str:
    return f"processed/{video_id}/"


# --- uploads -----------------------------------------------------------------------------------

def part_size_for(config: dict[str, Any], size: int) -> int:
    """At least 8 MiB, the configured size, and large enough to stay within S3's 10,000 parts."""
    wanted = max(MIN_PART_SIZE, int(config["MULTIPART_PART_SIZE"]), math.ceil(size / MAX_PARTS))
    return math.ceil(wanted / MiB) * MiB


def part_count(video: Video) -> int:
    return math.ceil(video.source_size / video.part_size)


def part_bytes(video: Video, number: int) -> int:
    """The exact size of part `number`: the part size, the last one what remains."""
    last = part_count(video)
    return video.part_size if number < last else video.source_size - video.part_size * (last - 1)


def create_upload(session: Session, storage: Storage, config: dict[str, Any], user: User,
                  data: dict[str, Any]) -> tuple[Video, dict[str, Any]]:
    """A new video awaiting its bytes, and how to send them (one PUT or a multipart plan)."""
    filename = clean_filename(config, data.get("filename", ""))
    video = Video(
        owner_id=user.id,
        title=clean_title(config, os.path.splitext(filename)[0] if data.get("title") is None else data["title"]),
        description=clean_description(config, data.get("description")),
        visibility=clean_visibility(data.get("visibility")),
        filename=filename,
        content_type=clean_content_type(config, data.get("content_type", "")),
        source_size=check_size(config, int(data.get("size") or 0)),
        status="awaiting_upload",
    )
    check_quota(session, config, user, video.source_size)
    session.add(video)
    session.flush()  # the id is part of the key
    video.source_key = source_key(user.id, video.id)
    if video.source_size >= int(config["MULTIPART_THRESHOLD"]):
        video.part_size = part_size_for(config, video.source_size)
        video.upload_id = storage.create_multipart(video.source_key, video.content_type)
    session.commit()
    log.info("upload created", extra={"video_id": video.id})
    return video, upload_plan(storage, config, video)


def upload_plan(storage: Storage, config: dict[str, Any], video: Video) -> dict[str, Any]:
    """Freshly signed instructions for sending the video's bytes."""
    expires = int(config["UPLOAD_URL_EXPIRY"])
    if video.upload_id:
        # Each URL takes exactly its part's bytes: no part can hold more than planned (and counted in the quota).
        parts = [{"number": n, "url": storage.presign_part(video.source_key, video.upload_id, n, part_bytes(video, n),
                                                           expires)}
                 for n in range(1, part_count(video) + 1)]
        return {"multipart": {"upload_id": video.upload_id, "part_size": video.part_size, "parts": parts},
                "expires_in": expires}
    put = storage.presign_put(video.source_key, video.source_size, video.content_type, expires)
    return {"method": put.method, "url": put.url, "headers": put.headers, "expires_in": expires}


def upload_state(storage: Storage, config: dict[str, Any], video: Video) -> dict[str, Any]:
    """What has arrived so far, and fresh instructions for the rest (resume after a dropped connection)."""
    if video.status != "awaiting_upload":
        return {"upload": None, "parts": [], "missing_parts": [], "received_bytes": video.source_size}
    if video.upload_id:
        try:
            received = storage.list_parts(video.source_key, video.upload_id)
        except NoSuchUpload:
            received = []  # completed by a confirm whose commit did not happen; confirming again finishes it
        numbers = {p.number for p in received}
        return {
            "upload": upload_plan(storage, config, video),
            "parts": [{"number": p.number, "etag": p.etag, "size": p.size} for p in received],
            "missing_parts": [n for n in range(1, part_count(video) + 1) if n not in numbers],
            "received_bytes": sum(p.size for p in received),
        }
    size = storage.size_of(video.source_key)
    return {"upload": upload_plan(storage, config, video), "parts": [], "missing_parts": [],
            "received_bytes": size or 0}


def _complete_multipart(storage: Storage, video: Video, sent: list[dict[str, Any]] | None) -> None:
    """Check every part is there with the right size (and the client's ETags), then complete."""
    try:
        listed = {p.number: p for p in storage.list_parts(video.source_key, video.upload_id)}
    except NoSuchUpload:
        return  # an earlier confirm completed it; the size check that follows decides
    expected = part_count(video)
    missing = [n for n in range(1, expected + 1) if n not in listed]
    if missing:
        shown = ", ".join(map(str, missing[:20])) + (" ..." if len(missing) > 20 else "")
        raise field_error(409, "parts", f"Parts not uploaded yet: {shown}. Send them, then confirm again.")
    for number, part in listed.items():
        if number > expected:
            raise field_error(409, "parts", f"Part {number} is beyond the {expected} parts of this upload.")
        want = part_bytes(video, number)
        if part.size != want:
            raise field_error(409, "parts", f"Part {number} holds {part.size} bytes, not {want}; upload it again.")
    if sent:
        numbers = [p["number"] for p in sent]
        if sorted(numbers) != list(range(1, expected + 1)):
            raise field_error(422, "parts", f"List each of the parts 1 to {expected} once.")
        for item in sent:
            held = listed[item["number"]].etag.strip('"')
            if item["etag"].strip().strip('"') != held:
                raise field_error(409, "parts", f"Part {item['number']}: storage holds ETag \"{held}\", not "
                                                f"{item['etag']}; upload that part again.")
    try:
        storage.complete_multipart(video.source_key, video.upload_id,
                                   [(n, listed[n].etag) for n in range(1, expected + 1)])
    except InvalidParts as exc:
        raise field_error(409, "parts", f"Storage refused the parts: {exc}.") from None
    except NoSuchUpload:
        pass  # a concurrent confirm completed it


def confirm_upload(session: Session, db: Any, storage: Storage, queue: Any, video: Video,
                   parts: list[dict[str, Any]] | None, request_id: str | None) -> Video:
    """Check the bytes, then in one transaction mark the video queued and write its job. Twice queues once."""
    if video.status in DONE_CONFIRMING:
        return video
    if video.status == "failed":
        raise GalleryError(409, "This video failed; retry it instead of confirming it again.")
    if video.upload_id:
        _complete_multipart(storage, video, parts)
    size = storage.size_of(video.source_key)
    if size is None:
        raise field_error(409, "upload", "No bytes have arrived for this upload yet; send them, then confirm.")
    if size != video.source_size:
        if video.upload_id:
            # The parts were checked, so this is rare; a fresh multipart upload keeps the video resumable.
            storage.delete_prefix(upload_prefix(video))
            video.upload_id = storage.create_multipart(video.source_key, video.content_type)
            session.commit()
        raise field_error(409, "size", f"Storage holds {size} bytes, but the upload declared {video.source_size}; "
                                       "send the file again.")
    # From here the local store refuses new bytes for the key. An S3 presigned PUT cannot be revoked, so the
    # ETag is recorded and the worker transcodes exactly these bytes or none.
    held = storage.seal(video.source_key)
    if held is None or held.size != video.source_size:
        raise field_error(409, "upload", "The stored file changed while the upload was being confirmed; "
                                         "confirm again.")
    now = utcnow()
    won = session.execute(
        update(Video).where(Video.id == video.id, Video.status == "awaiting_upload").values(
            status="queued", upload_id=None, queued_at=now, updated_at=now, progress=0.0, stage=None,
            error=None, request_id=request_id, source_etag=held.etag)
    ).rowcount
    message = outbox.write(session, queue, outbox.transcode_message(video.id, request_id)) if won else None
    session.commit()
    session.refresh(video)
    if message is not None:
        log.info("upload confirmed and queued", extra={"video_id": video.id})
        relay_after_commit(db, queue, message.id)
    return video


def retry_failed(session: Session, db: Any, queue: Any, video: Video, request_id: str | None) -> Video:
    """Queue a failed video again with a new job; its error and progress start over."""
    now = utcnow()
    won = session.execute(
        update(Video).where(Video.id == video.id, Video.status == "failed").values(
            status="queued", error=None, progress=0.0, stage=None, queued_at=now, updated_at=now,
            started_at=None, finished_at=None, request_id=request_id)
    ).rowcount
    if not won:
        session.rollback()
        raise field_error(409, "status", f"Only failed videos can be retried; this one is {video.status}.")
    message = outbox.write(session, queue, outbox.transcode_message(video.id, request_id))
    session.commit()
    session.refresh(video)
    relay_after_commit(db, queue, message.id)
    return video


def relay_after_commit(db: Any, queue: Any, message_id: int) -> None:
    """With SQS, send the row just committed; a failure leaves it to the relay loop (one try per request,
    so an SQS outage slows a confirm by one failed send, not by the whole backlog)."""
    if queue.transactional:
        return
    try:
        outbox.relay_pending(db, queue, ids=[message_id])
    except Exception:  # noqa: BLE001 - the row is committed; the relay loop delivers it later
        log.exception("outbox relay after commit failed; the relay loop will retry")


# --- the library -------------------------------------------------------------------------------

def can_change(video: Video, user: User | None) -> bool:
    return user is not None and (video.owner_id == user.id or user.is_admin)


def video_for_viewer(session: Session, video_id: str, user: User | None) -> Video:
    """The video if this viewer may see it; otherwise 404 (a private video's existence never leaks)."""
    video = session.get(Video, video_id, options=[selectinload(Video.assets)])
    if video is None or not video.visible_to(user):
        raise not_found()
    return video


def video_for_change(session: Session, video_id: str, user: User, owner_only: bool = False) -> Video:
    """The video if this user may change it: 404 when they cannot even see it, 403 when they only see it."""
    video = video_for_viewer(session, video_id, user)
    allowed = video.owner_id == user.id if owner_only else can_change(video, user)
    if not allowed:
        raise GalleryError(403, "Only the owner can change this video.")
    return video


def my_videos(session: Session, user: User, status: str | None, page: int, page_size: int) -> tuple[list[Video], int]:
    query = select(Video).where(Video.owner_id == user.id)
    if status:
        query = query.where(Video.status == status)
    return _page(session, query, page, page_size)


def public_videos(session: Session, page: int, page_size: int) -> tuple[list[Video], int]:
    return _page(session, select(Video).where(Video.visibility == "public", Video.status == "ready"), page, page_size)


def _page(session: Session, query, page: int, page_size: int) -> tuple[list[Video], int]:
    total = int(session.scalar(select(func.count()).select_from(query.subquery())) or 0)
    offset = (page - 1) * page_size
    if offset >= total:  # past the end; also keeps a huge ?page= from overflowing the database's OFFSET
        return [], total
    rows = session.scalars(query.options(selectinload(Video.assets))
                           .order_by(Video.created_at.desc(), Video.id.desc())
                           .offset(offset).limit(page_size)).all()
    return list(rows), total


def update_video(session: Session, config: dict[str, Any], video: Video, changes: dict[str, Any]) -> Video:
    if "title" in changes:
        video.title = clean_title(config, changes["title"])
    if "description" in changes:
        video.description = clean_description(config, changes["description"])
    if "visibility" in changes:
        video.change_visibility(clean_visibility(changes["visibility"]))  # revokes playback links handed out
    session.commit()
    return video


def delete_video(session: Session, storage: Storage, video: Video) -> None:
    """Objects first (pending multipart aborted), then rows: a failure leaves the video there to delete again."""
    remove_objects(storage, video)
    session.delete(video)
    session.commit()
    log.info("video deleted", extra={"video_id": video.id})


def remove_objects(storage: Storage, video: Video) -> None:
    if video.upload_id:
        storage.abort_multipart(video.source_key, video.upload_id)
    storage.delete_prefix(upload_prefix(video))
    storage.delete_prefix(processed_prefix(video.id))


def cleanup_stale_uploads(db: Any, storage: Storage, ttl_seconds: int, batch: int = 100) -> int:
    """Remove videos left in awaiting_upload longer than the TTL, with their objects and multipart uploads."""
    cutoff = utcnow() - timedelta(seconds=ttl_seconds)
    removed = 0
    while True:
        with db.session() as session:
            stale = session.scalars(select(Video).where(Video.status == "awaiting_upload", Video.created_at < cutoff)
                                    .order_by(Video.created_at).limit(batch)).all()
            for video in stale:
                remove_objects(storage, video)
                session.delete(video)
        removed += len(stale)
        if len(stale) < batch:
            return removed
