"""Gallery work as plain functions: upload plans, confirm with the outbox, access, edits, deletion, housekeeping."""

from __future__ import annotations

import logging
import math
import os
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import timedelta
from typing import Any, Protocol

from sqlalchemy import Select, func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, selectinload

from videoforge import captions, layout, outbox, waiting
from videoforge.db import Database
from videoforge.embedding import clean_embed_origins
from videoforge.erasure import erase_objects, erase_video
from videoforge.errors import NoSuchVideo, Refusal
from videoforge.languages import canonical_tag
from videoforge.lifecycle import CONFIRMED, CaptionStatus, Status, Visibility
from videoforge.models import Caption, TranscodePart, User, Video, utcnow
from videoforge.modules.gallery import protection, search
from videoforge.modules.gallery.rules import (
    check_quota,
    check_size,
    clean_content_type,
    clean_description,
    clean_filename,
    clean_title,
)
from videoforge.ports.delivery import Delivery
from videoforge.ports.queue import Queue
from videoforge.ports.storage import InvalidParts, NoSuchUpload, Storage, UploadedPart

log = logging.getLogger(__name__)

MiB = 1024 * 1024
MIN_PART_SIZE = 8 * MiB
MAX_PARTS = 10_000


# --- uploads -----------------------------------------------------------------------------------

def part_size_for(config: dict[str, Any], size: int) -> int:
    """At least 8 MiB, the configured size, and large enough to stay within S3's 10,000 parts."""
    wanted = max(MIN_PART_SIZE, int(config["MULTIPART_PART_SIZE"]), math.ceil(size / MAX_PARTS))
    return math.ceil(wanted / MiB) * MiB


class Upload(Protocol):
    """What an upload plan and its confirm read: a new video's own upload (Video), or a file on its way to replace
    a video's original (SourceReplacement, gallery/originals.py)."""

    @property
    def source_key(self) -> str: ...
    @property
    def source_size(self) -> int: ...
    @property
    def content_type(self) -> str: ...
    @property
    def upload_id(self) -> str | None: ...
    @property
    def part_size(self) -> int | None: ...


def part_count(video: Upload) -> int:
    return math.ceil(video.source_size / _part_size(video))


def part_bytes(video: Upload, number: int) -> int:
    """The exact size of part `number`: the part size, the last one what remains."""
    last, size = part_count(video), _part_size(video)
    return size if number < last else video.source_size - size * (last - 1)


def _part_size(video: Upload) -> int:
    if video.part_size is None:
        raise ValueError(f"the upload to {video.source_key} is not multipart: it has no part size")
    return video.part_size


def create_upload(session: Session, storage: Storage, config: dict[str, Any], user: User,
                  data: dict[str, Any]) -> tuple[Video, dict[str, Any]]:
    """A new video awaiting its bytes, and how to send them (one PUT or a multipart plan)."""
    filename = clean_filename(config, data.get("filename", ""))
    visibility, password_hash = protection.access_for_upload(config, data)
    video = Video(
        owner_id=user.id,
        title=clean_title(config, os.path.splitext(filename)[0] if data.get("title") is None else data["title"]),
        description=clean_description(config, data.get("description")),
        visibility=visibility,
        password_hash=password_hash,
        filename=filename,
        content_type=clean_content_type(config, data.get("content_type", "")),
        source_size=check_size(config, int(data.get("size") or 0)),
        status=Status.AWAITING_UPLOAD,
    )
    check_quota(session, config, user, video.source_size)
    session.add(video)
    session.flush()  # the id is part of the key
    video.auto_captions = wants_generated_captions(session, config, video, data)
    video.source_key = layout.source_key(user.id, video.id)
    if video.source_size >= int(config["MULTIPART_THRESHOLD"]):
        video.part_size = part_size_for(config, video.source_size)
        video.upload_id = storage.create_multipart(video.source_key, video.content_type)
    session.commit()
    log.info("upload created", extra={"video_id": video.id})
    return video, upload_plan(storage, config, video)


def wants_generated_captions(session: Session, config: dict[str, Any], video: Video, data: dict[str, Any]) -> bool:
    """The upload's wish for generated captions (AUTO_CAPTIONS when it does not say); when it wishes, its pending
    track is created now, carrying the spoken language until the processor writes its job on ready."""
    wanted = data.get("auto_captions")
    on = bool(config.get("TRANSCRIPTION_BACKEND"))
    if wanted and not on:
        raise Refusal.field(422, "auto_captions", f"Cannot generate captions: {captions.OFF_REASON}.")
    if not (on and (config.get("AUTO_CAPTIONS") if wanted is None else wanted)):
        return False
    captions.pending_generated(session, video.id, caption_language(config, data.get("caption_language"),
                                                                   "caption_language"))
    return True


