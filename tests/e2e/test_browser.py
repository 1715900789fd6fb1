"""Issue 9 end to end in Chromium against the all-in-one app: sign up, upload, watch it process, play, edit, delete.

Every screen a person passes through is saved under artifacts/screens/ (numbered in the order of the journey),
so a reviewer can look at what the run saw.
"""

from __future__ import annotations

import json
import os
import time
import urllib.error
import urllib.request

import pytest
from playwright.sync_api import CDPSession, Page, expect

from tests.media import make_clip

pytestmark = [pytest.mark.browser, pytest.mark.slow, pytest.mark.timeout(240)]

PASSWORD = "correct horse battery staple"
OWNER_EMAIL = "maker@example.test"
VIEWER_EMAIL = "viewer@example.test"
TITLE = "Test pattern at sunrise"
RENAMED = "Test pattern, final cut"
DESCRIPTION = "Colour bars and a 440 Hz tone, made by ffmpeg for the browser test."
# A 5 s clip at the two 360/240 rungs transcodes in ~15 s on 2 cores; the bound leaves room for a busy CI machine.
PROCESSING_TIMEOUT_S = 90
# Slow the browser's upload so its progress bar is on screen long enough to be seen (bytes per second).
UPLOAD_THROTTLE = 400_000

VIDEO = "[data-testid=player-video]"

expect.set_options(timeout=10_000)


def shoot(page: Page, artifacts: str, name: str, full_page: bool = False) -> None:
    if full_page:
        # From the top: otherwise the sticky header is drawn where the window happened to be scrolled.
        page.evaluate("window.scrollTo(0, 0)")
    page.screenshot(path=os.path.join(artifacts, f"{name}.png"), full_page=full_page)


def sign_up(page: Page, base: str, email: str) -> None:
    page.goto(f"{base}/signup")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Create account").click()
    expect(page.get_by_test_id("account-email")).to_have_text(email)


def throttle_upload(page: Page, bytes_per_second: int) -> CDPSession:
    """Chromium's own network emulation (DevTools protocol), through the session it returns."""
    cdp = page.context.new_cdp_session(page)
    cdp.send("Network.enable")
    cdp.send("Network.emulateNetworkConditions", {
        "offline": False, "latency": 0, "downloadThroughput": -1, "uploadThroughput": bytes_per_second,
    })
    return cdp


def video_state(page: Page) -> dict:
    return page.eval_on_selector(VIDEO, """v => ({
        time: v.currentTime, paused: v.paused, ended: v.ended, ready: v.readyState,
        height: v.videoHeight, width: v.videoWidth, error: v.error && v.error.message })""")


def wait_until_playing_past(page: Page, seconds: float, timeout_ms: int = 20_000) -> None:
    page.wait_for_function(
        f"() => {{ const v = document.querySelector('{VIDEO}');"
        f" return v && v.currentTime > {seconds} && v.videoHeight > 0; }}",
        timeout=timeout_ms,
    )


def stored_files(instance, video_id: str) -> list[str]:
    """Files the local storage adapter holds for a video (its upload and everything processed)."""
    root = instance / "storage"
    return sorted(str(p.relative_to(root)) for p in root.rglob("*") if p.is_file() and video_id in p.as_posix())


def api_status(base: str, path: str) -> int:
    try:
        with urllib.request.urlopen(base + path, timeout=5) as response:
            return response.status
    except urllib.error.HTTPError as exc:
        return exc.code


