"""The transcode job: one queue message in, a published HLS ladder (or a clear failure) out."""

from __future__ import annotations

import logging
import tempfile
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import timedelta
from enum import StrEnum
from pathlib import Path
from typing import Any, ParamSpec

from sqlalchemy import Update, delete, select
from sqlalchemy.orm import Session

from videoforge import layout, outbox
from videoforge.captions import queue_generated_on_ready
from videoforge.db import Database, rows_matched
from videoforge.errors import NoSuchVideo, Refusal
from videoforge.lifecycle import WORKABLE, Status
from videoforge.logs import new_request_id, request_id_var
from videoforge.models import MediaAsset, TranscodePart, Video, utcnow
from videoforge.modules.processor import scaling, source_cache
from videoforge.modules.processor.artwork import make_poster, make_storyboard
from videoforge.modules.processor.chunking import chunking_applies
from videoforge.modules.processor.encode import TranscodeFailed, transcode_ladder
from videoforge.modules.processor.ladder import Rung, plan_ladder
from videoforge.modules.processor.limits import LimitExceeded, Limits
from videoforge.modules.processor.playlists import AUDIO_CODEC
from videoforge.modules.processor.probe import SourceInfo, UnplayableSource, probe
from videoforge.modules.processor.publish import Bandwidth, Publisher, codecs_of, content_type_of
from videoforge.modules.processor.reasons import scrub_paths
from videoforge.ports.queue import Message, Queue
from videoforge.ports.storage import ObjectChanged, ObjectStat, Storage
from videoforge.webhooks import EventType
from videoforge.webhooks.events import record_event

log = logging.getLogger("videoforge.processor")

TRANSCODE_SHARE = 90.0
"""Per cent of the progress bar the ladder fills; poster, storyboard and publishing the rest."""
SOURCE_CHANGED = "the source changed after it was confirmed; upload it again"
"""Why a video fails whose stored source is no longer the one confirmed (replaced through its upload URL)."""


class JobCancelled(Exception):
    """The worker is stopping: the job's message goes back to the queue at once."""


class Outcome(StrEnum):
    """What handling one message did (for logs, the burst summary and tests)."""

    DONE = "done"
    SKIPPED = "skipped"
    """Not a transcode job, or nothing left to do (already done, the video gone)."""
    FAILED = "failed"
    """The file is at fault (not a video, too long...): failed at once, no retry."""
    RETRY = "retry"
    DEAD = "dead"
    """Out of receives: the video is failed and the message goes to the dead letters."""
    RELEASED = "released"
    """The worker is stopping: the message goes back at once."""


@dataclass
class JobContext:
    """What handling a message needs from its worker: the ports, the config, and the stop signal."""

    db: Database
    queue: Queue
    storage: Storage
    config: dict[str, Any]
    cancel: threading.Event = field(default_factory=threading.Event)
    worker: str = ""
    """The worker's id (scaling.new_worker_id): which worker took each chunk of a chunked transcode."""