def caption_language(config: dict[str, Any], language: str | None, field: str) -> str:
    """A request's spoken language in canonical form, AUTO_CAPTIONS_LANGUAGE when it names none."""
    tag = canonical_tag(language or config.get("AUTO_CAPTIONS_LANGUAGE") or "en")
    if tag is None:
        raise Refusal.field(422, field, f"{str(language)[:40]!r} is not a language tag such as en, pt-BR or zh-Hant.")
    return tag


def upload_plan(storage: Storage, config: dict[str, Any], video: Upload) -> dict[str, Any]:
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
    if video.status != Status.AWAITING_UPLOAD:
        return {"upload": None, "parts": [], "missing_parts": [], "received_bytes": video.source_size}
    return received_so_far(storage, config, video)


def received_so_far(storage: Storage, config: dict[str, Any], video: Upload) -> dict[str, Any]:
    """What has arrived of an open upload, and fresh instructions for the rest."""
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


def complete_multipart(storage: Storage, video: Upload, upload_id: str, sent: list[dict[str, Any]] | None) -> None:
    """Check every part is there with the right size (and the client's ETags), then complete."""
    try:
        listed = {p.number: p for p in storage.list_parts(video.source_key, upload_id)}
    except NoSuchUpload:
        return  # an earlier confirm completed it; the size check that follows decides
    expected = part_count(video)
    _check_parts_held(video, listed, expected)
    if sent:
        _check_parts_sent(listed, sent, expected)
    try:
        storage.complete_multipart(video.source_key, upload_id,
                                   [(n, listed[n].etag) for n in range(1, expected + 1)])
    except InvalidParts as exc:
        raise Refusal.field(409, "parts", f"Storage refused the parts: {exc}.") from None
    except NoSuchUpload:
        pass  # a concurrent confirm completed it


def _check_parts_held(video: Upload, listed: dict[int, UploadedPart], expected: int) -> None:
    """Every part 1..expected is in storage, none beyond, each with its planned size."""
    missing = [n for n in range(1, expected + 1) if n not in listed]
    if missing:
        shown = ", ".join(map(str, missing[:20])) + (" ..." if len(missing) > 20 else "")
        raise Refusal.field(409, "parts", f"Parts not uploaded yet: {shown}. Send them, then confirm again.")
    for number, part in listed.items():
        if number > expected:
            raise Refusal.field(409, "parts", f"Part {number} is beyond the {expected} parts of this upload.")
        want = part_bytes(video, number)
        if part.size != want:
            raise Refusal.field(409, "parts", f"Part {number} holds {part.size} bytes, not {want}; upload it again.")


def _check_parts_sent(listed: dict[int, UploadedPart], sent: list[dict[str, Any]], expected: int) -> None:
    """The client's list names each part once, with the ETag storage holds for it."""
    numbers = [p["number"] for p in sent]
    if sorted(numbers) != list(range(1, expected + 1)):
        raise Refusal.field(422, "parts", f"List each of the parts 1 to {expected} once.")
    for item in sent:
        held = listed[item["number"]].etag.strip('"')
        if item["etag"].strip().strip('"') != held:
            raise Refusal.field(409, "parts", f"Part {item['number']}: storage holds ETag \"{held}\", not "
                                              f"{item['etag']}; upload that part again.")


def confirm_upload(session: Session, db: Database, storage: Storage, queue: Queue, video: Video,
                   parts: list[dict[str, Any]] | None, request_id: str | None) -> Video:
    """Check the bytes, then in one transaction mark the video queued and write its job. Twice queues once."""
    if video.status in CONFIRMED:
        return video
    if video.status == Status.FAILED:
        raise Refusal(409, "This video failed; retry it instead of confirming it again.")
    if video.upload_id:
        complete_multipart(storage, video, video.upload_id, parts)
    size = storage.size_of(video.source_key)
    if size is None:
        raise Refusal.field(409, "upload", "No bytes have arrived for this upload yet; send them, then confirm.")
    if size != video.source_size:
        if video.upload_id:
            # The parts were checked, so this is rare; a fresh multipart upload keeps the video resumable.
            storage.delete_prefix(layout.upload_prefix(video.owner_id, video.id))
            video.upload_id = storage.create_multipart(video.source_key, video.content_type)
            session.commit()
        raise Refusal.field(409, "size", f"Storage holds {size} bytes, but the upload declared {video.source_size}; "
                                         "send the file again.")
    # From here the local store refuses new bytes for the key. An S3 presigned PUT cannot be revoked, so the
    # ETag is recorded and the worker transcodes exactly these bytes or none.
    held = storage.seal(video.source_key)
    if held is None or held.size != video.source_size:
        raise Refusal.field(409, "upload", "The stored file changed while the upload was being confirmed; "
                                           "confirm again.")
    message = outbox.queue_transcode(
        session, queue, Video.queue(video.id, source_etag=held.etag, request_id=request_id), video.id, request_id)
    session.commit()
    session.refresh(video)
    if message is not None:
        log.info("upload confirmed and queued", extra={"video_id": video.id})
        outbox.relay_after_commit(db, queue, message.id)
    return video


