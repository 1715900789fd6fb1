"""Chunked transcodes: one long video's ladder shared by the worker group, through the same queue.

The transcode job of a source longer than CHUNK_THRESHOLD_SECONDS becomes the plan (`plan_chunked`): it encodes the
sound once for the whole video as its own HLS rendition (an EXT-X-MEDIA audio group: no chunk join can put a gap or an
AAC priming click in it), writes one part row and one queue message per chunk in one transaction, then makes the
poster and storyboard from the source while the chunks run. Any worker takes a chunk (`handle_chunk`): it decodes only
that chunk and encodes every rung in one pass (the same one-decode cascade), publishing segments as they come
(assembly.py puts them in order). A lost worker costs its chunk alone: the message comes back after its visibility
timeout and the next worker redoes that chunk, keeping the segments already listed.
"""

from __future__ import annotations

import logging
import tempfile
from pathlib import Path
from typing import Any

from videoforge import layout, outbox
from videoforge.lifecycle import PartStatus
from videoforge.logs import request_id_var
from videoforge.models import EXTRAS_PART, TranscodePart, Video
from videoforge.modules.processor.artwork import make_poster, make_storyboard
from videoforge.modules.processor.assembly import (
    Assembly,
    PartAbandoned,
    complete_part,
    hold,
    listed_sequences,
    part_of,
    record_audio,
    record_segment,
    report_progress,
)
from videoforge.modules.processor.chunking import ChunkSpan, plan_chunks
from videoforge.modules.processor.encode import (
    PLAYLIST_NAME,
    ReadySegment,
    build_audio_command,
    build_ladder_command,
    run_ladder,
)
from videoforge.modules.processor.ladder import Rung
from videoforge.modules.processor.limits import LimitExceeded, Limits
from videoforge.modules.processor.playlists import Segment, parse_variant, variant_playlist
from videoforge.modules.processor.probe import SourceInfo, UnplayableSource, probe
from videoforge.modules.processor.publish import Bandwidth, Publisher, content_type_of
from videoforge.modules.processor.service import (
    JobCancelled,
    JobContext,
    Outcome,
    cancellable,
    check_cancelled,
    confirmed_source,
    describe_error,
    download_source,
    fail_video,
    settle,
    transient_failure,
    upload_artwork,
)
from videoforge.ports.queue import Message

log = logging.getLogger("videoforge.processor")


# --- the plan ----------------------------------------------------------------------------------------------------

def plan_chunked(ctx: JobContext, video_id: str, take: str, work: Path, source_path: Path, info: SourceInfo,
                 rungs: list[Rung], limits: Limits, swap: bool = False) -> None:
    """The chunks' parts and jobs (one transaction), then the sound and the artwork while other workers encode;
    the video is ready when the last part is done, whichever that is. With `swap`, a replaced file's ladder plays
    on until this one is whole."""
    cfg = ctx.config
    segment_seconds = int(cfg.get("SEGMENT_SECONDS", 4))
    spans = plan_chunks(info.duration, rungs[0].fps, segment_seconds, float(cfg.get("CHUNK_SECONDS", 60)))
    assembly = Assembly(video_id, take, rungs, info.has_audio, swap)
    encoder = {"rungs": [r.to_json() for r in rungs], "segment_seconds": segment_seconds,
               "preset": cfg.get("X264_PRESET", "veryfast"), "swap": swap}
    with ctx.db.session() as session:
        hold(session, video_id)  # the last plan's parts went with reset_outputs, in the job that called this
        for span in spans:
            session.add(TranscodePart(video_id=video_id, take=take, number=span.number, start_frame=span.start_frame,
                                      end_frame=span.end_frame, first_segment=span.first_segment, start=span.start,
                                      seconds=span.seconds(info.duration), segments={}, inits={}))
        session.add(TranscodePart(video_id=video_id, take=take, number=EXTRAS_PART, status=PartStatus.PROCESSING,
                                  worker=ctx.worker or None, attempts=1, segments={}, inits={}))
        jobs = [outbox.write(session, ctx.queue, outbox.chunk_message(
            video_id, take, {"chunk": span.to_json(), **encoder}, request_id_var.get())).id for span in spans]
        session.execute(Video.report_progress(video_id, f"transcoding: 0 of {len(spans)} chunks done", 1.0))
    for job in jobs:
        outbox.relay_after_commit(ctx.db, ctx.queue, job)
    log.info("planned %d chunks", len(spans), extra={"video_id": video_id})
    if info.has_audio:
        record_audio(ctx, assembly, encode_audio(ctx, assembly, source_path, info, work / "audio", limits,
                                                 segment_seconds))
    check_cancelled(ctx)
    make_artwork(ctx, assembly, source_path, info, work / "artwork", limits)
    complete_part(ctx, assembly, EXTRAS_PART)


