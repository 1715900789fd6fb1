"""Caption tracks: storing one (its WebVTT file beside the renditions, its cues for search), shared by the gallery
(uploads) and the processor (generated tracks)."""

from __future__ import annotations

import os
import tempfile
from typing import Any

from sqlalchemy import delete, event, select
from sqlalchemy.orm import Session

from videoforge import layout, outbox
from videoforge.languages import own_name
from videoforge.lifecycle import CaptionStatus
from videoforge.models import Caption, CaptionCue, OutboxMessage, Video
from videoforge.ports.queue import Queue
from videoforge.ports.storage import Storage
from videoforge.webvtt import HLS_TIMESTAMP_MAP, Cue, write

VTT_TYPE = "text/vtt"


def store_track(session: Session, storage: Storage, caption: Caption, cues: list[Cue]) -> None:
    """Write the track's WebVTT file, then make the row ready with its cues indexed, in the caller's transaction.

    The file goes first: a row is never ready without its file. Each version gets a new key (the row's id and a
    fresh take), so a cache that kept the last one can never serve it for this one; the last file is removed once
    the caller's transaction commits (a rollback leaves the row on a file that is still there)."""
    key, previous = layout.caption_track(caption.video_id, f"{caption.id}-{layout.new_take()}"), caption.key
    with tempfile.NamedTemporaryFile("w", suffix=".vtt", delete=False, encoding="utf-8") as handle:
        handle.write(write(cues, HLS_TIMESTAMP_MAP))  # the track is an HLS rendition too
    try:
        storage.upload_file(key, handle.name, VTT_TYPE)
    finally:
        os.unlink(handle.name)
    caption.key, caption.cue_count, caption.status, caption.error = key, len(cues), CaptionStatus.READY, None
    index_cues(session, caption, cues)
    if previous:
        # Exactly that key (a track's keys end in ".vtt", never a folder), and only after the commit.
        event.listen(session, "after_commit", lambda _: storage.delete_prefix(previous), once=True)


def index_cues(session: Session, caption: Caption, cues: list[Cue]) -> None:
    """Replace the track's searchable cues with `cues`."""
    session.execute(delete(CaptionCue).where(CaptionCue.caption_id == caption.id))
    session.add_all(CaptionCue(caption_id=caption.id, video_id=caption.video_id, start=cue.start, end=cue.end,
                               text=cue.text) for cue in cues)


# --- generated tracks: asked for at upload or later, made by the processor's transcribe job ------------------------

OFF_REASON = "generated captions are turned off on this server"


def generated_label(language: str) -> str:
    """What the player's menu shows for a generated track, e.g. `English (auto-generated)`."""
    return f"{own_name(language)} (auto-generated)"


def request_generated(session: Session, queue: Queue, video_id: str, language: str,
                      request_id: str | None = None) -> tuple[Caption, OutboxMessage]:
    """Make the video's generated track in `language` pending (a new row, or a failed one again) and write its
    transcribe job, in the caller's transaction. The caller checks none is pending or processing already."""
    caption = pending_generated(session, video_id, language)
    return caption, outbox.write(session, queue, outbox.transcribe_message(video_id, caption.id, request_id))


def pending_generated(session: Session, video_id: str, language: str) -> Caption:
    """The video's generated track in `language`, made pending (created when there is none); no job written."""
    caption = session.scalars(select(Caption).where(Caption.video_id == video_id, Caption.language == language,
                                                    Caption.generated.is_(True))).first()
    if caption is None:
        caption = Caption(video_id=video_id, language=language, label=generated_label(language), generated=True)
        session.add(caption)
    caption.status, caption.error = CaptionStatus.PENDING, None
    session.flush()  # the id goes into the job
    return caption


def queue_generated_on_ready(session: Session, queue: Queue, config: dict[str, Any], video: Video) -> list[int]:
    """The video just became ready: if its upload asked for generated captions, write the jobs of its pending
    generated tracks (one in the default language when it has none) in the same transaction. With transcription
    off, those tracks fail at once, saying so. Returns the outbox rows written."""
    if not video.auto_captions:
        return []
    generated = session.scalars(select(Caption).where(Caption.video_id == video.id,
                                                      Caption.generated.is_(True))).all()
    if not config.get("TRANSCRIPTION_BACKEND"):
        for caption in generated:
            if caption.status == CaptionStatus.PENDING:
                caption.status, caption.error = CaptionStatus.FAILED, OFF_REASON
        return []
    if not generated:
        generated = [pending_generated(session, video.id, config.get("AUTO_CAPTIONS_LANGUAGE") or "en")]
    return [outbox.write(session, queue, outbox.transcribe_message(video.id, caption.id, video.request_id)).id
            for caption in generated if caption.status == CaptionStatus.PENDING]
