"""The transcribe job: a video's audio into its generated caption track, after the video is ready.

The job is written when the ladder is done (queue_generated_on_ready, in finish_video's transaction) or when the
owner asks later, so captions never delay playback. Whatever happens here touches only the caption row: a failure
leaves the video ready and playable, and the track `failed` with a plain reason (no path in it).

The source is opened as the ladder opens it (inputs.source_input: the probed demuxer, pinned; limits.run: the same
resource limits; reasons.scrub_paths on every error). No sound at all, or sound without recognisable speech, fails
the track with that reason rather than publishing an empty track the player's menu would offer for nothing.
"""

from __future__ import annotations

import logging
import subprocess
import tempfile
import time
from pathlib import Path
from typing import Any

from sqlalchemy import update

from videoforge import layout
from videoforge.captions import store_track
from videoforge.db import Database, rows_matched
from videoforge.lifecycle import CaptionStatus
from videoforge.models import Caption, Video
from videoforge.modules.processor.cues import make_cues
from videoforge.modules.processor.encode import TranscodeFailed
from videoforge.modules.processor.inputs import NotAllowed, file_url, source_input
from videoforge.modules.processor.limits import Limits, run
from videoforge.modules.processor.probe import UnplayableSource, probe
from videoforge.modules.processor.reasons import JobFailure, scrub_paths
from videoforge.modules.processor.service import JobCancelled, JobContext, Outcome, check_cancelled, describe_error
from videoforge.ports.queue import Message
from videoforge.ports.storage import ObjectChanged, ObjectStat
from videoforge.ports.transcription import SAMPLE_RATE, TranscriptionFailed, make_transcriber

log = logging.getLogger("videoforge.processor")

ACTIVE = (CaptionStatus.PENDING, CaptionStatus.PROCESSING)
"""A track a transcribe job still has work for; any other makes the message a no-op."""
NO_AUDIO = "the video has no sound to transcribe"
NO_SPEECH = "no speech was found in the audio"


class NothingToDo(Exception):
    """The video or the track was deleted, or the track was settled by someone else: stop quietly."""


class NoSpeech(JobFailure):
    """The audio holds nothing to caption; no retry changes that."""

    permanent = True


def handle_transcribe(ctx: JobContext, message: Message, extra: dict[str, Any]) -> Outcome:
    """Process one transcribe message and settle it (service.handle_message hands it over); says what happened."""
    body = message.body
    video_id, caption_id = body.get("video_id"), body.get("caption_id")
    extra = {**extra, "caption_id": caption_id}
    if not isinstance(caption_id, str) or not isinstance(video_id, str) or not start_track(ctx.db, video_id,
                                                                                          caption_id):
        log.info("transcribe: the track is gone or settled: nothing to do", extra=extra)
        ctx.queue.delete(message)
        return Outcome.SKIPPED
    log.info("transcription starts (receive %d)", message.receive_count, extra=extra)
    started = time.monotonic()
    try:
        transcribe_track(ctx, video_id, caption_id)
    except NothingToDo:
        log.info("transcribe: the video or track was deleted meanwhile", extra=extra)
        ctx.queue.delete(message)
        return Outcome.SKIPPED
    except JobCancelled:
        settle_track(ctx.db, caption_id, CaptionStatus.PENDING)
        ctx.queue.release(message)
        return Outcome.RELEASED
    except Exception as exc:  # every failure ends on the track, never on the video
        reason = describe_error(exc)
        permanent = getattr(exc, "permanent", False) or isinstance(exc, (UnplayableSource, NotAllowed))
        if permanent or message.receive_count >= ctx.queue.max_receives:
            log.info("transcription failed: %s", reason, extra=extra)
            settle_track(ctx.db, caption_id, CaptionStatus.FAILED, reason)
            ctx.queue.delete(message)  # the track says why; the owner may ask again (no dead letter needed)
            return Outcome.FAILED
        log.warning("transcription attempt %d failed, retrying: %s", message.receive_count, reason, extra=extra,
                    exc_info=not isinstance(exc, JobFailure | TranscriptionFailed))
        settle_track(ctx.db, caption_id, CaptionStatus.PENDING, reason)
        ctx.queue.release(message, delay=int(ctx.config.get("RETRY_BACKOFF_SECONDS", 30)), error=reason)
        return Outcome.RETRY
    ctx.queue.delete(message)
    log.info("transcription done in %.1f s", time.monotonic() - started, extra=extra)
    return Outcome.DONE