def encode_audio(ctx: JobContext, assembly: Assembly, source_path: Path, info: SourceInfo, out: Path,
                 limits: Limits, segment_seconds: int) -> list[Segment]:
    """Encode (or copy) the sound for the whole video as the `audio` rendition and upload it; its segments."""
    cmd = build_audio_command(source_path, out, info, assembly.rungs[0].audio_kbps, segment_seconds, name=layout.AUDIO)
    run_ladder(cmd, out, info.duration, [layout.AUDIO], stall_seconds=float(ctx.config.get("STALL_SECONDS", 120)),
               limits=limits)
    folder = out / layout.AUDIO
    listed = parse_variant((folder / PLAYLIST_NAME).read_text())
    segments = [Segment(s.sequence, s.uri, s.duration, (folder / s.uri).stat().st_size) for s in listed.segments]
    for name in ([listed.init_uri] if listed.init_uri else []) + [s.uri for s in segments]:
        ctx.storage.upload_file(layout.rung_file(assembly.video_id, assembly.take, layout.AUDIO, name),
                                str(folder / name), content_type_of(name))
    playlist = folder / "published.m3u8"
    playlist.write_text(variant_playlist(segments, listed.init_uri, complete=True))
    key = layout.rung_playlist(assembly.video_id, assembly.take, layout.AUDIO)
    ctx.storage.upload_file(key, str(playlist), content_type_of(key))
    return segments


def make_artwork(ctx: JobContext, assembly: Assembly, source_path: Path, info: SourceInfo, out: Path,
                 limits: Limits) -> None:
    """Poster and storyboard from the source (no worker holds every rung's segments), uploaded: the storyboard
    decodes the source's keyframes alone, as the unchunked path decodes the lowest rung's."""
    out.mkdir(parents=True, exist_ok=True)
    poster = make_poster(source_path, info, out / layout.POSTER, limits=limits)
    check_cancelled(ctx)
    sprite, vtt = make_storyboard(source_path, info, out / "storyboard", sprite_name=layout.STORYBOARD_SPRITE,
                                  vtt_name=layout.STORYBOARD_TRACK, keyframes_only=True, limits=limits)
    upload_artwork(ctx, assembly.video_id, assembly.take, poster, sprite, vtt)


# --- one chunk ---------------------------------------------------------------------------------------------------

def handle_chunk(ctx: JobContext, message: Message, video_id: str, extra: dict[str, Any]) -> Outcome:
    """Encode one chunk and settle its message; a chunk of a take planned again, a deleted or failed video, or a
    chunk already done is dropped."""
    body = message.body
    try:
        span = ChunkSpan.from_json(body["chunk"])
        assembly = Assembly(video_id, str(body["take"]), [Rung.from_json(r) for r in body["rungs"]], False,
                            swap=bool(body.get("swap")))
        segment_seconds, preset = int(body["segment_seconds"]), str(body["preset"])
    except (KeyError, TypeError, ValueError) as exc:
        log.warning("dropping a malformed chunk job: %s", exc, extra=extra)
        ctx.queue.delete(message)
        return Outcome.SKIPPED
    extra = {**extra, "chunk": span.number}
    if not claim(ctx, assembly, span.number):
        log.info("chunk %d: nothing to do", span.number, extra=extra)
        ctx.queue.delete(message)
        return Outcome.SKIPPED
    log.info("chunk %d starts (receive %d)", span.number, message.receive_count, extra=extra)
    try:
        transcode_chunk(ctx, assembly, span, segment_seconds, preset)
    except PartAbandoned:
        log.info("chunk %d abandoned: the video is no longer being transcoded", span.number, extra=extra)
        ctx.queue.delete(message)
        return Outcome.SKIPPED
    except (UnplayableSource, LimitExceeded) as exc:  # no retry can help either
        fail_video(ctx.db, video_id, describe_error(exc), rejected=True)
        ctx.queue.delete(message)
        return Outcome.FAILED
    except JobCancelled:
        _set_part(ctx, assembly, span.number, PartStatus.PENDING)
        ctx.queue.release(message)
        return Outcome.RELEASED
    except Exception as exc:  # noqa: BLE001 - every other failure is worth another try, of this chunk alone
        return _chunk_failure(ctx, message, assembly, span, exc, extra)
    ctx.queue.delete(message)
    log.info("chunk %d done", span.number, extra=extra)
    return Outcome.DONE


def claim(ctx: JobContext, assembly: Assembly, number: int) -> bool:
    """Mark the part taken by this worker (one more attempt); False when there is nothing to do."""
    try:
        with ctx.db.session() as session:
            hold(session, assembly.video_id)
            part = part_of(session, assembly, number)
            if part.status == PartStatus.DONE:
                return False
            part.status, part.attempts, part.worker, part.error = (PartStatus.PROCESSING, part.attempts + 1,
                                                                   ctx.worker or None, None)
            return True
    except PartAbandoned:
        return False


