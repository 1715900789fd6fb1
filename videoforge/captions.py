"""Caption tracks: storing one (its WebVTT file beside the renditions, its cues for search), shared by the gallery
(uploads) and the processor (generated tracks)."""

from __future__ import annotations

import os
import tempfile

from sqlalchemy import delete
from sqlalchemy.orm import Session

from videoforge import layout
from videoforge.lifecycle import CaptionStatus
from videoforge.models import Caption, CaptionCue
from videoforge.ports.storage import Storage
from videoforge.webvtt import Cue, write

VTT_TYPE = "text/vtt"


def store_track(session: Session, storage: Storage, caption: Caption, cues: list[Cue]) -> None:
    """Write the track's WebVTT file, then make the row ready with its cues indexed, in the caller's transaction.

    The file goes first: a row is never ready without its file. Each version gets a new key (the row's id and a
    fresh take), so a cache that kept the last one can never serve it for this one; the last file is removed after.
    The caller commits."""
    key, previous = layout.caption_track(caption.video_id, f"{caption.id}-{layout.new_take()}"), caption.key
    with tempfile.NamedTemporaryFile("w", suffix=".vtt", delete=False, encoding="utf-8") as handle:
        handle.write(write(cues))
    try:
        storage.upload_file(key, handle.name, VTT_TYPE)
    finally:
        os.unlink(handle.name)
    caption.key, caption.cue_count, caption.status, caption.error = key, len(cues), CaptionStatus.READY, None
    index_cues(session, caption, cues)
    if previous:
        storage.delete_prefix(previous)  # exactly that key: a track's keys end in ".vtt", never a folder


def index_cues(session: Session, caption: Caption, cues: list[Cue]) -> None:
    """Replace the track's searchable cues with `cues`."""
    session.execute(delete(CaptionCue).where(CaptionCue.caption_id == caption.id))
    session.add_all(CaptionCue(caption_id=caption.id, video_id=caption.video_id, start=cue.start, end=cue.end,
                               text=cue.text) for cue in cues)