def handle_message(ctx: JobContext, message: Message) -> Outcome:
    """Process one message and settle it (delete or release); says what happened."""
    body = message.body or {}
    token = request_id_var.set(str(body.get("request_id") or new_request_id())[:64])
    video_id = body.get("video_id")
    extra = {"video_id": video_id, "job": message.id}
    try:
        if body.get("type") == outbox.TRANSCRIBE:
            from videoforge.modules.processor.captioning import handle_transcribe  # it imports this module

            return handle_transcribe(ctx, message, extra)
        if body.get("type") == outbox.TRANSCODE_CHUNK and isinstance(video_id, str):
            from videoforge.modules.processor.chunked import handle_chunk  # it imports this module

            return handle_chunk(ctx, message, video_id, extra)
        if body.get("type") != outbox.TRANSCODE or not isinstance(video_id, str):
            log.warning("dropping a message that is not a job of ours: %r", body, extra=extra)
            ctx.queue.delete(message)
            return Outcome.SKIPPED
        with ctx.db.session() as session:
            video = session.get(Video, video_id)
            status = video.status if video is not None else None
        if status not in WORKABLE:
            # A redelivery after the work was done (or the video is gone): nothing to do, twice.
            log.info("video is %s: nothing to do", status or "deleted", extra=extra)
            ctx.queue.delete(message)
            return Outcome.SKIPPED
        log.info("transcode starts (receive %d)", message.receive_count, extra=extra)
        started = time.monotonic()
        try:
            transcode(ctx, video_id)
        except (UnplayableSource, LimitExceeded) as exc:  # no retry can help either
            log.info("not playable: %s", exc.reason, extra=extra)
            fail_video(ctx.db, video_id, describe_error(exc), rejected=True)
            ctx.queue.delete(message)
            return Outcome.FAILED
        except JobCancelled:
            log.info("worker stopping: job handed back", extra=extra)
            settle(ctx.db, Video.requeue(video_id, stage="handed back: worker stopped"))
            ctx.queue.release(message)
            return Outcome.RELEASED
        except Exception as exc:  # noqa: BLE001 - every other failure is worth another try
            return transient_failure(ctx, message, video_id, exc, extra)
        ctx.queue.delete(message)
        log.info("transcode done in %.1f s", time.monotonic() - started, extra=extra)
        return Outcome.DONE
    finally:
        request_id_var.reset(token)


def transient_failure(ctx: JobContext, message: Message, video_id: str, exc: Exception, extra: dict[str, Any],
                      what: str = "", on_retry: Callable[[str], None] | None = None) -> Outcome:
    """Another try after a back-off, or, out of receives, the video failed saying why: one rule for the transcode
    job and for each chunk of one. `what` names the part that failed ("": the whole transcode); `on_retry(reason)`
    records the wait (by default the video goes back to queued)."""
    reason = describe_error(exc)
    attempts, most = message.receive_count, ctx.queue.max_receives
    where = f"{what}: " if what else ""
    if attempts >= most:
        # SQS dead-letters silently on the next receive, so the video learns its fate here, in both backends.
        log.error("%sgiving up after %d attempts: %s", where, attempts, reason, extra=extra)
        subject = f"Processing {what}" if what else "Processing"
        fail_video(ctx.db, video_id, f"{subject} failed {attempts} times; last error: {reason}")
        ctx.queue.release(message, error=reason)
        return Outcome.DEAD
    delay = retry_delay(int(ctx.config.get("RETRY_BACKOFF_SECONDS", 30)), attempts)
    log.warning("%sattempt %d of %d failed, retrying in %d s: %s", where, attempts, most, delay, reason, extra=extra,
                exc_info=not isinstance(exc, TranscodeFailed))
    if on_retry is not None:
        on_retry(reason)
    else:
        settle(ctx.db, Video.requeue(video_id, stage=f"retrying (attempt {attempts + 1} of {most})", error=reason))
    ctx.queue.release(message, delay=delay, error=reason)
    return Outcome.RETRY


def retry_delay(base: int, attempts: int) -> int:
    """Exponential backoff: base, 2x base, 4x base... capped at an hour."""
    return min(3600, base * 2 ** max(0, attempts - 1))


def describe_error(exc: BaseException) -> str:
    """One line a person can read, naming no path on the worker (the video's owner reads it)."""
    reason = getattr(exc, "reason", None) or str(exc) or type(exc).__name__
    return scrub_paths(reason)[:1000]