def start_track(db: Database, video_id: str, caption_id: str) -> bool:
    """pending (or processing: a redelivery after a crash) → processing; False when there is nothing to do."""
    with db.session() as session:
        return bool(rows_matched(session.execute(update(Caption).where(
            Caption.id == caption_id, Caption.video_id == video_id, Caption.status.in_(ACTIVE)).values(
            status=CaptionStatus.PROCESSING, error=None))))


def settle_track(db: Database, caption_id: str, status: CaptionStatus, error: str | None = None) -> None:
    """The track's outcome, if it is still this job's (a deleted track stays deleted)."""
    with db.session() as session:
        session.execute(update(Caption).where(Caption.id == caption_id, Caption.status.in_(ACTIVE)).values(
            status=status, error=error))


def transcribe_track(ctx: JobContext, video_id: str, caption_id: str) -> None:
    """Download the source, extract its audio, transcribe, group into cues and store the track; raises."""
    cfg = ctx.config
    transcriber = make_transcriber(cfg, ctx.storage)
    if transcriber is None:
        raise TranscriptionFailed("generated captions are turned off on this server", permanent=True)
    with ctx.db.session() as session:
        video, caption = session.get(Video, video_id), session.get(Caption, caption_id)
        if video is None or caption is None:
            raise NothingToDo()
        source_key, language = video.source_key, caption.language
        confirmed = ObjectStat(size=video.source_size, etag=video.source_etag) if video.source_etag else None
    with tempfile.TemporaryDirectory(dir=cfg.get("WORK_DIR") or None, prefix=f"vf-cc-{video_id[:8]}-") as scratch:
        work = Path(scratch)
        source, audio = work / "source", work / "audio.wav"
        try:
            ctx.storage.download_file(source_key, str(source), expect=confirmed)
        except FileNotFoundError:
            raise UnplayableSource("the uploaded file is no longer in storage") from None
        except ObjectChanged:
            raise UnplayableSource("the stored source changed after it was confirmed") from None
        limits = Limits.from_config(cfg)
        info = probe(source, max_duration=float(cfg.get("MAX_DURATION", 4 * 3600)), limits=limits)
        if not info.has_audio:
            raise NoSpeech(NO_AUDIO)
        extract_audio(source, info.format_name, info.duration, audio, limits)
        check_cancelled(ctx)
        words = transcriber.transcribe(audio, language, job=f"{video_id}-{caption_id}-{layout.new_take()}",
                                       check=lambda: check_cancelled(ctx))
    cues = make_cues(words)
    if not cues:
        raise NoSpeech(NO_SPEECH)
    with ctx.db.session() as session:
        # Locked, so a delete or a second job cannot interleave; gone or settled meanwhile: publish nothing.
        caption = session.get(Caption, caption_id, with_for_update=True)
        if caption is None or caption.status != CaptionStatus.PROCESSING:
            raise NothingToDo()
        store_track(session, ctx.storage, caption, cues)


def extract_audio(source: Path, format_name: str, duration: float, out: Path, limits: Limits) -> Path:
    """The first audio stream as 16 kHz mono 16-bit PCM WAV, read with the probed demuxer pinned, under `limits`."""
    cmd = ["ffmpeg", "-v", "error", "-nostdin", "-y", *source_input(source, format_name),
           "-map", "0:a:0", "-vn", "-sn", "-dn", "-ac", "1", "-ar", str(SAMPLE_RATE), "-c:a", "pcm_s16le",
           "-f", "wav", file_url(out)]
    timeout = max(120.0, duration)  # decoding audio runs at hundreds of times real time; this only catches a hang
    try:
        done = run(cmd, limits, duration, timeout=timeout)
    except subprocess.TimeoutExpired:
        raise TranscodeFailed(f"audio: ffmpeg took longer than {timeout:g} s") from None
    if done.returncode != 0 or not out.is_file():
        tail = " | ".join(done.stderr.strip().splitlines()[-5:]) or "no error output"
        raise TranscodeFailed(scrub_paths(f"audio: ffmpeg failed (exit status {done.returncode}): {tail}",
                                          source=source, work=out.parent))
    return out
