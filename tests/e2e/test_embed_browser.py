"""Issue 17 in Chromium: a video's embed page plays inside a frame on a site its owner allows (autoplay, muted, from
`?t=`), and the browser refuses to show it in a frame on a site the owner did not list. The two sites are two
loopback origins of one small host server: http://localhost:<port> (allowed) and http://127.0.0.1:<port> (not).
"""

from __future__ import annotations

import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
import requests
from playwright.sync_api import Frame, Page, expect

from tests.e2e.conftest import running_app
from tests.media import make_clip

pytestmark = [pytest.mark.browser, pytest.mark.slow, pytest.mark.timeout(240)]

PASSWORD = "correct horse battery staple"
expect.set_options(timeout=20_000)


class HostSite(ThreadingHTTPServer):
    embed = ""
    """The embed URL its page frames."""


class HostPage(BaseHTTPRequestHandler):
    """Another site's page: an iframe of its server's embed URL."""

    server: HostSite

    def do_GET(self):
        body = (f'<!doctype html><title>A blog</title><h1>My trip</h1>'
                f'<iframe id="player" src="{self.server.embed}" width="640" height="360" title="Harbour" '
                'allow="autoplay; fullscreen"></iframe>').encode()
        self.send_response(200)
        self.send_header("Content-Type", "text/html; charset=utf-8")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


@pytest.fixture(scope="module")
def host_site():
    server = HostSite(("127.0.0.1", 0), HostPage)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server
    server.shutdown()
    server.server_close()


@pytest.fixture(scope="module")
def app(tmp_path_factory):
    with running_app(tmp_path_factory.mktemp("embed"), VIDEOFORGE_LADDER_HEIGHTS="240") as app:
        yield app


def ready_public_video(base: str, clip) -> tuple[str, dict]:
    """Sign up, upload `clip` as a public video through the API and wait until it is ready: (its id, headers)."""
    email = "embed-owner@example.test"
    assert requests.post(f"{base}/api/auth/signup", json={"email": email, "password": PASSWORD},
                         timeout=10).status_code == 201
    token = requests.post(f"{base}/api/auth/token", json={"email": email, "password": PASSWORD}, timeout=10).json()
    headers = {"Authorization": f"Bearer {token['access_token']}"}
    created = requests.post(f"{base}/api/gallery/uploads", headers=headers, timeout=10, json={
        "filename": clip.name, "size": clip.stat().st_size, "content_type": "video/mp4", "title": "Harbour",
        "visibility": "public"}).json()
    plan = created["upload"]
    assert requests.put(plan["url"], data=clip.read_bytes(), headers=plan.get("headers") or {},
                        timeout=30).status_code in (200, 204)
    video_id = created["video"]["id"]
    assert requests.post(f"{base}/api/gallery/videos/{video_id}/confirm", json={}, headers=headers,
                         timeout=10).status_code == 202
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        status = requests.get(f"{base}/api/gallery/videos/{video_id}", headers=headers, timeout=10).json()["status"]
        if status == "ready":
            return video_id, headers
        assert status != "failed", "the test clip failed to process"
        time.sleep(0.5)
    raise AssertionError("the test clip did not become ready in 120 s")


def embed_frame(page: Page) -> Frame | None:
    return next((frame for frame in page.frames if "/embed/" in frame.url), None)


def test_the_embed_plays_on_an_allowed_site_and_is_refused_on_another(app, host_site, new_page, tmp_path):
    base = app.url  # http://127.0.0.1:<port>
    video_id, owner = ready_public_video(base, make_clip(tmp_path / "harbour.mp4", width=320, height=180,
                                                         seconds=6))
    port = host_site.server_address[1]
    allowed, other = f"http://localhost:{port}", f"http://127.0.0.1:{port}"
    changed = requests.patch(f"{base}/api/gallery/videos/{video_id}", headers=owner, timeout=10,
                             json={"embed_origins": [allowed]})
    assert changed.status_code == 200 and changed.json()["embed_origins"] == [allowed]
    host_site.embed = f"{base}/embed/{video_id}?autoplay=1&muted=1&t=2"

    # On the allowed site: the player is in the frame and plays, muted, from 2 s in.
    page = new_page("allowed-host")
    page.goto(f"{allowed}/post")
    player = page.frame_locator("#player")
    video = player.locator("[data-testid=player-video]")
    expect(video).to_be_visible()
    expect(player.locator("[data-testid=embed-title]")).to_have_attribute("href", f"{base}/watch/{video_id}?t=2")
    frame = embed_frame(page)
    assert frame is not None
    frame.wait_for_function("() => { const v = document.querySelector('video');"
                            " return v && !v.paused && v.muted && v.readyState >= 2 && v.currentTime > 2.2; }")
    # It started at 2 s, not at 0 and then played past 2 s: what was played begins there.
    assert frame.evaluate("() => document.querySelector('video').played.start(0)") == pytest.approx(2, abs=0.3)
    assert [p for p in page.problems if "Content Security Policy" in p] == []

    # On a site the owner did not list: Chromium refuses to show the page in the frame.
    refused = new_page("other-host")
    messages: list[str] = []
    refused.on("console", lambda message: messages.append(message.text))
    refused.goto(f"{other}/post")
    expect(refused.locator("#player")).to_be_attached()
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline and not any("frame-ancestors" in m for m in messages):
        refused.wait_for_timeout(100)
    assert any("frame-ancestors" in m and allowed in m for m in messages), messages
    frame = embed_frame(refused)
    assert frame is None or frame.evaluate("() => document.querySelector('video')") is None
    assert refused.frame_locator("#player").locator("[data-testid=player-video]").count() == 0