def transcode(ctx: JobContext, video_id: str) -> None:
    """Download, probe, transcode and publish as it grows, then artwork; raises on failure."""
    cfg = ctx.config
    with tempfile.TemporaryDirectory(dir=cfg.get("WORK_DIR") or None, prefix=f"vf-{video_id[:8]}-") as scratch:
        work = Path(scratch)
        source_key, confirmed = start_video(ctx.db, video_id)
        source_path = download_source(ctx, source_key, confirmed, work / "source")
        check_cancelled(ctx)
        settle(ctx.db, Video.report_progress(video_id, "probing", 1.0))
        limits = Limits.from_config(cfg)
        info = probe(source_path, max_duration=float(cfg.get("MAX_DURATION", 4 * 3600)), limits=limits)
        rungs = plan_ladder(info, heights=tuple(int(h) for h in cfg.get("LADDER_HEIGHTS", (1080, 720, 480, 360))))
        take = layout.new_take()
        swap = reset_outputs(ctx, video_id, take, info)
        if chunking_applies(cfg, info):
            from videoforge.modules.processor.chunked import plan_chunked  # it imports this module

            plan_chunked(ctx, video_id, take, work, source_path, info, rungs, limits, swap=swap)
            return
        # A replaced file's video keeps playing its last ladder until this one is whole: no rung joins early then.
        on_join = None if swap else (
            lambda rung, bandwidth: record_variant(ctx.db, video_id, take, rung, info.has_audio, bandwidth))
        publisher = Publisher(ctx.storage, video_id, take, rungs, work / "publish", on_join=on_join)
        publisher.start()
        try:
            transcode_ladder(
                source_path, work / "hls", info, rungs,
                on_progress=ProgressWriter(ctx, video_id), on_segment=cancellable(ctx, publisher.add),
                stall_seconds=float(cfg.get("STALL_SECONDS", 120)), limits=limits,
                preset=cfg.get("X264_PRESET", "veryfast"), segment_seconds=int(cfg.get("SEGMENT_SECONDS", 4)))
        except BaseException:
            publisher.abort()
            raise
        bandwidths = publisher.finish()
        check_cancelled(ctx)
        settle(ctx.db, Video.report_progress(video_id, "artwork", TRANSCODE_SHARE + 2))
        poster = make_poster(source_path, info, work / layout.POSTER, limits=limits)
        # The lowest rung's 2 s keyframes are enough for tiles, and far cheaper than decoding the source.
        sprite, vtt = make_storyboard(work / "hls" / rungs[0].name / "index.m3u8", info, work / "storyboard",
                                      sprite_name=layout.STORYBOARD_SPRITE, vtt_name=layout.STORYBOARD_TRACK,
                                      keyframes_only=True, limits=limits)
        artwork = upload_artwork(ctx, video_id, take, poster, sprite, vtt)
        finish_video(ctx, video_id, take, rungs, info.has_audio, bandwidths, artwork)


def upload_artwork(ctx: JobContext, video_id: str, take: str, poster: Path, sprite: Path, vtt: Path) -> dict[str, str]:
    """Upload one take's poster, storyboard sprite and its track; their keys by asset kind."""
    keys = layout.artwork(video_id, take)
    for kind, path in {"poster": poster, "storyboard": sprite, "thumbnails": vtt}.items():
        ctx.storage.upload_file(keys[kind], str(path), content_type_of(path))
    return keys


def download_source(ctx: JobContext, key: str, confirmed: ObjectStat | None, path: Path) -> Path:
    """The source, as confirmed, at `path` (through this worker's source cache when the confirm recorded its ETag);
    UnplayableSource if it is gone or was replaced since."""

    def fetch(target: Path) -> None:
        ctx.storage.download_file(key, str(target), expect=confirmed)

    try:
        source_cache.obtain(ctx.config, key, confirmed, path, fetch)
    except FileNotFoundError:
        raise UnplayableSource("the uploaded file is missing from storage: upload it again") from None
    except ObjectChanged:  # no retry can bring the confirmed bytes back
        raise UnplayableSource(SOURCE_CHANGED) from None
    return path


def confirmed_source(video: Video) -> ObjectStat | None:
    """The source its confirm recorded (None for videos confirmed before ETags were recorded)."""
    return ObjectStat(size=video.source_size, etag=video.source_etag) if video.source_etag else None


def check_cancelled(ctx: JobContext) -> None:
    """Raise JobCancelled once the worker is stopping (checked between steps of every kind of job)."""
    if ctx.cancel.is_set():
        raise JobCancelled()



_P = ParamSpec("_P")


def cancellable(ctx: JobContext, callback: Callable[_P, None]) -> Callable[_P, None]:
    def wrapped(*args: _P.args, **kwargs: _P.kwargs) -> None:
        check_cancelled(ctx)  # raising here makes the ladder runner stop ffmpeg
        callback(*args, **kwargs)

    return wrapped


