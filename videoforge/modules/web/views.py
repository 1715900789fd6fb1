"""Serve the built client: hashed assets with a long cache, index.html for every other page path."""

from __future__ import annotations

import os

from flask import Blueprint, abort, current_app, send_from_directory

web = Blueprint("web", __name__)


def _dist() -> str:
    return os.path.abspath(current_app.config["WEB_DIST"])


@web.get("/", defaults={"path": ""})
@web.get("/<path:path>")
def client(path: str):
    """A file of the build when it exists, else the app shell (client-side routes)."""
    if path.startswith("api/"):
        abort(404)
    dist = _dist()
    if path and os.path.isfile(os.path.join(dist, path)):
        immutable = path.startswith("assets/")
        response = send_from_directory(dist, path, max_age=31536000 if immutable else 300)
        if immutable:
            response.headers["Cache-Control"] = "public, max-age=31536000, immutable"
        return response
    if not os.path.isfile(os.path.join(dist, "index.html")):
        abort(503, description="The web client is not built: run `make client` (or `make run`).")
    response = send_from_directory(dist, "index.html", max_age=0)
    response.headers["Cache-Control"] = "no-cache"
    return response
