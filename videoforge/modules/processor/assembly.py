"""Assembling a chunked transcode: the parts' segments become one ladder, published as it grows, ready once whole.

Every change goes through the video row's lock (`Video.hold`: an UPDATE, so SQLite's single writer and PostgreSQL's
row lock both serialise it), in one transaction that also rewrites the playlists it changes. So two chunks finishing
at once never publish a playlist that misses the other's segments, and exactly one of them makes the video ready.

What a rung's playlist lists is the run of chunks from the first: every segment of each done chunk, then what the
first unfinished chunk has published so far. Chunks that finish early wait, uploaded but unlisted, until the ones
before them are done; an EVENT playlist only ever grows, so a player that started early keeps everything it has.
"""

from __future__ import annotations

import tempfile
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import case, func, select, update
from sqlalchemy.orm import Session

from videoforge import layout
from videoforge.db import rows_matched
from videoforge.lifecycle import PartStatus
from videoforge.models import EXTRAS_PART, TranscodePart, Video
from videoforge.modules.processor.ladder import Rung
from videoforge.modules.processor.playlists import Segment, variant_playlist
from videoforge.modules.processor.publish import PLAYLIST, Bandwidth
from videoforge.modules.processor.service import (
    TRANSCODE_SHARE,
    JobContext,
    finish_in,
    upsert_asset,
    upsert_audio,
    upsert_variant,
)


class PartAbandoned(Exception):
    """The part is no longer wanted: its video was deleted, failed or cancelled, or planned again (a new take)."""


@dataclass(frozen=True)
class Assembly:
    """What every part of one take shares: the ladder, and whether the sound is its own rendition."""

    video_id: str
    take: str
    rungs: Sequence[Rung]
    has_audio: bool
    swap: bool = False
    """A whole ladder of an earlier take is playing (a replaced file): nothing of this take is shown before it is
    whole, then everything at once (finish_in)."""


def hold(session: Session, video_id: str) -> None:
    """Take the video's lock for this transaction; PartAbandoned if it is no longer being worked on."""
    if not rows_matched(session.execute(Video.hold(video_id))):
        raise PartAbandoned()


def part_of(session: Session, assembly: Assembly, number: int) -> TranscodePart:
    part = session.scalars(select(TranscodePart).where(
        TranscodePart.video_id == assembly.video_id, TranscodePart.take == assembly.take,
        TranscodePart.number == number)).first()
    if part is None:  # planned again since: this take is history
        raise PartAbandoned()
    return part


def record_segment(ctx: JobContext, assembly: Assembly, number: int, rung: str, segment: Segment,
                   init_uri: str | None) -> None:
    """A chunk's segment is uploaded: list it in its part, and in the rung's playlist if the chunks before are done.
    A segment an earlier attempt already listed stays as it was (its successor is the same frames, cut alike)."""
    with ctx.db.session() as session:
        hold(session, assembly.video_id)
        part = part_of(session, assembly, number)
        listing = {name: list(items) for name, items in (part.segments or {}).items()}
        items = listing.setdefault(rung, [])
        if items and items[-1][0] >= segment.sequence:
            return
        items.append([segment.sequence, segment.uri, segment.duration, segment.size])
        part.segments = listing  # a new dict: the JSON column sees the change
        if init_uri and rung not in (part.inits or {}):
            part.inits = {**(part.inits or {}), rung: init_uri}
        session.flush()
        if not session.scalar(select(func.count()).select_from(TranscodePart).where(
                TranscodePart.video_id == assembly.video_id, TranscodePart.take == assembly.take,
                TranscodePart.number.between(0, number - 1), TranscodePart.status != PartStatus.DONE)):
            publish(session, ctx, assembly, only=rung)  # the first unfinished chunk: its playlist grows now


def listed_sequences(ctx: JobContext, assembly: Assembly, number: int) -> dict[str, int]:
    """Per rung, the last segment number a part has listed (an earlier attempt's work a retry keeps)."""
    with ctx.db.session() as session:
        part = part_of(session, assembly, number)
        return {name: items[-1][0] for name, items in (part.segments or {}).items() if items}


def record_audio(ctx: JobContext, assembly: Assembly, segments: Sequence[Segment]) -> None:
    """The sound's rendition is uploaded: keep its segments with the extras, show it (and with it the rungs that
    waited for it: a master playlist without its audio group would play them silent)."""
    with ctx.db.session() as session:
        hold(session, assembly.video_id)
        extras = part_of(session, assembly, EXTRAS_PART)
        extras.segments = {layout.AUDIO: [[s.sequence, s.uri, s.duration, s.size] for s in segments]}
        session.flush()
        if not assembly.swap:
            upsert_audio(session, assembly.video_id, assembly.take, Bandwidth.of(segments))
            publish(session, ctx, assembly)