class ProgressWriter:
    """ffmpeg's progress callback: per cent and stage on the video row, at most once a second."""

    def __init__(self, ctx: JobContext, video_id: str, interval: float = 1.0):
        self.ctx, self.video_id, self.interval = ctx, video_id, interval
        self._last = float("-inf")

    def __call__(self, percent: float, stage: str) -> None:
        check_cancelled(self.ctx)
        now = time.monotonic()
        if now - self._last < self.interval:
            return
        self._last = now
        settle(self.ctx.db, Video.report_progress(self.video_id, stage, round(percent * TRANSCODE_SHARE / 100, 1)))


# --- the video row through a job: each status change is a transition of Video --------------------------------

def settle(db: Database, transition: Update) -> None:
    """Run one transition in its own transaction."""
    with db.session() as session:
        session.execute(transition)


def fail_video(db: Database, video_id: str, reason: str, *, rejected: bool = False) -> None:
    """Fail the video in its own transaction, with its `video.failed` webhook event."""
    with db.session() as session:
        session.execute(Video.fail(video_id, reason, rejected=rejected))
        record_event(session, session.get(Video, video_id), EventType.VIDEO_FAILED)


def start_video(db: Database, video_id: str) -> tuple[str, ObjectStat | None]:
    """Mark the video processing (one more attempt); its source key, and the source its confirm recorded
    (None for videos confirmed before ETags were recorded)."""
    with db.session() as session:
        session.execute(Video.start(video_id, "downloading"))
        video = session.get(Video, video_id)
        if video is None:  # deleted since the job was taken: the retry finds nothing to do and drops it
            raise LookupError("the video was deleted")
        return video.source_key, confirmed_source(video)


def reset_outputs(ctx: JobContext, video_id: str, take: str, info: SourceInfo) -> bool:
    """Start the transcode publishing under `take`, forgetting a previous attempt's outputs so a retry replaces them
    instead of adding to them (caption tracks stay: they are the video's, not the transcode's).

    A video with a whole ladder published (its file replaced, or transcoded again by force) keeps it playing until
    the new one is whole (`finish_in` swaps them): True then. Only an unfinished attempt's take is removed now."""
    with ctx.db.session() as session:
        video = session.get(Video, video_id)
        published = {layout.take_of(a.key) for a in (video.assets if video else []) if a.kind == "variant"
                     and a.complete}
        abandoned = video.take if video is not None and video.take not in published else None
        session.execute(delete(TranscodePart).where(TranscodePart.video_id == video_id))
        if not published:
            session.execute(delete(MediaAsset).where(MediaAsset.video_id == video_id))
        session.execute(Video.report_progress(video_id, "transcoding").values(
            duration=info.duration, width=info.width, height=info.height, take=take))
    if not published:
        ctx.storage.delete_prefix(layout.takes_prefix(video_id))
    elif abandoned:
        ctx.storage.delete_prefix(layout.take_prefix(video_id, abandoned))
    return bool(published)


def record_variant(db: Database, video_id: str, take: str, rung: Rung, has_audio: bool,
                   bandwidth: Bandwidth) -> None:
    """A rung's first segment is online: record it (growing), so streaming lists it in the master."""
    with db.session() as session:
        upsert_variant(session, video_id, take, rung, has_audio, bandwidth, complete=False)
        session.execute(Video.report_progress(video_id, "transcoding (playable)"))


def finish_video(ctx: JobContext, video_id: str, take: str, rungs: list[Rung], has_audio: bool,
                 bandwidths: dict[str, Bandwidth], artwork: dict[str, str]) -> None:
    """Everything is uploaded: record the final assets and make the video ready (finish_in), then send the jobs
    and remove the ladder it replaced."""
    with ctx.db.session() as session:
        finished = finish_in(session, ctx.queue, ctx.config, video_id, take, rungs, has_audio, bandwidths, artwork)
    finished.settle(ctx.db, ctx.queue, ctx.storage)


