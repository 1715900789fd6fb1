"""The transcode job: one queue message in, a published HLS ladder (or a clear failure) out."""

from __future__ import annotations

import logging
import tempfile
import threading
import time
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import delete, select, update

from videoforge.logs import new_request_id, request_id_var
from videoforge.models import REJECTED, MediaAsset, Video, utcnow
from videoforge.modules.processor.artwork import make_poster, make_storyboard
from videoforge.modules.processor.encode import TranscodeFailed, transcode_ladder
from videoforge.modules.processor.ladder import Rung, plan_ladder
from videoforge.modules.processor.limits import LimitExceeded, Limits
from videoforge.modules.processor.probe import SourceInfo, UnplayableSource, probe
from videoforge.modules.processor.publish import Publisher, codecs_of, content_type_of, processed_prefix
from videoforge.modules.processor.reasons import scrub_paths
from videoforge.ports.queue import Message
from videoforge.ports.storage import ObjectChanged, ObjectStat

log = logging.getLogger("videoforge.processor")

JOB_TYPE = "transcode"
TRANSCODE_SHARE = 90.0
"""Per cent of the progress bar the ladder fills; poster, storyboard and publishing the rest."""
WORKABLE = ("queued", "processing")
"""Video statuses a job message still has work for; any other makes the message a no-op."""
SOURCE_CHANGED = "the source changed after it was confirmed; upload it again"
"""Why a video fails whose stored source is no longer the one confirmed (replaced through its upload URL)."""


class JobCancelled(Exception):
    """The worker is stopping: the job's message goes back to the queue at once."""


@dataclass
class Job:
    """What a job needs from its worker: the ports, the config, and the stop signal."""

    db: Any
    queue: Any
    storage: Any
    config: dict[str, Any]
    cancel: threading.Event = field(default_factory=threading.Event)


def transcode_body(video_id: str, request_id: str | None = None) -> dict[str, Any]:
    """The job message for a video: {"type": "transcode", "video_id", "request_id"}."""
    return {"type": JOB_TYPE, "video_id": video_id, "request_id": request_id or new_request_id()}


def handle_message(job: Job, message: Message) -> str:
    """Process one message and settle it (delete or release). Returns what happened, for logs and tests:
    done, skipped, failed (permanent), retry, dead (out of receives), released (worker stopping)."""
    body = message.body or {}
    token = request_id_var.set(str(body.get("request_id") or new_request_id())[:64])
    video_id = body.get("video_id")
    extra = {"video_id": video_id, "job": message.id}
    try:
        if body.get("type") != JOB_TYPE or not isinstance(video_id, str):
            log.warning("dropping a message that is not a transcode job: %r", body, extra=extra)
            job.queue.delete(message)
            return "skipped"
        with job.db.session() as session:
            video = session.get(Video, video_id)
            status = video.status if video is not None else "deleted"
        if status not in WORKABLE:
            # A redelivery after the work was done (or the video is gone): nothing to do, twice.
            log.info("video is %s: nothing to do", status, extra=extra)
            job.queue.delete(message)
            return "skipped"
        log.info("transcode starts (receive %d)", message.receive_count, extra=extra)
        started = time.monotonic()
        try:
            transcode(job, video_id)
        except (UnplayableSource, LimitExceeded) as exc:  # no retry can help either
            log.info("not playable: %s", exc.reason, extra=extra)
            fail_video(job.db, video_id, describe_error(exc), stage=REJECTED)
            job.queue.delete(message)
            return "failed"
        except JobCancelled:
            log.info("worker stopping: job handed back", extra=extra)
            requeue_video(job.db, video_id, stage="handed back: worker stopped")
            job.queue.release(message)
            return "released"
        except Exception as exc:  # noqa: BLE001 - every other failure is worth another try
            return _transient_failure(job, message, video_id, exc, extra)
        job.queue.delete(message)
        log.info("transcode done in %.1f s", time.monotonic() - started, extra=extra)
        return "done"
    finally:
        request_id_var.reset(token)


