"""Publishing a ladder while it grows: segments and EVENT playlists uploaded from a background thread."""

from __future__ import annotations

import logging
import queue as queues
import threading
from pathlib import Path
from typing import Any, Callable, Sequence

from videoforge.modules.processor.encode import ReadySegment
from videoforge.modules.processor.ladder import Rung
from videoforge.modules.processor.playlists import AUDIO_CODEC, Segment, master_playlist, variant_playlist

log = logging.getLogger(__name__)

PLAYLIST = "application/vnd.apple.mpegurl"
CONTENT_TYPES = {".m3u8": PLAYLIST, ".m4s": "video/iso.segment", ".mp4": "video/mp4", ".jpg": "image/jpeg",
                 ".vtt": "text/vtt"}

JoinCallback = Callable[[Rung, int], None]
"""Called (in the upload thread) when a rung joins the master playlist, with its bandwidth so far."""


def processed_prefix(video_id: str) -> str:
    """Where every output of a video lives in the store."""
    return f"processed/{video_id}"


def content_type_of(path: str | Path) -> str:
    return CONTENT_TYPES.get(Path(path).suffix, "application/octet-stream")


def peak_bandwidth(segments: Sequence[Segment]) -> int | None:
    """Bits per second of the fullest segment, as BANDWIDTH is defined (RFC 8216 4.3.4.2)."""
    rates = [s.size * 8 / s.duration for s in segments if s.size > 0 and s.duration > 0]
    return round(max(rates)) if rates else None


def codecs_of(rung: Rung, has_audio: bool) -> str:
    return rung.codecs_video + (f",{AUDIO_CODEC}" if has_audio else "")


class Publisher:
    """Uploads each finished segment of each rung, rewrites the rung's EVENT playlist, and grows the master.

    Rungs join the master in ladder order (lowest first), each once it has a segment, so the video
    plays as soon as the lowest rung has its first segment. ffmpeg never waits for an upload: `add`
    only queues; an upload error is raised from the next `add` (which stops ffmpeg) or from `finish`.
    """

    def __init__(self, storage: Any, video_id: str, rungs: Sequence[Rung], has_audio: bool,
                 work_dir: str | Path, on_join: JoinCallback | None = None):
        self.storage = storage
        self.prefix = processed_prefix(video_id)
        self.rungs = list(rungs)
        self.has_audio = has_audio
        self.work_dir = Path(work_dir)
        self.on_join = on_join
        self.segments: dict[str, list[Segment]] = {r.name: [] for r in self.rungs}
        self.init_uri: dict[str, str | None] = {r.name: None for r in self.rungs}
        self.joined: list[Rung] = []
        self.error: BaseException | None = None
        self._tasks: queues.Queue[ReadySegment | None] = queues.Queue()
        self._thread = threading.Thread(target=self._run, name=f"publish-{video_id[:8]}", daemon=True)

    def start(self) -> Publisher:
        self._thread.start()
        return self

    def add(self, rung: str, ready: ReadySegment) -> None:
        """Queue a finished segment (ffmpeg's segment callback)."""
        if self.error is not None:
            raise self.error
        self._tasks.put(ready)

    def finish(self) -> dict[str, int | None]:
        """Wait for the uploads, then publish the finished ladder: VOD playlists and the full master.

        Returns each rung's measured peak bandwidth.
        """
        self._stop()
        if self.error is not None:
            raise self.error
        for rung in self.rungs:
            self._upload_variant(rung, complete=True)
        self._join_ready()
        self._upload_master(self.rungs)  # the bandwidths measured over every segment
        return {r.name: peak_bandwidth(self.segments[r.name]) for r in self.rungs}

    def abort(self) -> None:
        """Stop the upload thread without publishing more (the job failed)."""
        self._stop()

    def _stop(self) -> None:
        if self._thread.is_alive():
            self._tasks.put(None)
            self._thread.join()

    def _run(self) -> None:
        while True:
            ready = self._tasks.get()
            if ready is None:
                return
            if self.error is not None:
                continue  # drain without uploading: the job is failing anyway
            try:
                self._publish_segment(ready)
            except BaseException as exc:  # handed to the job thread through add()/finish()
                log.warning("upload failed: %s", exc)
                self.error = exc

    def _publish_segment(self, ready: ReadySegment) -> None:
        rung = ready.rung
        if self.init_uri[rung] is None and ready.init_path is not None:
            self._upload(f"{rung}/{ready.init_path.name}", ready.init_path)
            self.init_uri[rung] = ready.init_path.name
        self._upload(f"{rung}/{ready.segment.uri}", ready.path)
        self.segments[rung].append(ready.segment)
        self._upload_variant(self._rung(rung), complete=False)
        self._join_ready()

    def _join_ready(self) -> None:
        """Add rungs to the master in ladder order, each once it has a segment online."""
        newly = []
        for rung in self.rungs[len(self.joined):]:
            if not self.segments[rung.name]:
                break
            self.joined.append(rung)
            newly.append(rung)
        if not newly:
            return
        self._upload_master(self.joined)  # before the callback: once the database says playable, it is
        if self.on_join is not None:
            for rung in newly:
                self.on_join(rung, peak_bandwidth(self.segments[rung.name]) or 0)

    def _upload_variant(self, rung: Rung, complete: bool) -> None:
        text = variant_playlist(self.segments[rung.name], self.init_uri[rung.name], complete=complete)
        self._upload_text(f"{rung.name}/index.m3u8", text)

    def _upload_master(self, rungs: Sequence[Rung]) -> None:
        text = master_playlist(rungs, self.has_audio, measured={r.name: self.segments[r.name] for r in rungs})
        self._upload_text("master.m3u8", text)

    def _upload_text(self, name: str, text: str) -> None:
        path = self.work_dir / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
        self._upload(name, path)

    def _upload(self, name: str, path: Path) -> None:
        self.storage.upload_file(f"{self.prefix}/{name}", str(path), content_type_of(path))

    def _rung(self, name: str) -> Rung:
        return next(r for r in self.rungs if r.name == name)
