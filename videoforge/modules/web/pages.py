"""The web client's pages: the paths the server answers with the app (history routing), and which are none.

Kept in step with the route table of client/src/router.ts (tests/modules/web/test_pages.py compares the two): a
page added to the client is added here too, or a reload of it answers 404. A `:name` segment matches any one
non-empty segment (an id); the client decides what it names.
"""

from __future__ import annotations

PAGES = (
    "/",
    "/videos",
    "/upload",
    "/public",
    "/admin",
    "/account",
    "/webhooks",
    "/signin",
    "/signup",
    "/forgot",
    "/reset",
    "/verify",
    "/watch/:id",
)


def _segments(path: str) -> list[str]:
    return [segment for segment in path.split("/") if segment]


def is_page(path: str) -> bool:
    """Whether `path` (with or without its leading slash) is one of the client's pages."""
    segments = _segments(path)
    if path.endswith("/") and segments:
        return False  # "/upload/" is not "/upload": one address per page
    for pattern in PAGES:
        expected = _segments(pattern)
        if len(expected) == len(segments) and all(
                want == got or (want.startswith(":") and got) for want, got in zip(expected, segments, strict=True)):
            return True
    return False