def _transient_failure(job: Job, message: Message, video_id: str, exc: Exception, extra: dict) -> str:
    reason = describe_error(exc)
    attempts, most = message.receive_count, job.queue.max_receives
    if attempts >= most:
        # SQS dead-letters silently on the next receive, so the video learns its fate here, in both backends.
        log.error("giving up after %d attempts: %s", attempts, reason, extra=extra)
        fail_video(job.db, video_id, f"Processing failed {attempts} times; last error: {reason}")
        job.queue.release(message, error=reason)
        return "dead"
    delay = retry_delay(int(job.config.get("RETRY_BACKOFF_SECONDS", 30)), attempts)
    log.warning("attempt %d of %d failed, retrying in %d s: %s", attempts, most, delay, reason, extra=extra,
                exc_info=not isinstance(exc, TranscodeFailed))
    requeue_video(job.db, video_id, stage=f"retrying (attempt {attempts + 1} of {most})", error=reason)
    job.queue.release(message, delay=delay, error=reason)
    return "retry"


def retry_delay(base: int, attempts: int) -> int:
    """Exponential backoff: base, 2x base, 4x base... capped at an hour."""
    return min(3600, base * 2 ** max(0, attempts - 1))


def describe_error(exc: BaseException) -> str:
    """One line a person can read, naming no path on the worker (the video's owner reads it)."""
    reason = getattr(exc, "reason", None) or str(exc) or type(exc).__name__
    return scrub_paths(reason)[:1000]


def transcode(job: Job, video_id: str) -> None:
    """Download, probe, transcode and publish as it grows, then artwork; raises on failure."""
    cfg = job.config
    with tempfile.TemporaryDirectory(dir=cfg.get("WORK_DIR") or None, prefix=f"vf-{video_id[:8]}-") as scratch:
        work = Path(scratch)
        source_key, confirmed = start_video(job.db, video_id)
        source_path = work / "source"
        try:
            job.storage.download_file(source_key, str(source_path), expect=confirmed)
        except FileNotFoundError:
            raise UnplayableSource("the uploaded file is missing from storage: upload it again") from None
        except ObjectChanged:  # no retry can bring the confirmed bytes back
            raise UnplayableSource(SOURCE_CHANGED) from None
        _check(job)
        set_stage(job.db, video_id, "probing", 1.0)
        limits = Limits.from_config(cfg)
        info = probe(source_path, max_duration=float(cfg.get("MAX_DURATION", 4 * 3600)), limits=limits)
        rungs = plan_ladder(info, heights=tuple(int(h) for h in cfg.get("LADDER_HEIGHTS", (1080, 720, 480, 360))))
        reset_outputs(job, video_id, info)
        publisher = Publisher(job.storage, video_id, rungs, info.has_audio, work / "publish",
                              on_join=lambda rung, bandwidth: record_variant(job.db, video_id, rung, info, bandwidth))
        publisher.start()
        try:
            transcode_ladder(
                source_path, work / "hls", info, rungs,
                on_progress=ProgressWriter(job, video_id), on_segment=_cancellable(job, publisher.add),
                stall_seconds=float(cfg.get("STALL_SECONDS", 120)), limits=limits,
                preset=cfg.get("X264_PRESET", "veryfast"), segment_seconds=int(cfg.get("SEGMENT_SECONDS", 4)))
        except BaseException:
            publisher.abort()
            raise
        bandwidths = publisher.finish()
        _check(job)
        set_stage(job.db, video_id, "artwork", TRANSCODE_SHARE + 2)
        prefix = processed_prefix(video_id)
        poster = make_poster(source_path, info, work / "poster.jpg", limits=limits)
        # The lowest rung's 2 s keyframes are enough for tiles, and far cheaper than decoding the source.
        sprite, vtt = make_storyboard(work / "hls" / rungs[0].name / "index.m3u8", info, work / "storyboard",
                                      keyframes_only=True, limits=limits)
        artwork = {"poster": (f"{prefix}/poster.jpg", poster), "storyboard": (f"{prefix}/storyboard.jpg", sprite),
                   "thumbnails": (f"{prefix}/storyboard.vtt", vtt)}
        for key, path in artwork.values():
            job.storage.upload_file(key, str(path), content_type_of(path))
        finish_video(job.db, video_id, rungs, info, bandwidths, {kind: key for kind, (key, _) in artwork.items()})


