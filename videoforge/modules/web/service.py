"""What a shared link shows of a video before anyone signs in: its card (title, poster, size, where it plays).

Plain functions over a session and the delivery port, for the server-rendered watch page (link previews), the embed
page and oEmbed. Only a video anyone with its link may watch (`Video.visible_to(None)`: public or unlisted) has a
card; a private one, a missing one and a malformed id all get None, so no answer tells them apart.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote, urlencode

from sqlalchemy.orm import Session, selectinload

from videoforge.models import Video
from videoforge.ports.delivery import Delivery

_ID = re.compile(r"[0-9a-f]{32}")
POSTER_MAX_SIDE = 1280
"""The processor's poster cap (processor/artwork.py): poster assets carry no size, so it is derived from this and
the video's own size."""
PREVIEW_IMAGE_MAX_EXPIRY = 7 * 24 * 3600
"""The longest a preview's poster URL lives whatever the setting says: a SigV4 presign lives no longer."""
FALLBACK_SIZE = (640, 360)
"""A video's size before its probe says (16:9)."""


@dataclass(frozen=True)
class Card:
    """A shared video as previews, embeds and oEmbed describe it; every URL absolute."""

    video: Video
    watch_url: str
    embed_url: str
    oembed_url: str
    poster_url: str | None
    poster_size: tuple[int, int] | None
    playable: bool

    @property
    def size(self) -> tuple[int, int]:
        """The picture's width and height as shown (rotation applied), or 16:9 before the probe."""
        if self.video.width and self.video.height:
            return self.video.width, self.video.height
        return FALLBACK_SIZE


def shared_video(session: Session, video_id: str) -> Video | None:
    """The video if anyone with its link may watch it; None for a private video, a missing one or a malformed id."""
    if not _ID.fullmatch(video_id or ""):
        return None
    video = session.get(Video, video_id, options=[selectinload(Video.assets)])
    return video if video is not None and video.visible_to(None) else None


def card(video: Video, base: str, delivery: Delivery, config: dict[str, Any]) -> Card:
    """The video's card, its poster signed for PREVIEW_IMAGE_URL_EXPIRY (crawlers fetch it without cookies)."""
    poster = next((a for a in video.assets if a.kind == "poster"), None)
    playable = video.playable
    poster_url = None
    if poster is not None and playable:
        expiry = min(int(config["PREVIEW_IMAGE_URL_EXPIRY"]), PREVIEW_IMAGE_MAX_EXPIRY)
        poster_url = delivery.object_url(poster.key, expiry)
    watch_url = f"{base}/watch/{video.id}"
    size = (video.width, video.height) if video.width and video.height else None
    return Card(
        video=video, watch_url=watch_url, embed_url=f"{base}/embed/{video.id}",
        oembed_url=f"{base}/api/oembed?" + urlencode({"url": watch_url, "format": "json"}, quote_via=quote),
        poster_url=poster_url,
        poster_size=poster_size(*size) if poster_url and size else None,
        playable=playable)


def poster_size(width: int, height: int) -> tuple[int, int]:
    """The poster's size as the processor makes it: long side at most POSTER_MAX_SIDE, even, never grown."""
    factor = min(1.0, POSTER_MAX_SIDE / max(width, height))
    return max(2, round(width * factor / 2) * 2), max(2, round(height * factor / 2) * 2)


def fit(width: int, height: int, max_width: int, max_height: int, *, grow: bool = False) -> tuple[int, int]:
    """`width` by `height` scaled to fit inside `max_width` by `max_height`, aspect ratio kept; never grown unless
    `grow`. Whole pixels, at least 1 by 1."""
    scale = min(max_width / width, max_height / height)
    if not grow:
        scale = min(scale, 1.0)
    # Rounded half up, then capped: 1920 * (1280 / 1920) may come out a hair under or over 1280.
    return (max(1, min(math.floor(width * scale + 0.5), max_width)),
            max(1, min(math.floor(height * scale + 0.5), max_height)))
