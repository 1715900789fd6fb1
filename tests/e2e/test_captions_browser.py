"""Issue 16 in Chromium against the all-in-one app: the owner adds English and French captions in the watch page's
editor, the CC menu switches between them (and the C key turns them off and on), the choice is remembered, and a
search for a word of a cue opens the watch page at that cue.

Screens are saved under artifacts/screens/captions-*.png.
"""

from __future__ import annotations

import os
import re
import time

import pytest
import requests
from playwright.sync_api import Page, expect

from tests.e2e.conftest import running_app
from tests.e2e.test_accessibility import audit
from tests.media import make_clip
from tests.need import need

# One xdist worker, in order (tests/conftest.py SHARED_FILES): the axe test reads the video the journey made.
pytestmark = [pytest.mark.browser, pytest.mark.slow, pytest.mark.timeout(300)]

PASSWORD = "correct horse battery staple"
OWNER = "captions-owner@example.test"
TITLE = "Lighthouse at noon"
VIDEO = "[data-testid=player-video]"
# Two tracks with different words at the same times; "marmalade" is said (in English) from 0:04.
ENGLISH = ("WEBVTT\n\n"
           "00:00:00.000 --> 00:00:04.000\nHello from the lighthouse\n\n"
           "00:00:04.000 --> 00:00:08.000\nThe marmalade boat arrives\n")
FRENCH = ("WEBVTT\n\n"
          "00:00:00.000 --> 00:00:04.000\nBonjour depuis le phare\n\n"
          "00:00:04.000 --> 00:00:08.000\nLe bateau de confiture arrive\n")

# hls.js gives each subtitle <track> element the src "data:,WEBVTT" (against a Chrome menu bug, hls.js #2198). Refused
# by a media-src without data:, the track fails to load, and Chromium then never shows the cues of a track shown a
# second time (English, French, English again; or C off and on).
HLS_TRACK_SRC = "'data:,WEBVTT' violates the following Content Security Policy directive"

expect.set_options(timeout=15_000)


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    """An app of its own: its public gallery holds this test's video alone (uploads get no generated captions unless
    they ask, AUTO_CAPTIONS being off by default)."""
    with running_app(tmp_path_factory.mktemp("captions"), VIDEOFORGE_LADDER_HEIGHTS="360,240") as app:
        yield app


def api_owner(base: str) -> dict[str, str]:
    response = requests.post(f"{base}/api/auth/signup", json={"email": OWNER, "password": PASSWORD}, timeout=10)
    assert response.status_code == 201, response.text
    token = requests.post(f"{base}/api/auth/token", json={"email": OWNER, "password": PASSWORD}, timeout=10)
    assert token.status_code == 200, token.text
    return {"Authorization": f"Bearer {token.json()['access_token']}"}


def api_upload_ready(base: str, headers: dict, clip) -> str:
    """Upload `clip` as a public video through the API (as the page does), and wait until it is ready."""
    created = requests.post(f"{base}/api/gallery/uploads", headers=headers, timeout=10, json={
        "filename": clip.name, "size": clip.stat().st_size, "content_type": "video/mp4", "title": TITLE,
        "visibility": "public"})
    assert created.status_code == 201, created.text
    video, plan = created.json()["video"], created.json()["upload"]
    put = requests.put(plan["url"], data=clip.read_bytes(), headers=plan.get("headers") or {}, timeout=30)
    assert put.status_code in (200, 204), put.text
    confirmed = requests.post(f"{base}/api/gallery/videos/{video['id']}/confirm", json={}, headers=headers,
                              timeout=10)
    assert confirmed.status_code == 202, confirmed.text
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        status = requests.get(f"{base}/api/gallery/videos/{video['id']}", headers=headers, timeout=10).json()["status"]
        if status == "ready":
            return video["id"]
        assert status != "failed", f"the test clip failed to process: {video['id']}"
        time.sleep(0.5)
    pytest.fail(f"{video['id']} not ready after 120 s")


def sign_in(page: Page, base: str) -> None:
    page.goto(f"{base}/signin")
    page.get_by_label("Email").fill(OWNER)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_test_id("account-email")).to_have_text(OWNER)