def retry_failed(session: Session, db: Database, queue: Queue, video: Video, request_id: str | None) -> Video:
    """Queue a failed video again with a new job (through the outbox); its error and progress start over."""
    message = outbox.queue_transcode(session, queue, Video.retry(video.id, request_id=request_id), video.id,
                                     request_id)
    if message is None:
        session.rollback()
        raise Refusal.field(409, "status", f"Only failed videos can be retried; this one is {video.status}.")
    session.commit()
    session.refresh(video)
    outbox.relay_after_commit(db, queue, message.id)
    return video


# --- the library -------------------------------------------------------------------------------

def can_change(video: Video, user: User | None) -> bool:
    return user is not None and (video.owner_id == user.id or user.is_admin)


def video_for_viewer(session: Session, video_id: str, user: User | None, locked: bool = False) -> Video:
    """The video if this viewer may see it (with `locked`, also a password video they have not unlocked: its
    title alone is shown); otherwise 404 (a private video's existence never leaks)."""
    video = session.get(Video, video_id, options=[selectinload(Video.assets)])
    if video is None or not (video.visible_to(user) or (locked and video.locked_for(user))):
        raise NoSuchVideo()
    return video


def video_for_change(session: Session, video_id: str, user: User, owner_only: bool = False) -> Video:
    """The video if this user may change it: 404 when they cannot even see it, 403 when they only see it."""
    video = video_for_viewer(session, video_id, user)
    allowed = video.owner_id == user.id if owner_only else can_change(video, user)
    if not allowed:
        raise Refusal(403, "Only the owner can change this video.")
    return video


def my_videos(session: Session, user: User, status: str | None, page: int, page_size: int,
              words: list[str] | None = None) -> tuple[list[Video], int]:
    query = select(Video).where(Video.owner_id == user.id)
    if status:
        query = query.where(Video.status == status)
    return _page(session, query, page, page_size, words)


def public_videos(session: Session, page: int, page_size: int,
                  words: list[str] | None = None) -> tuple[list[Video], int]:
    return _page(session, select(Video).where(Video.visibility == Visibility.PUBLIC, Video.status == Status.READY),
                 page, page_size, words)


def _page(session: Session, query: Select[Video], page: int, page_size: int,
          words: list[str] | None = None) -> tuple[list[Video], int]:
    """A page of `query`, newest first; with search words, only the matches, best first (gallery/search.py)."""
    query, order = search.ranked(session, query, words or [])
    total = int(session.scalar(select(func.count()).select_from(query.subquery())) or 0)
    offset = (page - 1) * page_size
    if offset >= total:  # past the end; also keeps a huge ?page= from overflowing the database's OFFSET
        return [], total
    rows = session.scalars(query.options(selectinload(Video.assets))
                           .order_by(*order)
                           .offset(offset).limit(page_size)).all()
    return list(rows), total


def update_video(session: Session, config: dict[str, Any], video: Video, changes: dict[str, Any]) -> Video:
    if "title" in changes:
        video.title = clean_title(config, changes["title"])
    if "description" in changes:
        video.description = clean_description(config, changes["description"])
    if "visibility" in changes or "password" in changes:
        protection.change_access(config, video, changes)  # revokes playback links handed out
    if "embed_origins" in changes:
        video.embed_origins = clean_embed_origins(changes["embed_origins"])
    session.commit()
    return video


def cleanup_stale_uploads(db: Database, storage: Storage, ttl_seconds: int, batch: int = 100,
                          url_lifetime: int | None = None) -> int:
    """Remove videos left in awaiting_upload longer than the TTL, with their objects and multipart uploads; their
    folders are erased again once their upload URLs (a resume hands out fresh ones) have expired (erasure.py)."""
    cutoff = utcnow() - timedelta(seconds=ttl_seconds)
    return remove_in_batches(db, select(Video).where(Video.status == Status.AWAITING_UPLOAD, Video.created_at < cutoff)
                             .order_by(Video.created_at),
                             lambda session, video: erase_objects(session, storage, video, url_lifetime), batch)


