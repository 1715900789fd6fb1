"""Publishing a ladder while it grows: segments and EVENT playlists uploaded from a background thread.

No master playlist is stored: streaming writes it from the rung rows (recorded through `on_join` and at the end),
so it can sign each variant URL and list only the rungs published so far.
"""

from __future__ import annotations

import logging
import math
import queue as queues
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from videoforge import layout
from videoforge.modules.processor.encode import ReadySegment
from videoforge.modules.processor.ladder import Rung
from videoforge.modules.processor.playlists import AUDIO_CODEC, Segment, variant_playlist
from videoforge.ports.storage import Storage

log = logging.getLogger(__name__)

PLAYLIST = "application/vnd.apple.mpegurl"
CONTENT_TYPES = {".m3u8": PLAYLIST, ".m4s": "video/iso.segment", ".mp4": "video/mp4", ".jpg": "image/jpeg",
                 ".vtt": "text/vtt"}


@dataclass(frozen=True)
class Bandwidth:
    """A rung's measured bits per second, as RFC 8216 4.3.4.2 defines BANDWIDTH (peak segment) and
    AVERAGE-BANDWIDTH (all segments); None before any segment is measured."""

    peak: int | None
    average: int | None

    @classmethod
    def of(cls, segments: Sequence[Segment]) -> Bandwidth:
        sized = [s for s in segments if s.size > 0 and s.duration > 0]
        if not sized:
            return cls(None, None)
        peak = max(s.size * 8 / s.duration for s in sized)
        average = sum(s.size for s in sized) * 8 / sum(s.duration for s in sized)
        return cls(math.ceil(peak), math.ceil(average))


JoinCallback = Callable[[Rung, Bandwidth], None]
"""Called (in the upload thread) when a rung becomes playable (its first segment is online), with its
bandwidth so far."""


def content_type_of(path: str | Path) -> str:
    return CONTENT_TYPES.get(Path(path).suffix, "application/octet-stream")


def codecs_of(rung: Rung, has_audio: bool) -> str:
    return rung.codecs_video + (f",{AUDIO_CODEC}" if has_audio else "")


class Publisher:
    """Uploads each finished segment of each rung and rewrites the rung's EVENT playlist.

    Rungs join the ladder in order (lowest first), each once it has a segment, so the video plays as
    soon as the lowest rung has its first segment. ffmpeg never waits for an upload: `add` only
    queues; an upload error is raised from the next `add` (which stops ffmpeg) or from `finish`.
    """

    def __init__(self, storage: Storage, video_id: str, take: str, rungs: Sequence[Rung], work_dir: str | Path,
                 on_join: JoinCallback | None = None):
        self.storage = storage
        self.video_id = video_id
        self.take = take
        self.rungs = list(rungs)
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

    def finish(self) -> dict[str, Bandwidth]:
        """Wait for the uploads, then publish the finished ladder's VOD playlists.

        Returns each rung's bandwidth, measured over all its segments.
        """
        self._stop()
        if self.error is not None:
            raise self.error
        for rung in self.rungs:
            self._upload_variant(rung, complete=True)
        self._join_ready()
        return {r.name: Bandwidth.of(self.segments[r.name]) for r in self.rungs}

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
            except BaseException as exc:  # noqa: BLE001 - handed to the job thread through add()/finish(), re-raised there
                log.warning("upload failed: %s", exc)
                self.error = exc

    def _publish_segment(self, ready: ReadySegment) -> None:
        rung = ready.rung
        if self.init_uri[rung] is None and ready.init_path is not None:
            self._upload(layout.rung_file(self.video_id, self.take, rung, ready.init_path.name), ready.init_path)
            self.init_uri[rung] = ready.init_path.name
        self._upload(layout.rung_file(self.video_id, self.take, rung, ready.segment.uri), ready.path)
        self.segments[rung].append(ready.segment)
        self._upload_variant(self._rung(rung), complete=False)
        self._join_ready()

    def _join_ready(self) -> None:
        """Let rungs join in ladder order, each once it has a segment online (its playlist is already up, so
        once the database says playable, it is)."""
        newly = []
        for rung in self.rungs[len(self.joined):]:
            if not self.segments[rung.name]:
                break
            self.joined.append(rung)
            newly.append(rung)
        if self.on_join is not None:
            for rung in newly:
                self.on_join(rung, Bandwidth.of(self.segments[rung.name]))

    def _upload_variant(self, rung: Rung, complete: bool) -> None:
        text = variant_playlist(self.segments[rung.name], self.init_uri[rung.name], complete=complete)
        path = self.work_dir / rung.name / layout.RUNG_PLAYLIST
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
        self._upload(layout.rung_playlist(self.video_id, self.take, rung.name), path)

    def _upload(self, key: str, path: Path) -> None:
        self.storage.upload_file(key, str(path), content_type_of(path))

    def _rung(self, name: str) -> Rung:
        return next(r for r in self.rungs if r.name == name)
