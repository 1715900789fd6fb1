"""Streaming service: who may watch, playback info, and signed playlists built from what the processor stored."""

from __future__ import annotations

import re
import threading
from collections import OrderedDict
from dataclasses import dataclass
from typing import Callable

from sqlalchemy import select
from sqlalchemy.orm import Session

from videoforge.models import MediaAsset, User, Video
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


def watchable_video(session: Session, video_id: str, viewer: User | None) -> Video:
    """The video if the viewer may watch it: the owner and admins always, anyone when public or unlisted."""
    if not _ID.match(video_id or ""):
        raise NotFound()
    video = session.get(Video, video_id)
    if video is None:
        raise NotFound()
    if video.visibility in ("public", "unlisted"):
        return video
    if viewer is not None and (viewer.id == video.owner_id or viewer.is_admin):
        return video
    raise NotFound()


def renditions(session: Session, video_id: str) -> list[Rendition]:
    """Published rungs, lowest first; a growing rung counts once its playlist exists."""
    rows = session.scalars(select(MediaAsset).where(MediaAsset.video_id == video_id,
                                                    MediaAsset.kind == "variant")).all()
    found = [Rendition(a.rung, a.width, a.height, a.bitrate, a.codecs, a.complete, a.key) for a in rows]
    return sorted(found, key=lambda r: (r.bandwidth or 0, r.height or 0))


def asset_key(session: Session, video_id: str, kind: str) -> str | None:
    """Storage key of a single asset (poster, storyboard, thumbnails) if the processor made it."""
    return session.scalars(select(MediaAsset.key).where(MediaAsset.video_id == video_id,
                                                        MediaAsset.kind == kind)).first()


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
        self._items: OrderedDict[str, str] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: str, load: Callable[[str], str], cacheable: bool) -> str:
        with self._lock:
            if key in self._items:
                self._items.move_to_end(key)
                return self._items[key]
        text = load(key)
        if cacheable:
            with self._lock:
                self._items[key] = text
                while len(self._items) > self.capacity:
                    self._items.popitem(last=False)
        return text

    def forget_prefix(self, prefix: str) -> None:
        with self._lock:
            for key in [k for k in self._items if k.startswith(prefix)]:
                del self._items[key]