def remove_in_batches(db: Database, stale: Select[Any], discard: Callable[[Session, Any], None], batch: int) -> int:
    """Delete the rows `stale` selects, `batch` per transaction, calling `discard` on each first (its objects in
    storage, a follow-up in the same transaction); how many went. A crash mid-way leaves the rest for the next run.

    The rows are locked as they are read, and those a request holds are skipped: a confirm that takes a row at the
    last moment (a replace confirmed as its time runs out) either finishes first, and PostgreSQL then no longer
    counts the row as stale, or waits for this transaction and finds the row gone. Never erased under it."""
    entity = stale.column_descriptions[0]["entity"]
    locked = stale.limit(batch).with_for_update(skip_locked=True, of=entity)
    removed = 0
    while True:
        with db.session() as session:
            rows = session.scalars(locked).all()
            for row in rows:
                discard(session, row)
                session.delete(row)
        removed += len(rows)
        if len(rows) < batch:
            return removed


# --- what each request answers: one call per view, the videos of a page presented together -------

@dataclass(frozen=True)
class VideoView:
    """A video as one viewer sees it, with what its page computed for it: what VideoSchema dumps."""

    video: Video
    is_owner: bool
    filename: str | None
    """The uploaded file's name, for its owner and admins only (None: left out)."""
    poster_url: str | None
    queue_position: int | None
    estimated_start_seconds: float | None
    match: search.Match | None = None
    """Where a search result matched (None: the list was not searched)."""
    locked: bool = False
    """A password video this viewer has not unlocked: its title alone is shown (VideoSchema withholds the rest)."""
    chunks: dict[str, int] | None = None
    """A chunked transcode's progress in chunks: total, done, and how many workers took part (None: one job)."""


def present(session: Session, delivery: Delivery, config: dict[str, Any], videos: Sequence[Video],
            viewer: User | None, matches: dict[str, search.Match] | None = None) -> list[VideoView]:
    """What `viewer` sees of a page of videos: signed posters, and the queued ones' places in line and estimated
    starts asked once for the whole page (waiting.outlook), never once per video."""
    outlook = waiting.outlook(session, videos, float(config["WORKER_HEARTBEAT_SECONDS"]))
    expiry = int(config["POSTER_URL_EXPIRY"])
    chunks = chunk_summaries(session, videos)
    views = []
    for video in videos:
        is_owner = viewer is not None and viewer.id == video.owner_id
        locked = video.locked_for(viewer)
        poster = None if locked else next((a for a in video.assets if a.kind == "poster"), None)
        place = outlook.get(video.id)
        views.append(VideoView(
            video=video, is_owner=is_owner,
            filename=video.filename if is_owner or (viewer is not None and viewer.is_admin) else None,
            poster_url=delivery.object_url(poster.key, expiry) if poster is not None else None,
            queue_position=place.position if place else None,
            estimated_start_seconds=place.estimated_start_seconds if place else None,
            match=(matches or {}).get(video.id), locked=locked, chunks=None if locked else chunks.get(video.id)))
    return views


def chunk_summaries(session: Session, videos: Sequence[Video]) -> dict[str, dict[str, int]]:
    """Each chunked video's TranscodePart.summary while it is transcoded, asked once for the whole page (and not at
    all for a page with no video being transcoded: a queued one has no parts yet)."""
    ids = [video.id for video in videos if video.status == Status.PROCESSING]
    if not ids:
        return {}
    by_video: dict[str, list[TranscodePart]] = {}
    for part in session.scalars(select(TranscodePart).where(TranscodePart.video_id.in_(ids))):
        by_video.setdefault(part.video_id, []).append(part)
    return {video_id: summary for video_id, parts in by_video.items()
            if (summary := TranscodePart.summary(parts)) is not None}


def start_upload(session: Session, storage: Storage, delivery: Delivery, config: dict[str, Any], user: User,
                 data: dict[str, Any]) -> dict[str, Any]:
    """A new video and how to send its bytes."""
    video, plan = create_upload(session, storage, config, user, data)
    return {"video": present(session, delivery, config, [video], user)[0], "upload": plan}