def _check(job: Job) -> None:
    if job.cancel.is_set():
        raise JobCancelled()


def _cancellable(job: Job, callback):
    def wrapped(*args):
        _check(job)  # raising here makes the ladder runner stop ffmpeg
        callback(*args)

    return wrapped


class ProgressWriter:
    """ffmpeg's progress callback: per cent and stage on the video row, at most once a second."""

    def __init__(self, job: Job, video_id: str, interval: float = 1.0):
        self.job, self.video_id, self.interval = job, video_id, interval
        self._last = float("-inf")

    def __call__(self, percent: float, stage: str) -> None:
        _check(self.job)
        now = time.monotonic()
        if now - self._last < self.interval:
            return
        self._last = now
        set_stage(self.job.db, self.video_id, stage, round(percent * TRANSCODE_SHARE / 100, 1))


# --- the video row through a job ----------------------------------------------------------------

def start_video(db, video_id: str) -> tuple[str, ObjectStat | None]:
    """Mark the video processing (one more attempt); its source key, and the source its confirm recorded
    (None for videos confirmed before ETags were recorded)."""
    with db.session() as session:
        video = session.get(Video, video_id)
        video.status, video.stage, video.progress = "processing", "downloading", 0.0
        video.started_at, video.attempts = utcnow(), (video.attempts or 0) + 1
        confirmed = ObjectStat(size=video.source_size, etag=video.source_etag) if video.source_etag else None
        return video.source_key, confirmed


def set_stage(db, video_id: str, stage: str, progress: float) -> None:
    with db.session() as session:
        session.execute(update(Video).where(Video.id == video_id).values(stage=stage, progress=progress))


def reset_outputs(job: Job, video_id: str, info: SourceInfo) -> None:
    """Forget a previous attempt's outputs, so a retry replaces them instead of adding to them."""
    with job.db.session() as session:
        session.execute(delete(MediaAsset).where(MediaAsset.video_id == video_id))
        session.execute(update(Video).where(Video.id == video_id).values(
            duration=info.duration, width=info.width, height=info.height, stage="transcoding"))
    job.storage.delete_prefix(processed_prefix(video_id) + "/")


def record_variant(db, video_id: str, rung: Rung, info: SourceInfo, bandwidth: int) -> None:
    """A rung has joined the master: record it (growing) and, with the first, the master itself."""
    with db.session() as session:
        _upsert_asset(session, video_id, "variant", rung.name, key=f"{processed_prefix(video_id)}/{rung.name}/index.m3u8",
                      width=rung.width, height=rung.height, bitrate=bandwidth or None,
                      codecs=codecs_of(rung, info.has_audio), complete=False)
        _upsert_asset(session, video_id, "master", "", key=f"{processed_prefix(video_id)}/master.m3u8", complete=False)
        session.execute(update(Video).where(Video.id == video_id).values(stage="transcoding (playable)"))


def finish_video(db, video_id: str, rungs: list[Rung], info: SourceInfo, bandwidths: dict[str, int | None],
                 artwork: dict[str, str]) -> None:
    """Everything is uploaded: record the final assets and make the video ready."""
    prefix = processed_prefix(video_id)
    with db.session() as session:
        for rung in rungs:
            _upsert_asset(session, video_id, "variant", rung.name, key=f"{prefix}/{rung.name}/index.m3u8",
                          width=rung.width, height=rung.height, bitrate=bandwidths.get(rung.name),
                          codecs=codecs_of(rung, info.has_audio), complete=True)
        _upsert_asset(session, video_id, "master", "", key=f"{prefix}/master.m3u8", complete=True)
        for kind, key in artwork.items():
            _upsert_asset(session, video_id, kind, "", key=key, width=None, height=None, complete=True)
        video = session.get(Video, video_id)
        video.status, video.stage, video.progress, video.error = "ready", None, 100.0, None
        video.finished_at = utcnow()


def _upsert_asset(session, video_id: str, kind: str, rung: str, **values: Any) -> None:
    asset = session.scalars(select(MediaAsset).where(
        MediaAsset.video_id == video_id, MediaAsset.kind == kind, MediaAsset.rung == rung)).first()
    if asset is None:
        asset = MediaAsset(video_id=video_id, kind=kind, rung=rung)
        session.add(asset)
    for name, value in values.items():
        setattr(asset, name, value)


