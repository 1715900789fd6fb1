"""Web fixtures: an all-in-one app at a public https address, serving a stand-in build of the client, and shared
videos as the processor leaves them."""

from __future__ import annotations

import uuid
from html.parser import HTMLParser
from urllib.parse import urlsplit

import pytest

from videoforge.models import MediaAsset, User, Video
from videoforge.ports.storage import get_storage

BASE = "https://videos.example"
# What Vite writes, in the parts the server edits (title, description) and keeps (the scripts).
INDEX = ('<!doctype html>\n<html lang="en">\n  <head>\n    <meta charset="UTF-8" />\n'
         '    <meta name="description" content="VideoForge: upload, transcode and share videos." />\n'
         '    <title>VideoForge</title>\n    <script type="module" crossorigin src="/assets/index-abc.js"></script>\n'
         '  </head>\n  <body><div id="root"></div></body>\n</html>\n')
EMBED = INDEX.replace("index-abc.js", "embed-def.js")
POSTER = b"\xff\xd8\xff\xe0 poster bytes"


@pytest.fixture
def make_web_app(make_app, tmp_path):
    """`make_web_app(**overrides)`: an all-in-one app at BASE whose client build is the stand-in above."""

    def make(**overrides):
        dist = tmp_path / "dist"
        (dist / "assets").mkdir(parents=True, exist_ok=True)
        (dist / "index.html").write_text(INDEX)
        (dist / "embed.html").write_text(EMBED)
        (dist / "assets" / "index-abc.js").write_text("console.log('app')")
        return make_app(PUBLIC_URL=BASE, WEB_DIST=str(dist), **overrides)

    return make


@pytest.fixture
def web_app(make_web_app):
    return make_web_app()


@pytest.fixture
def client(web_app):
    return web_app.test_client()


def add_video(app, poster_file, **columns) -> str:
    """A ready public 1280×720 video with a published rung and a poster (stored in the app's storage); its id."""
    values = {"title": "Harbour at dusk", "description": "Boats come home.", "visibility": "public",
              "status": "ready", "duration": 93.4, "width": 1280, "height": 720, **columns}
    with app.extensions["videoforge.db"].session() as session:
        owner = User(sub=f"owner-{uuid.uuid4()}", email=None)
        session.add(owner)
        session.flush()
        video = Video(owner_id=owner.id, **values)
        session.add(video)
        session.flush()
        base = f"processed/{video.id}"
        session.add_all([
            MediaAsset(video_id=video.id, kind="variant", rung="720p", width=1280, height=720, bitrate=3_000_000,
                       key=f"{base}/720p/index.m3u8", complete=True),
            MediaAsset(video_id=video.id, kind="poster", key=f"{base}/poster.jpg"),
        ])
        video_id = video.id
    poster_file.write_bytes(POSTER)
    get_storage(app).upload_file(f"processed/{video_id}/poster.jpg", str(poster_file), "image/jpeg")
    return video_id


@pytest.fixture
def make_video(web_app, tmp_path):
    """`make_video(**columns)`: add_video on the test's app."""
    return lambda **columns: add_video(web_app, tmp_path / "poster.jpg", **columns)


class Head(HTMLParser):
    """The tags of a page's head: meta by property or name (each list in order), links, and the title."""

    def __init__(self):
        super().__init__()
        self.meta: dict[str, list[str]] = {}
        self.links: list[dict[str, str]] = []
        self.title: list[str] = []
        self.scripts: list[dict[str, str]] = []
        self._in_title = False

    def handle_starttag(self, tag, attrs):
        attributes = {name: value or "" for name, value in attrs}
        if tag == "meta" and ("property" in attributes or "name" in attributes):
            key = attributes.get("property") or attributes["name"]
            self.meta.setdefault(key, []).append(attributes.get("content", ""))
        elif tag == "link":
            self.links.append(attributes)
        elif tag == "script":
            self.scripts.append(attributes)
        self._in_title = tag == "title"

    def handle_endtag(self, tag):
        self._in_title = False

    def handle_data(self, data):
        if self._in_title:
            self.title.append(data)

    def one(self, key: str) -> str:
        values = self.meta.get(key, [])
        assert len(values) == 1, (key, values)
        return values[0]


def head_of(response) -> Head:
    parser = Head()
    parser.feed(response.get_data(as_text=True))
    return parser


def local_path(url: str) -> str:
    """The path and query of one of this app's absolute URLs, for the test client."""
    parts = urlsplit(url)
    assert f"{parts.scheme}://{parts.netloc}" == BASE, url
    return parts.path + ("?" + parts.query if parts.query else "")