def resume_upload(session: Session, storage: Storage, delivery: Delivery, config: dict[str, Any], user: User,
                  video_id: str) -> dict[str, Any]:
    """The owner's upload as it stands: parts received, fresh URLs for the rest."""
    video = video_for_change(session, video_id, user, owner_only=True)
    return {"video": present(session, delivery, config, [video], user)[0], **upload_state(storage, config, video)}


def confirm(session: Session, db: Database, storage: Storage, delivery: Delivery, queue: Queue,
            config: dict[str, Any], user: User, video_id: str, parts: list[dict[str, Any]] | None,
            request_id: str | None) -> VideoView:
    """The owner confirms the bytes arrived: the video is queued with its job."""
    video = video_for_change(session, video_id, user, owner_only=True)
    video = confirm_upload(session, db, storage, queue, video, parts, request_id)
    return present(session, delivery, config, [video], user)[0]


def retry(session: Session, db: Database, delivery: Delivery, queue: Queue, config: dict[str, Any], user: User,
          video_id: str, request_id: str | None) -> VideoView:
    """The owner (or an admin) queues a failed video again."""
    video = retry_failed(session, db, queue, video_for_change(session, video_id, user), request_id)
    return present(session, delivery, config, [video], user)[0]


def library(session: Session, delivery: Delivery, config: dict[str, Any], user: User, status: str | None,
            page: int, page_size: int, q: str | None = None) -> tuple[list[VideoView], int]:
    """A page of the user's own videos, and how many there are; with `q`, those matching it, best first."""
    words = search.words(q)
    videos, total = my_videos(session, user, status, page, page_size, words)
    return present(session, delivery, config, videos, user, search.matches(session, videos, words)), total


def public_library(session: Session, delivery: Delivery, config: dict[str, Any], viewer: User | None,
                   page: int, page_size: int, q: str | None = None) -> tuple[list[VideoView], int]:
    """A page of public videos ready to watch, and how many there are; with `q`, those matching it, best first."""
    words = search.words(q)
    videos, total = public_videos(session, page, page_size, words)
    return present(session, delivery, config, videos, viewer, search.matches(session, videos, words)), total


def show(session: Session, delivery: Delivery, config: dict[str, Any], viewer: User | None,
         video_id: str) -> VideoView:
    """One video, if the viewer may see it (a password video they have not unlocked: by its title alone)."""
    return present(session, delivery, config, [video_for_viewer(session, video_id, viewer, locked=True)], viewer)[0]


def edit(session: Session, delivery: Delivery, config: dict[str, Any], user: User, video_id: str,
         changes: dict[str, Any]) -> VideoView:
    """The owner (or an admin) changes title, description, visibility or the sites allowed to embed it."""
    video = update_video(session, config, video_for_change(session, video_id, user), changes)
    return present(session, delivery, config, [video], user)[0]


def delete(session: Session, storage: Storage, user: User, video_id: str) -> None:
    """The owner (or an admin) deletes a video with every object it has."""
    # Objects, then rows, and a follow-up for bytes a still-valid upload URL sends later: one home
    # (videoforge/erasure.py), shared with the deletion of an account. The URL lifetime is the app's.
    erase_video(session, storage, video_for_change(session, video_id, user))


def generate_captions(session: Session, db: Database, queue: Queue, config: dict[str, Any], user: User, video_id: str,
                      language: str | None, request_id: str | None) -> Caption:
    """The owner (or an admin) asks for an auto-generated track of a ready video: pending, its job queued. One at a
    time per language; a failed one may be asked for again, a ready one is deleted first."""
    if not config.get("TRANSCRIPTION_BACKEND"):
        raise Refusal(409, f"Cannot generate captions: {captions.OFF_REASON}.")
    video = video_for_change(session, video_id, user)
    if video.status != Status.READY:
        raise Refusal.field(409, "status", f"Captions are generated from a ready video; this one is {video.status}.")
    tag = caption_language(config, language, "language")
    existing = next((c for c in video.captions if c.generated and c.language == tag), None)
    if existing is not None and existing.status != CaptionStatus.FAILED:
        doing = "is already being generated" if existing.status != CaptionStatus.READY else "exists; delete it first"
        raise Refusal.field(409, "language", f"The auto-generated {tag} track {doing}.")
    try:
        caption, message = captions.request_generated(session, queue, video.id, tag, request_id)
        session.commit()
    except IntegrityError:  # the same language asked for twice at once: the other request won
        session.rollback()
        raise Refusal.field(409, "language", f"The auto-generated {tag} track is already being generated.") from None
    outbox.relay_after_commit(db, queue, message.id)
    return caption