def test_upload_process_play_edit_delete(live_server, new_page, artifacts, tmp_path):
    base = live_server.url
    clip = make_clip(tmp_path / "sunrise.mp4", width=640, height=360, seconds=5)

    # --- sign in page, then a new account -------------------------------------------------------------------
    owner = new_page("owner")
    owner.goto(f"{base}/signin")
    expect(owner.get_by_role("heading", name="Sign in")).to_be_visible()
    expect(owner.get_by_label("Email")).to_be_visible()
    shoot(owner, artifacts, "01-sign-in")
    owner.get_by_role("link", name="Create an account").click()
    owner.get_by_label("Email").fill(OWNER_EMAIL)
    owner.get_by_label("Password").fill("short")
    owner.get_by_role("button", name="Create account").click()
    # The server's rule, shown at the field it is about.
    expect(owner.locator(".field-error")).to_contain_text("at least")
    expect(owner.get_by_label("Password")).to_have_attribute("aria-invalid", "true")
    assert [p for p in owner.problems if "/api/auth/signup" not in p] == [], owner.problems
    owner.problems.clear()  # that 400 was the point
    sign_up(owner, base, OWNER_EMAIL)
    expect(owner.get_by_role("heading", name="My videos")).to_be_visible()
    expect(owner.get_by_role("link", name="Admin")).to_have_count(0)  # not an admin

    # --- upload through the page, with the progress bar moving --------------------------------------------------
    owner.get_by_role("link", name="Upload", exact=True).first.click()
    expect(owner.get_by_role("heading", name="Upload videos")).to_be_visible()
    owner.get_by_test_id("upload-input").set_input_files(str(clip))
    item = owner.get_by_test_id("upload-item")
    expect(item).to_have_attribute("data-phase", "ready")
    item.get_by_label("Title").fill(TITLE)
    item.get_by_label("Description").fill(DESCRIPTION)
    throttle = throttle_upload(owner, UPLOAD_THROTTLE)
    item.get_by_role("button", name="Start upload").click()
    expect(item).to_have_attribute("data-phase", "uploading")
    progress = owner.get_by_test_id("upload-progress")
    owner.wait_for_function(
        "() => { const p = document.querySelector('[data-testid=upload-progress]');"
        " return p && Number(p.getAttribute('aria-valuenow')) >= 15; }")
    expect(owner.get_by_test_id("upload-stats")).to_contain_text("Uploading")
    expect(owner.get_by_test_id("upload-stats")).to_contain_text("left")
    shoot(owner, artifacts, "03-upload-progress")
    expect(item).to_have_attribute("data-phase", "done", timeout=30_000)
    expect(progress).to_have_attribute("aria-valuenow", "100")
    video_id = item.get_by_role("link", name="Open video").get_attribute("href").rsplit("/", 1)[-1]
    assert video_id
    throttle.send("Network.emulateNetworkConditions", {
        "offline": False, "latency": 0, "downloadThroughput": -1, "uploadThroughput": -1})
    throttle.detach()

    # --- my videos: the card shows processing progress, then ready -----------------------------------------------
    owner.goto(f"{base}/")
    card = owner.locator(f"[data-testid=video-card][data-video-id='{video_id}']")
    expect(card).to_be_visible()
    expect(card.get_by_role("heading", name=TITLE)).to_be_visible()
    # Follow the card until it is ready; photograph it once it is visibly moving (processing, 10% or more).
    seen: list[int] = []
    shot = False
    deadline = time.monotonic() + PROCESSING_TIMEOUT_S
    while (status := card.get_attribute("data-status")) in ("queued", "processing"):
        assert time.monotonic() < deadline, f"still {status} after {PROCESSING_TIMEOUT_S}s (progress seen: {seen})"
        bar = card.locator("[data-testid=processing-progress][aria-valuenow]")
        value = bar.get_attribute("aria-valuenow", timeout=1_000) if bar.count() else None
        if value is not None and (not seen or seen[-1] != int(value)):
            seen.append(int(value))
            if not shot and status == "processing" and int(value) >= 10:
                expect(card.get_by_test_id("status-badge")).to_have_text("Processing")
                shoot(owner, artifacts, "02-my-videos-processing")
                shot = True
        time.sleep(0.25)
    assert status == "ready", f"the video ended {status}: {card.inner_text()}"
    assert shot, f"never saw the card processing with progress of 10% or more (seen: {seen})"
    assert seen == sorted(seen), f"processing progress went backwards: {seen}"
    assert len(seen) >= 2 and seen[-1] > seen[0], f"processing progress did not move: {seen}"
    expect(card.get_by_test_id("status-badge")).to_have_attribute("data-status", "ready")
    expect(card.locator(".poster img")).to_be_visible()  # the poster replaced the placeholder

    # --- watch: it plays, and the player has chosen one of the two rungs --------------------------------------
    card.get_by_role("link").first.click()
    expect(owner.get_by_role("heading", name=TITLE)).to_be_visible()
    quality = owner.get_by_test_id("quality-menu")
    expect(quality).to_be_enabled()
    expect(quality.locator("option")).to_have_count(3)  # Auto, 360p, 240p
    owner.get_by_test_id("play-button").click()
    wait_until_playing_past(owner, 1.0)
    state = video_state(owner)
    assert not state["paused"] and state["error"] is None, state
    assert state["height"] in (240, 360), state
    expect(quality.locator("option").first).to_contain_text(f"Auto ({state['height']}p")
    expect(owner.get_by_test_id("play-button")).to_have_attribute("aria-label", "Pause")
    shoot(owner, artifacts, "04-watch-playing")

    # --- switch quality to the other rung: the picture really changes size --------------------------------------
    target = 360 if state["height"] == 240 else 240
    option = quality.locator("option", has_text=f"{target}p ·")
    quality.select_option(option.get_attribute("value"))
    # A 5 s clip may end before the switch lands: play it again from the start.
    owner.eval_on_selector(VIDEO, "v => { v.currentTime = 0; return v.play(); }")
    owner.wait_for_function(
        f"() => {{ const v = document.querySelector('{VIDEO}');"
        f" return v.videoHeight === {target} && v.currentTime > 0.5; }}",
        timeout=20_000)
    expect(quality).to_have_value(option.get_attribute("value"))
    assert abs(video_state(owner)["width"] - target * 16 / 9) <= 4, video_state(owner)  # 640x360 or ~426x240

    # --- edit: new title, public visibility; the share link appears ---------------------------------------------
    owner.get_by_test_id("player-video").evaluate("v => v.pause()")
    form = owner.get_by_test_id("edit-form")
    expect(form.get_by_label("Visibility")).to_have_value("private")
    expect(owner.get_by_test_id("share-button")).to_have_count(0)  # private: nothing to share
    form.get_by_label("Title").fill(RENAMED)
    form.get_by_label("Visibility").select_option("public")
    form.get_by_role("button", name="Save").click()
    expect(form.get_by_role("status")).to_have_text("Saved")
    expect(owner.get_by_role("heading", name=RENAMED)).to_be_visible()
    owner.get_by_test_id("share-button").click()
    expect(owner.get_by_test_id("share-link")).to_have_value(f"{base}/watch/{video_id}")
    expect(owner.get_by_test_id("embed-code")).to_contain_text(f'src="{base}/embed/{video_id}"')
    owner.get_by_test_id("share-close").click()
    shoot(owner, artifacts, "05-edit", full_page=True)

    # --- a visitor, signed out, finds it in the public gallery and can watch it --------------------------------
    visitor = new_page("visitor")
    visitor.goto(f"{base}/public")
    expect(visitor.get_by_role("heading", name="Public videos")).to_be_visible()
    public_card = visitor.locator(f"[data-testid=video-card][data-video-id='{video_id}']")
    expect(public_card.get_by_role("heading", name=RENAMED)).to_be_visible()
    expect(visitor.get_by_test_id("account-email")).to_have_count(0)
    shoot(visitor, artifacts, "06-public-gallery")
    public_card.get_by_role("link").first.click()
    visitor.get_by_test_id("play-button").click()
    wait_until_playing_past(visitor, 0.5)
    expect(visitor.get_by_test_id("edit-form")).to_have_count(0)  # watching, not editing
    # Signed in as someone else, the gallery API returns the video too: still no owner's controls.
    sign_up(visitor, base, VIEWER_EMAIL)
    visitor.goto(f"{base}/watch/{video_id}")
    expect(visitor.get_by_role("heading", name=RENAMED)).to_be_visible()
    # The description comes from the gallery's answer: once it shows, the page knows whose video it is.
    expect(visitor.locator("p.description")).to_have_text(DESCRIPTION)
    expect(visitor.get_by_test_id("edit-form")).to_have_count(0)
    expect(visitor.get_by_role("button", name="Delete video")).to_have_count(0)

    # --- the admin (by email in config) sees the queue -------------------------------------------------------
    admin = new_page("admin")
    sign_up(admin, base, live_server.admin_email)
    admin.get_by_role("link", name="Admin").click()
    expect(admin.get_by_role("heading", name="Processing queue")).to_be_visible()
    expect(admin.get_by_test_id("queue-depth")).to_have_text("0")
    expect(admin.get_by_test_id("queue-in-flight")).to_have_text("0")
    expect(admin.get_by_test_id("queue-dead-letters")).to_have_text("0")
    expect(admin.get_by_test_id("redrive-button")).to_be_disabled()
    shoot(admin, artifacts, "07-admin")

    # --- delete, after a confirmation; it is gone for everyone ---------------------------------------------------
    before = stored_files(live_server.instance, video_id)
    assert any(f.endswith("index.m3u8") for f in before) and any("source" in f for f in before), before
    owner.get_by_role("button", name="Delete video").click()
    dialog = owner.get_by_test_id("confirm-dialog")
    expect(dialog).to_be_visible()
    expect(dialog).to_contain_text(RENAMED)
    shoot(owner, artifacts, "08-delete-confirm")
    dialog.get_by_role("button", name="Delete").click()
    expect(owner.get_by_role("heading", name="My videos")).to_be_visible()
    expect(owner.locator(f"[data-testid=video-card][data-video-id='{video_id}']")).to_have_count(0)
    expect(owner.get_by_text("No videos yet.")).to_be_visible()
    assert api_status(base, f"/api/streaming/videos/{video_id}") == 404
    assert stored_files(live_server.instance, video_id) == []
    visitor.goto(f"{base}/public")
    expect(visitor.get_by_text("Nothing has been shared publicly yet.")).to_be_visible()

    for name, page in (("owner", owner), ("visitor", visitor), ("admin", admin)):
        assert not page.problems, f"{name}'s page reported problems: {json.dumps(page.problems, indent=1)}"