def transcode_chunk(ctx: JobContext, assembly: Assembly, span: ChunkSpan, segment_seconds: int, preset: str) -> None:
    """Download and probe the source, encode the chunk's frames on every rung, publish, and complete the part."""
    cfg = ctx.config
    video_id = assembly.video_id
    with tempfile.TemporaryDirectory(dir=cfg.get("WORK_DIR") or None, prefix=f"vf-{video_id[:8]}-c{span.number}-") \
            as scratch:
        work = Path(scratch)
        with ctx.db.session() as session:
            video = session.get(Video, video_id)
            if video is None:
                raise PartAbandoned()
            source_key, confirmed = video.source_key, confirmed_source(video)
        source_path = download_source(ctx, source_key, confirmed, work / "source")
        check_cancelled(ctx)
        limits = Limits.from_config(cfg)
        info = probe(source_path, max_duration=float(cfg.get("MAX_DURATION", 4 * 3600)), limits=limits)
        assembly = Assembly(video_id, assembly.take, assembly.rungs, info.has_audio, assembly.swap)
        seconds = span.seconds(info.duration)
        publisher = ChunkPublisher(ctx, assembly, span, work / "publish",
                                   listed_sequences(ctx, assembly, span.number)).start()
        cmd = build_ladder_command(source_path, work / "hls", info, assembly.rungs, preset=preset,
                                   segment_seconds=segment_seconds, chunk=span)
        try:
            run_ladder(cmd, work / "hls", seconds, [r.name for r in assembly.rungs],
                       on_progress=lambda percent, _stage: _progress(ctx, assembly, span.number, percent),
                       on_segment=cancellable(ctx, publisher.add), stall_seconds=float(cfg.get("STALL_SECONDS", 120)),
                       limits=limits)
        except BaseException:
            publisher.abort()
            raise
        publisher.finish()
        complete_part(ctx, assembly, span.number)


def _progress(ctx: JobContext, assembly: Assembly, number: int, percent: float) -> None:
    check_cancelled(ctx)
    report_progress(ctx, assembly, number, percent)


class ChunkPublisher(Publisher):
    """Uploads a chunk's segments as ffmpeg finishes them (the init segments only from the first chunk: every
    chunk's are the same bytes) and lists each in its part; segments an earlier attempt listed are not touched."""

    def __init__(self, ctx: JobContext, assembly: Assembly, span: ChunkSpan, work_dir: Path, listed: dict[str, int]):
        super().__init__(ctx.storage, assembly.video_id, assembly.take, assembly.rungs, work_dir)
        self.ctx, self.assembly, self.span, self.listed = ctx, assembly, span, listed

    def _publish_segment(self, ready: ReadySegment) -> None:
        rung = ready.rung
        if ready.segment.sequence <= self.listed.get(rung, -1):
            return
        init_uri = None
        if self.span.number == 0 and ready.init_path is not None:
            if self.init_uri[rung] is None:
                self._upload(layout.rung_file(self.video_id, self.take, rung, ready.init_path.name), ready.init_path)
                self.init_uri[rung] = ready.init_path.name
            init_uri = self.init_uri[rung]
        self._upload(layout.rung_file(self.video_id, self.take, rung, ready.segment.uri), ready.path)
        record_segment(self.ctx, self.assembly, self.span.number, rung, ready.segment, init_uri)

    def finish(self) -> dict[str, Bandwidth]:
        self._stop()
        if self.error is not None:
            raise self.error
        return {}


def _set_part(ctx: JobContext, assembly: Assembly, number: int, status: str, error: str | None = None) -> None:
    try:
        with ctx.db.session() as session:
            part = part_of(session, assembly, number)
            part.status, part.error = status, error
    except PartAbandoned:
        pass


def _chunk_failure(ctx: JobContext, message: Message, assembly: Assembly, span: ChunkSpan, exc: Exception,
                   extra: dict[str, Any]) -> Outcome:
    """The transcode's failure rule for one chunk: while it waits, the part is pending and the video processing."""
    where = f"chunk {span.number + 1} (from {_clock(span.start)})"

    def wait(reason: str) -> None:
        _set_part(ctx, assembly, span.number, PartStatus.PENDING, reason)
        settle(ctx.db, Video.report_progress(assembly.video_id, f"{where}: retrying"[:40]))

    return transient_failure(ctx, message, assembly.video_id, exc, extra, what=where, on_retry=wait)


def _clock(seconds: float) -> str:
    minutes, rest = divmod(int(seconds), 60)
    return f"{minutes}:{rest:02d}"