@dataclass(frozen=True)
class Finished:
    """What making a video ready leaves to do once its transaction has committed."""

    video_id: str
    jobs: list[int]
    """Outbox rows to relay (the transcribe jobs)."""
    old_takes: list[str]
    """Takes whose assets the new ladder replaced: their files go."""

    def settle(self, db: Database, queue: Queue, storage: Storage | None = None) -> None:
        for job in self.jobs:
            outbox.relay_after_commit(db, queue, job)
        if storage is not None:
            for take in self.old_takes:
                storage.delete_prefix(layout.take_prefix(self.video_id, take))


def finish_in(session: Session, queue: Queue, config: dict[str, Any], video_id: str, take: str, rungs: list[Rung],
              has_audio: bool, bandwidths: dict[str, Bandwidth], artwork: dict[str, str],
              audio: Bandwidth | None = None) -> Finished:
    """Record the final assets (every rung, the `audio` rendition if the sound is one, the artwork) and make the
    video ready in the caller's transaction, with its `video.ready` event; an earlier take's assets (a replaced
    file's ladder, kept playing until now) go in the same transaction. The transcribe jobs its upload asked for are
    written in it too: captions start once the video plays, never before."""
    current = layout.take_prefix(video_id, take)
    before = session.scalars(select(MediaAsset.key).where(MediaAsset.video_id == video_id)).all()
    old_takes = sorted({layout.take_of(key) for key in before if not key.startswith(current)} - {""})
    for rung in rungs:
        upsert_variant(session, video_id, take, rung, has_audio, bandwidths[rung.name], complete=True)
    if audio is not None:
        upsert_audio(session, video_id, take, audio)
    for kind, key in artwork.items():
        upsert_asset(session, video_id, kind, "", key=key, width=None, height=None, complete=True)
    session.flush()
    # What the new ladder has no row of its own for (a rung it lacks, a sound no longer its own rendition) goes too.
    session.execute(delete(MediaAsset).where(MediaAsset.video_id == video_id,
                                             ~MediaAsset.key.startswith(current, autoescape=True)))
    session.execute(Video.finish(video_id))
    video = session.get(Video, video_id)
    record_event(session, video, EventType.VIDEO_READY)
    jobs = queue_generated_on_ready(session, queue, config, video) if video is not None else []
    return Finished(video_id, jobs, old_takes)


def upsert_audio(session: Session, video_id: str, take: str, bandwidth: Bandwidth) -> None:
    """The sound's own rendition (a chunked transcode's), which every rung names in the master playlist."""
    upsert_asset(session, video_id, "audio", layout.AUDIO, key=layout.rung_playlist(video_id, take, layout.AUDIO),
                 width=None, height=None, bitrate=bandwidth.peak, average_bitrate=bandwidth.average,
                 codecs=AUDIO_CODEC, complete=True)


def upsert_variant(session: Session, video_id: str, take: str, rung: Rung, has_audio: bool, bandwidth: Bandwidth,
                   complete: bool) -> None:
    """A rung's row: its playlist's key, size, rates and codecs (the sound's too, muxed in or its own rendition)."""
    upsert_asset(session, video_id, "variant", rung.name, key=layout.rung_playlist(video_id, take, rung.name),
                 width=rung.width, height=rung.height, bitrate=bandwidth.peak, average_bitrate=bandwidth.average,
                 frame_rate=float(rung.fps), codecs=codecs_of(rung, has_audio), complete=complete)


def upsert_asset(session: Session, video_id: str, kind: str, rung: str, **values: Any) -> None:
    asset = session.scalars(select(MediaAsset).where(
        MediaAsset.video_id == video_id, MediaAsset.kind == kind, MediaAsset.rung == rung)).first()
    if asset is None:
        asset = MediaAsset(video_id=video_id, kind=kind, rung=rung)
        session.add(asset)
    for name, value in values.items():
        setattr(asset, name, value)


# --- operators: retry, redrive, dead letters ---------------------------------------------------

