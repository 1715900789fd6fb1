"""Streaming service: who may watch, playback info, and signed playlists built from what the processor stored."""

from __future__ import annotations

import re
import threading
from collections import OrderedDict
from dataclasses import dataclass
from typing import Callable

from sqlalchemy.orm import Session

from videoforge.models import MediaAsset, User, Video
from videoforge.modules.streaming import tokens
from videoforge.modules.streaming.playlists import sign_playlist, sign_vtt

_ID = re.compile(r"^[0-9a-f]{32}$")
_RUNG = re.compile(r"^[0-9]{2,4}p[0-9]*$")


class NotFound(Exception):
    """No such video for this caller (or no such rung): always a 404, so private videos do not leak."""


@dataclass(frozen=True)
class Rendition:
    name: str
    width: int | None
    height: int | None
    bandwidth: int | None
    codecs: str | None
    complete: bool
    key: str
    version: str
    """Which transcode wrote it: a retry re-creates the row, so the last attempt's cached playlist is never reused."""


def watchable_video(session: Session, video_id: str, viewer: User | None) -> Video:
    """The video if the viewer may watch it (Video.visible_to); NotFound otherwise, so private ones never leak."""
    if not _ID.match(video_id or ""):
        raise NotFound()
    video = session.get(Video, video_id)
    if video is None or not video.visible_to(viewer):
        raise NotFound()
    return video


def video_for_token(session: Session, secret: str, video_id: str, token: str | None) -> Video | None:
    """The video a playback token grants, or None: malformed, expired, signed before an access change, or deleted."""
    if not token or not _ID.match(video_id or ""):
        return None
    video = session.get(Video, video_id)
    if video is None or not tokens.check(secret, video.id, video.access_epoch, token):
        return None
    return video


def version_of(asset: MediaAsset) -> str:
    # The id alone could repeat (SQLite reuses the highest rowid once it is deleted); with its creation time it cannot.
    return f"{asset.id}@{asset.created_at.timestamp() if asset.created_at else ''}"


def renditions(video: Video) -> list[Rendition]:
    """Published rungs, lowest first; a growing rung counts once its playlist exists."""
    found = [Rendition(a.rung, a.width, a.height, a.bitrate, a.codecs, a.complete, a.key, version_of(a))
             for a in video.assets if a.kind == "variant"]
    return sorted(found, key=lambda r: (r.bandwidth or 0, r.height or 0))


def asset_of(video: Video, kind: str) -> MediaAsset | None:
    """A single asset (poster, storyboard, thumbnails) if the processor made it."""
    return next((a for a in video.assets if a.kind == kind), None)


def segment_url_expiry(duration: float | None, ceiling: int, margin: int) -> int:
    """Seconds a signed segment URL lives: twice the video's length plus `margin`, never past `ceiling`.

    Twice the length lets a viewer pause for as long as the video runs; the margin covers a short clip's pauses.
    An unknown length gets the ceiling.
    """
    if not duration or duration <= 0:
        return int(ceiling)
    return int(min(ceiling, 2 * duration + margin))


def master_playlist(rungs: list[Rendition], variant_url: Callable[[str], str]) -> str:
    """A master playlist of the published rungs; rungs still growing join as they appear."""
    lines = ["#EXTM3U", "#EXT-X-VERSION:7", "#EXT-X-INDEPENDENT-SEGMENTS"]
    for rung in rungs:
        attrs = [f"BANDWIDTH={rung.bandwidth or 1}"]
        if rung.width and rung.height:
            attrs.append(f"RESOLUTION={rung.width}x{rung.height}")
        if rung.codecs:
            attrs.append(f'CODECS="{rung.codecs}"')
        attrs.append(f'NAME="{rung.name}"')
        lines.append("#EXT-X-STREAM-INF:" + ",".join(attrs))
        lines.append(variant_url(rung.name))
    return "\n".join(lines) + "\n"


def signed_variant(text: str, folder: str, presign: Callable[[str], str]) -> str:
    """The rung's stored playlist with every segment (and init segment) URI signed for direct fetches."""
    return sign_playlist(text, lambda uri: presign(f"{folder}/{uri}"))


def signed_thumbnails(text: str, folder: str, presign: Callable[[str], str]) -> str:
    """The WebVTT thumbnails track with its sprite references signed (fragments kept)."""
    return sign_vtt(text, lambda uri: presign(f"{folder}/{uri}"))


def rung_named(rungs: list[Rendition], name: str) -> Rendition:
    """One published rung by name, or NotFound."""
    if _RUNG.match(name or ""):
        for rung in rungs:
            if rung.name == name:
                return rung
    raise NotFound()


class PlaylistCache:
    """Finished playlists never change: keep their text in memory (bounded), so only growing ones hit storage."""

    def __init__(self, capacity: int = 512):
        self.capacity = capacity
        self._items: OrderedDict[tuple[str, str], str] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: str, version: str, load: Callable[[str], str], cacheable: bool) -> str:
        """The text of `key` as written by the transcode `version`; only a finished one is kept."""
        item = (key, version)
        with self._lock:
            if item in self._items:
                self._items.move_to_end(item)
                return self._items[item]
        text = load(key)
        if cacheable:
            with self._lock:
                self._items[item] = text
                while len(self._items) > self.capacity:
                    self._items.popitem(last=False)
        return text
