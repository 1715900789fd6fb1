"""oEmbed 1.0 (oembed.com): a shared watch link's player as an iframe other sites can place, sized to fit.

Only this site's links to a public or unlisted video are answered; a private video, a missing one, a malformed id and
another site's URL all get the same 404 (the spec's 401 for private resources would tell them apart). JSON only:
`format=xml` gets the spec's 501.
"""

from __future__ import annotations

import re
from html import escape
from typing import Any
from urllib.parse import urlsplit

from flask import current_app
from flask.views import MethodView
from flask_smorest import Blueprint, abort
from marshmallow import Schema, fields, validate

from videoforge.modules.web import pages
from videoforge.modules.web.service import Card, fit
from videoforge.modules.web.views import shared_card, site_base

blp = Blueprint("oembed", __name__, description="oEmbed: a watch link's embeddable player, for other sites")

DEFAULT_WIDTH = 640
"""The player's width when the consumer gives no maxwidth (and its height's bound when it gives no maxheight)."""
MAX_DIMENSION = 8192
_PLAYER_PATH = re.compile(r"/(?:watch|embed)/([^/?#]+)/?")


class OEmbedArgsSchema(Schema):
    url = fields.String(required=True, validate=validate.Length(min=1, max=2048), metadata={
        "description": "A watch link of this site, e.g. https://video.example/watch/<id> (or its /embed link)."})
    format = fields.String(load_default="json", validate=validate.Length(max=16), metadata={
        "description": "Only `json`; any other answers 501."})
    maxwidth = fields.Integer(validate=validate.Range(min=1, max=MAX_DIMENSION))
    maxheight = fields.Integer(validate=validate.Range(min=1, max=MAX_DIMENSION))


class OEmbedSchema(Schema):
    type = fields.String(metadata={"description": "Always `video`."})
    version = fields.String(metadata={"description": "Always `1.0`."})
    title = fields.String()
    provider_name = fields.String()
    provider_url = fields.String()
    html = fields.String(metadata={"description": "An iframe of the embed page, `width` by `height`."})
    width = fields.Integer()
    height = fields.Integer()
    thumbnail_url = fields.String(metadata={"description": "The poster (a signed URL), when it fits maxwidth and "
                                                           "maxheight."})
    thumbnail_width = fields.Integer()
    thumbnail_height = fields.Integer()


def _origin(scheme: str, host: str, port: int | None) -> tuple[str, str, int]:
    return scheme.lower(), host.lower(), port or {"http": 80, "https": 443}.get(scheme.lower(), 0)


def video_id_in(url: str, base: str) -> str | None:
    """The video id a link of this site (at `base`) names: `/watch/<id>`, `/embed/<id>`, or an old `/#/watch/<id>`;
    None for anything else, another site's link included."""
    try:
        link, own = urlsplit(url.strip()), urlsplit(base)
        same_site = _origin(link.scheme, link.hostname or "", link.port) == _origin(own.scheme, own.hostname or "",
                                                                                   own.port)
    except ValueError:  # a port out of range, a broken IPv6 literal
        return None
    root = own.path.rstrip("/")
    if not same_site or not link.path.startswith(root):
        return None
    path = link.path[len(root):]
    if path in ("", "/") and link.fragment.startswith("/"):
        path = link.fragment.split("?", 1)[0]  # a hash-routed link from before history routing
    found = _PLAYER_PATH.fullmatch(path)
    return found.group(1) if found and pages.is_page(f"/watch/{found.group(1)}") else None


def answer(card: Card, site: str, base: str, max_width: int | None, max_height: int | None) -> dict[str, Any]:
    """The oEmbed response for a shared video: a player that keeps the video's shape inside the consumer's box."""
    box_width = max_width or DEFAULT_WIDTH
    width, height = fit(*card.size, box_width, max_height or max(box_width, DEFAULT_WIDTH), grow=True)
    body: dict[str, Any] = {
        "type": "video", "version": "1.0", "title": card.video.title,
        "provider_name": site, "provider_url": f"{base}/",
        "html": iframe(card.embed_url, card.video.title, width, height),
        "width": width, "height": height,
    }
    # The spec asks a thumbnail to respect maxwidth and maxheight too: a poster too big for them is left out.
    if card.poster_url and card.poster_size:
        poster_width, poster_height = card.poster_size
        if poster_width <= (max_width or poster_width) and poster_height <= (max_height or poster_height):
            body.update(thumbnail_url=card.poster_url, thumbnail_width=poster_width, thumbnail_height=poster_height)
    return body


def iframe(src: str, title: str, width: int, height: int) -> str:
    """The embed code: the same markup the watch page's share dialog offers (client/src/share/embedCode.ts)."""
    return (f'<iframe src="{escape(src, quote=True)}" width="{width}" height="{height}" '
            f'title="{escape(title, quote=True)}" frameborder="0" '
            'allow="autoplay; fullscreen; picture-in-picture" allowfullscreen></iframe>')


@blp.route("")
class OEmbed(MethodView):
    @blp.arguments(OEmbedArgsSchema, location="query")
    @blp.response(200, OEmbedSchema)
    @blp.alt_response(404, description="Not a link of this site to a video anyone with the link may watch.")
    @blp.alt_response(501, description="A format other than json.")
    def get(self, args):
        """The embeddable player of a watch link (oEmbed 1.0, JSON)"""
        if args["format"].lower() != "json":
            abort(501, message="Only format=json is offered.")
        base = site_base()
        video_id = video_id_in(args["url"], base)
        card = shared_card(video_id) if video_id else None
        if card is None:
            abort(404, message="No video anyone with the link may watch is at that URL on this site.")
        return answer(card, current_app.config["SITE_NAME"], base, args.get("maxwidth"), args.get("maxheight"))