def retry_video(db: Database, queue: Queue, video_id: str, force: bool = False) -> Video:
    """Queue a new transcode for a failed video (any confirmed video with force), through the outbox as the
    owner's retry: the job is committed with the status change, so a crash before it is sent loses nothing."""
    request_id = request_id_var.get()
    with db.session() as session:
        video = session.get(Video, video_id)
        if video is None:
            raise NoSuchVideo(message=f"No video {video_id}.")
        if video.status == Status.AWAITING_UPLOAD:
            raise Refusal(409, "Cannot retry: the upload has not been confirmed yet.")
        if video.status != Status.FAILED and not force:
            raise Refusal(409, f"Cannot retry: the video is {video.status}, not failed (use force to transcode it "
                               "again).")
        message = outbox.queue_transcode(session, queue, Video.retry(video_id, request_id=request_id, force=force),
                                         video_id, request_id)
        if message is None:  # someone else changed it since it was read
            raise Refusal(409, "Cannot retry: the video changed while being retried; look at it again.")
        # A new plan: the last one's chunks still in the queue find no part to work on.
        session.execute(delete(TranscodePart).where(TranscodePart.video_id == video_id))
    outbox.relay_after_commit(db, queue, message.id)
    return video


def queue_status(db: Database, queue: Queue, config: dict[str, Any]) -> dict[str, Any]:
    """Queue depth, jobs in flight, dead letters, and the live workers with their slots (QueueStatusSchema)."""
    depth = queue.depth()
    with db.session() as session:
        workers = scaling.live_workers(session, float(config["WORKER_HEARTBEAT_SECONDS"]))
    slots = sum(w.concurrency for w in workers)
    return {"depth": depth.visible, "in_flight": depth.in_flight, "dead_letters": depth.dead, "workers": slots,
            "backlog_per_worker": scaling.backlog_per_worker(depth.visible, slots), "worker_processes": workers}


def dead_letters(db: Database, queue: Queue, limit: int = 100) -> list[dict[str, Any]]:
    """Dead letters with their video and the last error (the queue's, else the video's)."""
    letters = queue.dead_letters(limit)
    ids = [video_id for d in letters if (video_id := _video_of(d.body)) is not None]
    with db.session() as session:
        errors = dict(session.execute(select(Video.id, Video.error).where(Video.id.in_(ids))).all()) if ids else {}
    return [{"id": d.id, "video_id": d.body.get("video_id"), "receive_count": d.receive_count,
             "error": d.error or errors.get(_video_of(d.body) or "")} for d in letters]


def _video_of(body: dict[str, Any]) -> str | None:
    """The video a job names (None for a message that is not a transcode job)."""
    video_id = body.get("video_id")
    return video_id if isinstance(video_id, str) else None


def redrive_dead_letters(db: Database, queue: Queue, ids: list[str] | None = None) -> int:
    """Send dead letters back to the queue; their failed videos go back to queued first, so the job runs."""
    letters = [d for d in queue.dead_letters(10_000) if ids is None or d.id in ids]
    video_ids = [video_id for d in letters if (video_id := _video_of(d.body)) is not None]
    if video_ids:
        settle(db, Video.retry(video_ids))  # the redriven message is their job (and carries its request id)
    return queue.redrive(ids)


def fail_dead_lettered(db: Database, queue: Queue) -> int:
    """Videos whose message died without the worker knowing (it crashed on the last attempt) are failed now."""
    letters = queue.dead_letters(100)
    failed = 0
    # A video queued in the last minutes may be a redrive in progress (video first, then message).
    settled = utcnow() - timedelta(minutes=2)
    with db.session() as session:
        for letter in letters:
            video_id = _video_of(letter.body)
            video = session.get(Video, video_id) if video_id is not None else None
            if video is not None and video.status in WORKABLE and (video.queued_at or settled) <= settled:
                reason = (f"Processing failed {letter.receive_count} times"
                          + (f"; last error: {letter.error}" if letter.error else " (the worker stopped)"))
                if rows_matched(session.execute(Video.fail(video.id, reason).where(Video.status.in_(WORKABLE)))):
                    failed += 1
                    record_event(session, video, EventType.VIDEO_FAILED)
    return failed