def add_track(page: Page, path, language: str) -> None:
    form = page.get_by_test_id("caption-upload-form")
    form.get_by_label("Caption file (WebVTT or SRT)").set_input_files(str(path))
    form.get_by_label("Language", exact=True).fill(language)
    form.get_by_role("button", name="Upload captions").click()
    track = page.locator(f"[data-testid=caption-track][data-language='{language}']")
    expect(track).to_have_attribute("data-status", "ready")
    expect(track).to_contain_text("2 cues")


def shown_cues(page: Page) -> list[str]:
    """The text of the cues on screen now: the active cues of the text track the video shows."""
    return page.eval_on_selector(VIDEO, """v => Array.from(v.textTracks)
        .filter(t => t.mode === 'showing')
        .flatMap(t => Array.from(t.activeCues || []).map(c => c.text))""")


def wait_for_cue(page: Page, text: str, timeout_ms: int = 20_000) -> None:
    """Plays from 1 s (again, if the short clip ended) until `text` is on screen."""
    page.eval_on_selector(VIDEO, "v => { v.muted = true; v.currentTime = 1; return v.play(); }")
    page.wait_for_function(
        """text => { const v = document.querySelector('[data-testid=player-video]');
            if (v.ended) { v.currentTime = 1; v.play(); }
            return Array.from(v.textTracks).some(t => t.mode === 'showing'
                && Array.from(t.activeCues || []).some(c => c.text === text)); }""",
        arg=text, timeout=timeout_ms)



def test_captions_in_the_editor_the_cc_menu_and_search(server, new_page, artifacts, tmp_path):
    base = server.url
    headers = api_owner(base)
    video_id = api_upload_ready(base, headers, make_clip(tmp_path / "lighthouse.mp4", width=640, height=360,
                                                         seconds=8))
    english, french = tmp_path / "lighthouse.en.vtt", tmp_path / "lighthouse.fr.vtt"
    english.write_text(ENGLISH, encoding="utf-8")
    french.write_text(FRENCH, encoding="utf-8")

    # --- the editor: no tracks, then English and French -----------------------------------------------------------
    page = new_page("owner")
    sign_in(page, base)
    page.goto(f"{base}/watch/{video_id}")
    panel = page.get_by_test_id("captions-panel")
    expect(panel.get_by_text("No captions yet.")).to_be_visible()
    expect(page.get_by_test_id("captions-menu")).to_have_count(0)  # nothing to choose yet
    add_track(page, english, "en")
    add_track(page, french, "fr")
    expect(panel.get_by_role("link", name="Download Français (fr)")).to_have_attribute("href", re.compile(r"\.vtt\b"))
    panel.screenshot(path=os.path.join(artifacts, "captions-editor.png"))

    # --- the CC menu: the player reloaded its playlist with both tracks; English, then French, on the picture --------
    menu = page.get_by_test_id("captions-menu")
    expect(menu.locator("option")).to_have_text(["CC off", "English (en)", "Français (fr)"])
    expect(menu).to_have_value("-1")  # off until someone chooses
    menu.select_option(label="English (en)")
    wait_for_cue(page, "Hello from the lighthouse")
    assert shown_cues(page) == ["Hello from the lighthouse"], shown_cues(page)
    refused = [p for p in page.problems if HLS_TRACK_SRC in p]
    assert not refused, f"the app's CSP must allow data: in media-src for hls.js's subtitle tracks: {refused}"
    page.eval_on_selector(VIDEO, "v => v.pause()")
    page.get_by_test_id("player").screenshot(path=os.path.join(artifacts, "captions-player-english.png"))
    menu.select_option(label="Français (fr)")
    wait_for_cue(page, "Bonjour depuis le phare")
    assert shown_cues(page) == ["Bonjour depuis le phare"], shown_cues(page)
    page.eval_on_selector(VIDEO, "v => v.pause()")
    page.get_by_test_id("player").screenshot(path=os.path.join(artifacts, "captions-player-french.png"))

    # --- C turns them off and back on (in French, the remembered language), and says so --------------------------
    page.get_by_test_id("player").focus()
    page.keyboard.press("c")
    expect(menu).to_have_value("-1")
    expect(page.get_by_test_id("player-announcement")).to_have_text("Captions off")
    assert shown_cues(page) == []
    page.keyboard.press("c")
    expect(page.get_by_test_id("player-announcement")).to_have_text("Captions: Français (fr)")
    wait_for_cue(page, "Bonjour depuis le phare")

    # --- remembered: another visit starts in French -----------------------------------------------------------------
    page.reload()
    expect(page.get_by_test_id("captions-menu").locator("option:checked")).to_have_text("Français (fr)")
    wait_for_cue(page, "Bonjour depuis le phare")
    page.eval_on_selector(VIDEO, "v => v.pause()")

    # --- search: a word of a cue finds the video, and its link starts at that cue ------------------------------------
    page.goto(f"{base}/public")
    page.get_by_role("searchbox", name="Search public videos").fill("marmalade")
    page.keyboard.press("Enter")
    expect(page).to_have_url(f"{base}/public?q=marmalade")
    expect(page.get_by_test_id("search-summary")).to_have_text("1 video matches “marmalade”.")
    card = page.get_by_test_id("video-card")
    expect(card.get_by_test_id("search-match")).to_have_text("0:04 “The marmalade boat arrives”")
    page.screenshot(path=os.path.join(artifacts, "captions-search.png"), full_page=True)
    card.get_by_role("link").first.click()
    expect(page).to_have_url(f"{base}/watch/{video_id}?t=4")
    page.wait_for_function(f"() => {{ const v = document.querySelector('{VIDEO}');"
                           " return v && v.readyState >= 1 && v.currentTime >= 3.9; }")
    assert page.eval_on_selector(VIDEO, "v => v.currentTime") == pytest.approx(4, abs=0.5)

    # --- My videos searches too, and a link may say 0m6s ----------------------------------------------------------
    page.goto(f"{base}/?q=lighthouse")
    expect(page.get_by_test_id("search-summary")).to_have_text("1 video matches “lighthouse”.")
    expect(page.get_by_test_id("video-card")).to_have_attribute("data-video-id", video_id)
    page.goto(f"{base}/watch/{video_id}?t=0m6s")
    page.wait_for_function(f"() => {{ const v = document.querySelector('{VIDEO}');"
                           " return v && v.readyState >= 1 && v.currentTime >= 5.9; }")
    assert not page.problems, page.problems


