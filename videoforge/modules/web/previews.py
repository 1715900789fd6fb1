"""Link previews: the Open Graph and Twitter card tags a shared watch page carries, for crawlers that run no script.

Every value is escaped for an HTML attribute (titles and descriptions are whatever an uploader typed). A page with
no shared video (a private one, a missing one, a malformed id, every other page) gets the site's own tags, the same
bytes each time, so the answer tells nothing about the id.
"""

from __future__ import annotations

import re
from html import escape

from videoforge.lifecycle import Visibility
from videoforge.modules.web.service import Card, fit

DESCRIPTION_MAX = 300
"""Characters of a video's description in a preview; chat apps show two or three lines."""
SITE_DESCRIPTION = "Upload, transcode and share videos."
PLAYER_MAX_SIDE = 1280
"""Longest side of the player size a preview announces (og:video:width/height, twitter:player:width/height)."""

_SPACE = re.compile(r"\s+")


def _meta(attribute: str, name: str, content: str | int | float) -> str:
    return f'<meta {attribute}="{name}" content="{escape(str(content), quote=True)}">'


def _og(name: str, content: str | int | float) -> str:
    return _meta("property", name, content)


def _twitter(name: str, content: str | int | float) -> str:
    return _meta("name", name, content)


def summary(text: str, limit: int = DESCRIPTION_MAX) -> str:
    """One line of at most `limit` characters, cut at a word with an ellipsis."""
    line = _SPACE.sub(" ", text or "").strip()
    if len(line) <= limit:
        return line
    cut = line[: limit - 1].rsplit(" ", 1)[0] if " " in line[: limit - 1] else line[: limit - 1]
    return cut.rstrip(" ,.;:") + "…"


def site_head(site: str) -> str:
    """The tags of every page that shows no shared video."""
    return "\n".join([
        f"<title>{escape(site)}</title>",
        _meta("name", "description", f"{site}: {SITE_DESCRIPTION[0].lower()}{SITE_DESCRIPTION[1:]}"),
        _og("og:site_name", site),
        _og("og:type", "website"),
        _og("og:title", site),
        _og("og:description", SITE_DESCRIPTION),
        _twitter("twitter:card", "summary"),
    ])


def video_head(card: Card, site: str) -> str:
    """A shared video's tags: title, description, poster, duration, and the embed page as its player."""
    video = card.video
    description = summary(video.description) or f"A video on {site}."
    tags = [
        f"<title>{escape(video.title)} · {escape(site)}</title>",
        _meta("name", "description", description),
        f'<link rel="canonical" href="{escape(card.watch_url, quote=True)}">',
        f'<link rel="alternate" type="application/json+oembed" href="{escape(card.oembed_url, quote=True)}" '
        f'title="{escape(video.title, quote=True)}">',
        _og("og:site_name", site),
        _og("og:type", "video.other"),
        _og("og:title", video.title),
        _og("og:description", description),
        _og("og:url", card.watch_url),
        _twitter("twitter:title", video.title),
        _twitter("twitter:description", description),
    ]
    if video.visibility != Visibility.PUBLIC:
        # Unlisted: whoever has the link may watch and share it, but search engines should not list it.
        tags.append(_meta("name", "robots", "noindex"))
    if card.poster_url:
        tags += [_og("og:image", card.poster_url), _og("og:image:alt", video.title),
                 _twitter("twitter:image", card.poster_url)]
        if card.poster_size:
            tags += [_og("og:image:width", card.poster_size[0]), _og("og:image:height", card.poster_size[1])]
    if video.duration:
        tags.append(_og("video:duration", round(video.duration)))
    if card.playable:
        width, height = fit(*card.size, PLAYER_MAX_SIDE, PLAYER_MAX_SIDE)
        tags += [_og("og:video", card.embed_url)]
        if card.embed_url.startswith("https://"):
            tags.append(_og("og:video:secure_url", card.embed_url))
        tags += [_og("og:video:type", "text/html"), _og("og:video:width", width), _og("og:video:height", height),
                 _twitter("twitter:card", "player"), _twitter("twitter:player", card.embed_url),
                 _twitter("twitter:player:width", width), _twitter("twitter:player:height", height)]
    else:
        tags.append(_twitter("twitter:card", "summary_large_image" if card.poster_url else "summary"))
    return "\n".join(tags)


def embed_head(card: Card | None, site: str) -> str:
    """The embed page's title (what a screen reader announces for the frame); never listed by search engines."""
    title = f"{escape(card.video.title)} · {escape(site)}" if card else escape(site)
    return f"<title>{title}</title>\n" + _meta("name", "robots", "noindex")
