"""Caption tracks in the gallery: listing a video's tracks to whoever may see it, and the owner's uploads (one per
language, WebVTT or SRT, checked and re-written by us) and removals.

Who sees a track is who sees the video (`Video.visible_to`); tracks not ready yet (generated ones waiting for or
failing their transcription) only to those who may change the video. Uploads never touch a generated track: the two
live side by side, one row each per language (the table's unique key includes `generated`).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import IO, Any

from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from videoforge import captions
from videoforge.errors import Refusal
from videoforge.languages import LABEL_MAX_LENGTH, UNQUOTABLE, canonical_tag, own_name
from videoforge.lifecycle import CaptionKind, CaptionStatus, Status
from videoforge.models import Caption, User, Video, new_id
from videoforge.modules.gallery.service import can_change, video_for_change, video_for_viewer
from videoforge.ports.delivery import Delivery
from videoforge.ports.storage import Storage
from videoforge.webvtt import CaptionFileError, parse_captions

log = logging.getLogger(__name__)

_BEING_MADE = (CaptionStatus.PENDING, CaptionStatus.PROCESSING)


@dataclass(frozen=True)
class TrackView:
    """A track as one viewer sees it: what CaptionSchema dumps."""

    caption: Caption
    url: str | None
    """A signed download URL of its WebVTT file; None unless it is ready."""


def tracks(session: Session, delivery: Delivery, config: dict[str, Any], viewer: User | None,
           video_id: str) -> list[TrackView]:
    """The video's tracks this viewer may see, by language, uploaded before generated."""
    video = video_for_viewer(session, video_id, viewer)
    changer = can_change(video, viewer)
    shown = [c for c in video.captions if changer or c.status == CaptionStatus.READY]
    return [_view(delivery, config, video, caption, changer)
            for caption in sorted(shown, key=lambda c: (c.language, c.generated))]


def put_track(session: Session, storage: Storage, delivery: Delivery, config: dict[str, Any], user: User,
              video_id: str, language: str, source: IO[bytes], filename: str, label: str | None,
              kind: str | None) -> tuple[TrackView, bool]:
    """Create or replace the video's uploaded track in `language` from a WebVTT or SRT file; True when created.

    A replacement keeps its label and kind unless new ones are given. The file is parsed and written anew
    (captions.store_track), so nothing of the upload but its cues reaches a player."""
    video = video_for_change(session, video_id, user)
    tag = canonical_tag(language)
    if tag is None:
        raise _refusal("path", "language", f"{language[:40]!r} is not a language tag such as en, pt-BR or zh-Hant "
                                           "(language[-Script][-REGION]).")
    cues = _read(source, filename, config)
    caption = next((c for c in video.captions if c.language == tag and not c.generated), None)
    created = caption is None
    if caption is None:
        caption = Caption(id=new_id(), video_id=video.id, language=tag, generated=False,
                          label=clean_label(label, tag), kind=kind or CaptionKind.SUBTITLES)
        session.add(caption)
        try:
            session.flush()
        except IntegrityError:  # the same language's first upload, sent twice at once: the other one won
            session.rollback()
            raise Refusal(409, f"Another upload of {tag} captions arrived at the same moment; send this one "
                               "again to replace it.") from None
    else:
        caption.label = clean_label(label, tag) if label is not None else caption.label
        caption.kind = kind or caption.kind
    captions.store_track(session, storage, caption, cues)
    session.commit()
    log.info("caption track %s", "added" if created else "replaced",
             extra={"video_id": video.id, "caption_id": caption.id})
    return _view(delivery, config, video, caption, True), created


def delete_track(session: Session, storage: Storage, user: User, video_id: str, caption_id: str) -> None:
    """The owner (or an admin) removes a track: its file, then its row and cues. A generated track still being
    made is refused (its job would write it back); delete it once it is ready or failed."""
    video = video_for_change(session, video_id, user)
    caption = next((c for c in video.captions if c.id == caption_id), None)
    if caption is None:
        raise Refusal(404, "No such caption track for this video.")
    if caption.generated and caption.status in _BEING_MADE:
        raise Refusal(409, "This track is being generated; delete it once it is ready or has failed.")
    if caption.key:
        storage.delete_prefix(caption.key)  # exactly that key: a track's keys end in ".vtt", never a folder
    captions.index_cues(session, caption, [])  # whatever indexes search keeps of its cues go with them
    session.delete(caption)
    session.commit()
    log.info("caption track deleted", extra={"video_id": video.id, "caption_id": caption_id})


def clean_label(label: str | None, tag: str) -> str:
    """The label as given (trimmed), or the language's own name; refused when it cannot be a quoted string."""
    label = (label or "").strip()
    if not label:
        return own_name(tag)[:LABEL_MAX_LENGTH]
    if len(label) > LABEL_MAX_LENGTH:
        raise _refusal("form", "label", f"A label may be at most {LABEL_MAX_LENGTH} characters.")
    if UNQUOTABLE.search(label):
        raise _refusal("form", "label", "A label may not hold double quotes, line breaks or control characters.")
    return label


def _read(source: IO[bytes], filename: str, config: dict[str, Any]) -> list[Any]:
    """The file's cues, or a refusal naming the line at fault (413 when it is too large)."""
    limit = int(config["CAPTION_MAX_BYTES"])
    data = source.read(limit + 1)  # one past the limit is enough to know it is too large
    try:
        return parse_captions(data, filename, max_bytes=limit, max_cues=int(config["CAPTION_MAX_CUES"]),
                              max_cue_chars=int(config["CAPTION_MAX_CUE_CHARS"]))
    except CaptionFileError as exc:
        if exc.line is None and len(data) > limit:
            raise _refusal("files", "file", f"The file is larger than {limit / 1048576:g} MiB, the most a caption "
                                            "file may be.", status=413) from None
        raise _refusal("files", "file", str(exc)) from None


def _view(delivery: Delivery, config: dict[str, Any], video: Video, caption: Caption, changer: bool) -> TrackView:
    # A failed video serves nothing to viewers; its owner still gets the files they uploaded.
    servable = caption.status == CaptionStatus.READY and caption.key and (changer or video.status != Status.FAILED)
    return TrackView(caption, delivery.object_url(caption.key, int(config["CAPTION_URL_EXPIRY"])) if servable
                     else None)


def _refusal(location: str, name: str, message: str, status: int = 422) -> Refusal:
    """A refusal naming one request field where webargs would: path, form or files."""
    return Refusal(status, message, {location: {name: [message]}})