def complete_part(ctx: JobContext, assembly: Assembly, number: int) -> bool:
    """A part is done: publish what it completes; the last one makes the video ready. True if this one did."""
    with ctx.db.session() as session:
        hold(session, assembly.video_id)
        part = part_of(session, assembly, number)
        part.status, part.progress, part.error = PartStatus.DONE, 100.0, None
        if number == EXTRAS_PART and not assembly.swap:  # the poster and storyboard are shown from now on
            for kind, key in layout.artwork(assembly.video_id, assembly.take).items():
                upsert_asset(session, assembly.video_id, kind, "", key=key, width=None, height=None, complete=True)
        session.flush()
        parts = parts_of(session, assembly)
        finished = publish(session, ctx, assembly, parts=parts)
        if not finished or any(p.status != PartStatus.DONE for p in parts):
            return False
        bandwidths = {rung.name: Bandwidth.of(segments) for rung, segments in listing(parts, assembly.rungs).items()}
        extras = next(p for p in parts if p.number == EXTRAS_PART)
        sound = [Segment(*item) for item in (extras.segments or {}).get(layout.AUDIO, [])]
        done = finish_in(session, ctx.queue, ctx.config, assembly.video_id, assembly.take, list(assembly.rungs),
                         assembly.has_audio, bandwidths, layout.artwork(assembly.video_id, assembly.take),
                         audio=Bandwidth.of(sound) if sound else None)
    done.settle(ctx.db, ctx.queue, ctx.storage)
    return True


def parts_of(session: Session, assembly: Assembly) -> list[TranscodePart]:
    return list(session.scalars(select(TranscodePart).where(
        TranscodePart.video_id == assembly.video_id, TranscodePart.take == assembly.take)
        .order_by(TranscodePart.number)))


def listing(parts: Sequence[TranscodePart], rungs: Sequence[Rung]) -> dict[Rung, list[Segment]]:
    """Each rung's playable segments: the chunks from the first, up to and including the first unfinished one."""
    found: dict[Rung, list[Segment]] = {rung: [] for rung in rungs}
    for part in parts:
        if part.number == EXTRAS_PART:
            continue
        for rung in rungs:
            found[rung] += [Segment(int(seq), str(uri), float(duration), int(size))
                            for seq, uri, duration, size in (part.segments or {}).get(rung.name, [])]
        if part.status != PartStatus.DONE:
            break
    return found


def publish(session: Session, ctx: JobContext, assembly: Assembly, only: str | None = None,
            parts: Sequence[TranscodePart] | None = None) -> bool:
    """Rewrite the rung playlists (`only` one) from the parts, VOD once every chunk is done, and record each rung
    that has segments (streaming lists it then). True when every chunk is done."""
    parts = parts_of(session, assembly) if parts is None else parts
    chunks = [p for p in parts if p.number != EXTRAS_PART]
    complete = bool(chunks) and all(p.status == PartStatus.DONE for p in chunks)
    sound_ready = not assembly.has_audio or any(
        layout.AUDIO in (p.segments or {}) for p in parts if p.number == EXTRAS_PART)
    show = sound_ready and not assembly.swap  # rungs join the master only once they can play with their sound
    inits = (chunks[0].inits or {}) if chunks else {}
    with tempfile.TemporaryDirectory(prefix="vf-playlist-") as scratch:
        for rung, segments in listing(parts, assembly.rungs).items():
            init_uri = inits.get(rung.name)
            # The first chunk's init segment is every chunk's: nothing of a rung plays before it is up.
            if not segments or init_uri is None or (only is not None and rung.name != only):
                continue
            path = Path(scratch) / f"{rung.name}.m3u8"
            path.write_text(variant_playlist(segments, init_uri, complete=complete))
            ctx.storage.upload_file(layout.rung_playlist(assembly.video_id, assembly.take, rung.name), str(path),
                                    PLAYLIST)
            if show:
                upsert_variant(session, assembly.video_id, assembly.take, rung, assembly.has_audio,
                               Bandwidth.of(segments), complete=False)
    return complete


def report_progress(ctx: JobContext, assembly: Assembly, number: int, percent: float) -> None:
    """A chunk's per cent, and the video's: the chunks' per cents weighted by their length. PartAbandoned when the
    video is no longer worked on (deleted, failed, cancelled, planned again), so its chunks stop within a second."""
    with ctx.db.session() as session:
        hold(session, assembly.video_id)  # the video row first, as every writer of parts does: no deadlock
        moved = session.execute(update(TranscodePart).where(
            TranscodePart.video_id == assembly.video_id, TranscodePart.take == assembly.take,
            TranscodePart.number == number, TranscodePart.status == PartStatus.PROCESSING).values(progress=percent))
        if not rows_matched(moved):
            raise PartAbandoned()
        chunks = (TranscodePart.video_id == assembly.video_id, TranscodePart.take == assembly.take,
                  TranscodePart.number != EXTRAS_PART)
        weighted, total, done, count = session.execute(select(
            func.sum(TranscodePart.progress * TranscodePart.seconds), func.sum(TranscodePart.seconds),
            func.sum(case((TranscodePart.status == PartStatus.DONE, 1), else_=0)), func.count())
            .where(*chunks)).one()
        share = (weighted or 0.0) / total if total else 0.0
        stage = f"transcoding: {done or 0} of {count} chunks done"
        session.execute(Video.report_progress(assembly.video_id, stage[:40], round(share * TRANSCODE_SHARE / 100, 1)))
