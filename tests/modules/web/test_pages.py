"""The server answers the app for exactly the client's pages: the paths of client/src/router.ts's ROUTES are
videoforge/modules/web/pages.py's PAGES, so a page added to one and not the other fails here, not on a reload."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from videoforge.modules.web.pages import PAGES, is_page

ROUTER = Path(__file__).resolve().parents[3] / "client" / "src" / "router.ts"


def client_paths() -> list[str]:
    source = ROUTER.read_text()
    table = source[source.index("export const ROUTES"):]
    table = table[: table.index("];")]
    return re.findall(r'\[\s*"\w+"\s*,\s*"([^"]+)"\s*\]', table)


def test_the_server_knows_every_page_of_the_client_and_no_other():
    paths = client_paths()
    assert len(paths) >= 10  # the table was found and read
    assert sorted(paths) == sorted(PAGES)


@pytest.mark.parametrize(("path", "page"), [
    ("/", True), ("", True), ("/upload", True), ("upload", True), ("/watch/abc", True),
    ("/upload/", False), ("/watch", False), ("/watch/", False), ("/watch/a/b", False), ("/uploads", False),
    ("/api/gallery", False), ("/assets/x.js", False),
])
def test_a_path_is_a_page_when_it_matches_one_segment_for_segment(path, page):
    assert is_page(path) is page
