"""The built client's HTML pages (index.html, embed.html), answered with a head of our own for each request."""

from __future__ import annotations

import os
import re

from flask import Response, abort, current_app

# What the build's own head says that a page replaces: its title and its description.
_REPLACED = re.compile(r'\s*<title>.*?</title>|\s*<meta\s+name="description"[^>]*>', re.S | re.I)
_HEAD_END = re.compile(r"</head>", re.I)


def dist() -> str:
    """The folder of the built client."""
    return os.path.abspath(current_app.config["WEB_DIST"])


def page(name: str, head: str, status: int = 200) -> Response:
    """`name` (index.html, embed.html) from the build, `head` in place of its title and description.

    Never stored by caches: the head follows the video's visibility and title, which change at any time.
    """
    path = os.path.join(dist(), name)
    try:
        with open(path, encoding="utf-8") as fh:
            html = fh.read()
    except FileNotFoundError:
        abort(503, description="The web client is not built: run `make client` (or `make run`).")
    html = _REPLACED.sub("", html, count=2)
    # A function, not a replacement string: a title's backslashes must stay text, not group references.
    html, found = _HEAD_END.subn(lambda _match: head + "\n</head>", html, count=1)
    if not found:
        html = head + html
    response = Response(html, status=status, mimetype="text/html")
    response.headers["Cache-Control"] = "no-cache"
    return response
