"""Serve the built client: hashed assets with a long cache, the app for each of its pages (history routing), a
shared video's watch page with its link preview, and its embed page with the framing its owner allows."""

from __future__ import annotations

import os

from flask import Blueprint, abort, current_app, send_from_directory

from videoforge.embedding import frame_ancestors
from videoforge.headers import allow_framing
from videoforge.modules.web import pages, previews, shell
from videoforge.modules.web.service import Card, card, shared_video
from videoforge.ports.delivery import get_delivery
from videoforge.urls import public_url

web = Blueprint("web", __name__)


def site_base() -> str:
    """Where this site's links point (PUBLIC_URL, else the request's own address)."""
    return public_url()


def shared_card(video_id: str) -> Card | None:
    """The card of a video anyone with its link may watch; None otherwise, and in a process without a database
    (the web module alone), which then answers every watch page with the site's own tags."""
    if "videoforge.db" not in current_app.extensions:
        return None
    from videoforge.db import get_session

    video = shared_video(get_session(), video_id)
    if video is None:
        return None
    return card(video, site_base(), get_delivery(current_app), current_app.config)


@web.get("/watch/<video_id>")
def watch(video_id: str):
    """The app, with the video's preview tags when anyone with the link may watch it (the site's own otherwise:
    the same answer for a private video, a missing one and a malformed id)."""
    site = current_app.config["SITE_NAME"]
    found = shared_card(video_id)
    return shell.page("index.html", previews.video_head(found, site) if found else previews.site_head(site))


@web.get("/embed/<video_id>")
def embed(video_id: str):
    """The player alone, for other sites' frames: only for a video anyone with the link may watch, framed only by
    the sites its owner allows. Anything else is a 404 that no site may frame, the same for every reason."""
    site = current_app.config["SITE_NAME"]
    found = shared_card(video_id)
    if found is None:
        return shell.page("embed.html", previews.embed_head(None, site), status=404)
    allow_framing(*frame_ancestors(found.video.embed_origins))
    return shell.page("embed.html", previews.embed_head(found, site))


@web.get("/", defaults={"path": ""})
@web.get("/<path:path>")
def client(path: str):
    """A file of the build when it exists, the app for one of its pages, else a 404 (the app's own page for
    addresses people type, a bare one for files)."""
    if path == "api" or path.startswith("api/"):
        abort(404)  # the API's own shape: JSON
    root = shell.dist()
    if path and os.path.isfile(os.path.join(root, path)):
        immutable = path.startswith("assets/")
        response = send_from_directory(root, path, max_age=31536000 if immutable else 300)
        if immutable:
            response.headers["Cache-Control"] = "public, max-age=31536000, immutable"
        return response
    head = previews.site_head(current_app.config["SITE_NAME"])
    if pages.is_page(path):
        return shell.page("index.html", head)
    if path.startswith("assets/") or "." in path.rsplit("/", 1)[-1]:
        abort(404)  # a file that is not there (an old build's chunk, a favicon): no app to show for it
    return shell.page("index.html", head, status=404)