def fail_video(db, video_id: str, reason: str, stage: str | None = None) -> None:
    """The video will not play: say why, in words its owner understands (stage REJECTED: no retry helps)."""
    with db.session() as session:
        session.execute(update(Video).where(Video.id == video_id).values(
            status="failed", error=reason[:2000], stage=stage, finished_at=utcnow()))


def requeue_video(db, video_id: str, stage: str, error: str | None = None) -> None:
    """Back to waiting (a retry is scheduled, or the worker handed the job back)."""
    with db.session() as session:
        session.execute(update(Video).where(Video.id == video_id).values(
            status="queued", stage=stage, progress=0.0, error=error))


# --- operators: retry, redrive, dead letters ---------------------------------------------------

class CannotRetry(Exception):
    """The video is not in a state a retry makes sense for; the message says which."""


def retry_video(db, queue, video_id: str, force: bool = False) -> Video:
    """Queue a new transcode for a failed video (any video with force)."""
    with db.session() as session:
        video = session.get(Video, video_id)
        if video is None:
            raise LookupError(f"no video {video_id!r}")
        if video.status == "awaiting_upload":
            raise CannotRetry("the upload has not been confirmed yet")
        if video.status != "failed" and not force:
            raise CannotRetry(f"the video is {video.status}, not failed (use force to transcode it again)")
        previous = (video.status, video.error)
        video.status, video.error, video.stage, video.progress = "queued", None, None, 0.0
        video.queued_at, video.finished_at = utcnow(), None
        body = transcode_body(video.id, request_id_var.get())
        if queue.transactional:
            queue.send(body, session=session)  # commits with the status change, or not at all
    if not queue.transactional:
        try:
            queue.send(body)
        except Exception:
            with db.session() as session:
                session.execute(update(Video).where(Video.id == video_id).values(
                    status=previous[0], error=previous[1]))
            raise
    return video


def dead_letters(db, queue, limit: int = 100) -> list[dict[str, Any]]:
    """Dead letters with their video and the last error (the queue's, else the video's)."""
    letters = queue.dead_letters(limit)
    ids = [d.body.get("video_id") for d in letters if isinstance(d.body.get("video_id"), str)]
    with db.session() as session:
        errors = dict(session.execute(select(Video.id, Video.error).where(Video.id.in_(ids))).all()) if ids else {}
    return [{"id": d.id, "video_id": d.body.get("video_id"), "receive_count": d.receive_count,
             "error": d.error or errors.get(d.body.get("video_id"))} for d in letters]


def redrive_dead_letters(db, queue, ids: list[str] | None = None) -> int:
    """Send dead letters back to the queue; their failed videos go back to queued first, so the job runs."""
    letters = [d for d in queue.dead_letters(10_000) if ids is None or d.id in ids]
    video_ids = [d.body.get("video_id") for d in letters if isinstance(d.body.get("video_id"), str)]
    if video_ids:
        with db.session() as session:
            session.execute(update(Video).where(Video.id.in_(video_ids), Video.status == "failed").values(
                status="queued", error=None, stage=None, progress=0.0, queued_at=utcnow(), finished_at=None))
    return queue.redrive(ids)


def fail_dead_lettered(db, queue) -> int:
    """Videos whose message died without the worker knowing (it crashed on the last attempt) are failed now."""
    letters = queue.dead_letters(100)
    failed = 0
    # A video queued in the last minutes may be a redrive in progress (video first, then message).
    settled = utcnow() - timedelta(minutes=2)
    with db.session() as session:
        for letter in letters:
            video_id = letter.body.get("video_id")
            video = session.get(Video, video_id) if isinstance(video_id, str) else None
            if video is not None and video.status in WORKABLE and (video.queued_at or settled) <= settled:
                video.status, video.stage, video.finished_at = "failed", None, utcnow()
                video.error = (f"Processing failed {letter.receive_count} times"
                               + (f"; last error: {letter.error}" if letter.error else " (the worker stopped)"))
                failed += 1
    return failed
