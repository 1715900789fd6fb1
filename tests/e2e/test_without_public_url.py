"""A newcomer's first hour: `make run PORT=5055` leaves PUBLIC_URL unset and the browser says `localhost`.

Every URL the app hands out (upload, playlists, segments, poster) must then be on `localhost:<port>`, not on a
default address the browser never used; and a phone's portrait video lists its rungs as people name them.
"""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.e2e.conftest import running_app
from tests.e2e.test_browser import VIDEO, sign_up, video_state, wait_until_playing_past
from tests.media import make_clip

pytestmark = [pytest.mark.browser, pytest.mark.slow, pytest.mark.timeout(240)]


@pytest.fixture(scope="module")
def localhost_server(tmp_path_factory):
    """`videoforge run` on a port of its own (not 5000), no PUBLIC_URL, reached as localhost."""
    with running_app(tmp_path_factory.mktemp("no-public-url"), host_name="localhost", public_url=False,
                     VIDEOFORGE_LADDER_HEIGHTS="360,240") as app:
        yield app


def test_an_upload_through_the_page_works_and_plays_when_reached_as_localhost(localhost_server, new_page, tmp_path):
    base = localhost_server.url
    assert base.startswith("http://localhost:") and not base.endswith(":5000")
    clip = make_clip(tmp_path / "phone.mp4", width=360, height=640, seconds=3)  # portrait, as phones film
    page = new_page("owner")
    requested: list[str] = []
    page.on("request", lambda r: requested.append(f"{r.method} {r.url}"))

    sign_up(page, base, "roamer@example.test")
    page.get_by_role("link", name="Upload", exact=True).first.click()
    page.get_by_test_id("upload-input").set_input_files(str(clip))
    item = page.get_by_test_id("upload-item")
    expect(item).to_have_attribute("data-phase", "ready")
    item.get_by_label("Title").fill("Filmed upright")
    item.get_by_role("button", name="Start upload").click()
    expect(item).to_have_attribute("data-phase", "done", timeout=30_000)
    puts = [line for line in requested if line.startswith("PUT ")]
    assert puts and all(line.startswith(f"PUT {base}/api/storage/") for line in puts), puts

    video_id = item.get_by_role("link", name="Open video").get_attribute("href").rsplit("/", 1)[-1]

    page.goto(f"{base}/")
    card = page.locator(f"[data-testid=video-card][data-video-id='{video_id}']")
    expect(card).to_have_attribute("data-status", "ready", timeout=90_000)
    card.get_by_role("link").first.click()
    expect(page.get_by_role("heading", name="Filmed upright")).to_be_visible()
    expect(page.get_by_text("Available in 360p, 240p")).to_be_visible()
    quality = page.get_by_test_id("quality-menu")
    expect(quality).to_be_enabled()
    # Named by the short side, best first: 360x640 is "360p", never "640p".
    labels = [text.split(" ·")[0] for text in quality.locator("option").all_inner_texts()]
    # "Auto" names the rung it picked once hls.js has chosen one ("Auto (360p)"): that never uses the long side either.
    assert labels[0] in ("Auto", "Auto (360p)", "Auto (240p)") and labels[1:] == ["360p", "240p"], labels
    page.get_by_test_id("play-button").click()
    wait_until_playing_past(page, 1.0)
    state = video_state(page)
    assert state["error"] is None and (state["width"], state["height"]) in ((360, 640), (240, 426)), state
    page.eval_on_selector(VIDEO, "v => v.pause()")

    fetched = [url for line in requested if (url := line.split(" ", 1)[1]).startswith("http")]
    media = [url for url in fetched if "/api/streaming/" in url or "/api/storage/" in url]
    assert any(".m4s" in url for url in media), media  # segments came from storage
    assert all(url.startswith(f"{base}/") for url in fetched), [u for u in fetched if not u.startswith(base)]
    assert page.problems == [], page.problems