def test_the_caption_editor_cc_menu_and_search_results_pass_axe(server, browser, open_pages, artifacts, tmp_path):
    """axe (as tests/e2e/test_accessibility.py runs it) on what issue 16 added: the editor with tracks and a refused
    file, the CC menu, search results; light and dark, desktop and phone."""
    base = server.url
    token = requests.post(f"{base}/api/auth/token", json={"email": OWNER, "password": PASSWORD}, timeout=10)
    # Run alone, the first test made neither the owner nor the video: a skip locally, a failure on CI.
    need(token.status_code == 200, "needs the video of test_captions_in_the_editor_the_cc_menu_and_search")
    headers = {"Authorization": f"Bearer {token.json()['access_token']}"}
    video_id = requests.get(f"{base}/api/gallery/videos", headers=headers, timeout=10).json()[0]["id"]
    context = browser.new_context(viewport={"width": 1280, "height": 800}, locale="en-GB", bypass_csp=True)
    try:
        page = context.new_page()
        page.set_default_timeout(15_000)
        open_pages["axe"] = page
        sign_in(page, base)
        failures: dict = {}
        page.goto(f"{base}/watch/{video_id}")
        expect(page.get_by_test_id("captions-menu").locator("option")).to_have_count(3)
        bad = tmp_path / "notes.txt"
        bad.write_text("not captions")
        form = page.get_by_test_id("caption-upload-form")
        form.get_by_label("Caption file (WebVTT or SRT)").set_input_files(str(bad))
        form.get_by_label("Language", exact=True).fill("english")
        form.get_by_role("button", name="Upload captions").click()
        expect(form.get_by_label("Caption file (WebVTT or SRT)")).to_be_focused()
        expect(form.locator(".field-error")).to_have_count(2)
        audit(page, "captions editor", failures, artifacts)
        page.goto(f"{base}/public?q=marmalade")
        expect(page.get_by_test_id("search-match")).to_be_visible()
        audit(page, "search results", failures, artifacts)
        page.goto(f"{base}/?q=nothing%20like%20it")
        expect(page.get_by_test_id("search-summary")).to_have_text("No videos match “nothing like it”.")
        audit(page, "my videos no results", failures)
        assert not failures, failures
    finally:
        context.close()
