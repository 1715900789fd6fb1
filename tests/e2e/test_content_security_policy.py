"""In Chromium, under the app's real Content-Security-Policy: sign up, upload, play, hover the storyboard, open both
API docs pages, with not one policy violation or console error; on local storage and on S3 (another origin)."""

from __future__ import annotations

import re
import uuid

import pytest
from playwright.sync_api import Page, expect

from tests.e2e.conftest import running_app
from tests.e2e.test_browser import VIDEO, sign_up
from tests.media import make_clip

pytestmark = [pytest.mark.browser, pytest.mark.slow, pytest.mark.timeout(240)]

# Every violation becomes a console error, which the new_page fixture collects into page.problems (Chromium logs
# most itself, but the event also names what the console line may not: the directive and the blocked URL).
REPORT_VIOLATIONS = """
document.addEventListener("securitypolicyviolation", (e) => console.error(
  `CSP violation: ${e.effectiveDirective} blocked ${e.blockedURI || "inline"} at ${e.sourceFile}:${e.lineNumber}`));
"""


@pytest.fixture(scope="module")
def s3_live_server(weed_s3, tmp_path_factory):
    """`videoforge run` storing in its own bucket on the session's S3 server (another origin than the page)."""
    bucket = browser_bucket(weed_s3, "vf-csp")
    with running_app(tmp_path_factory.mktemp("instance-s3"), VIDEOFORGE_STORAGE_BACKEND="s3",
                     VIDEOFORGE_S3_BUCKET=bucket, VIDEOFORGE_S3_ENDPOINT_URL=weed_s3.endpoint_url,
                     VIDEOFORGE_S3_REGION=weed_s3.region, VIDEOFORGE_S3_ACCESS_KEY_ID=weed_s3.access_key,
                     VIDEOFORGE_S3_SECRET_ACCESS_KEY=weed_s3.secret_key, VIDEOFORGE_LADDER_HEIGHTS="240") as app:
        yield app


def browser_bucket(weed_s3, prefix: str) -> str:
    """A new bucket on the session's S3 server that browsers may PUT uploads to and GET media from, from any
    origin (ETag is read back for multipart confirms); its name."""
    bucket = f"{prefix}-{uuid.uuid4().hex[:8]}"
    client = weed_s3.client()
    client.create_bucket(Bucket=bucket)
    client.put_bucket_cors(Bucket=bucket, CORSConfiguration={"CORSRules": [{
        "AllowedOrigins": ["*"], "AllowedMethods": ["GET", "HEAD", "PUT"], "AllowedHeaders": ["*"],
        "ExposeHeaders": ["ETag"], "MaxAgeSeconds": 600}]})
    return bucket


def watched_page(new_page, name: str) -> tuple[Page, list[tuple[str, str]]]:
    """A page reporting policy violations, and the (method, URL) of every request it makes."""
    page = new_page(name)
    page.add_init_script(REPORT_VIOLATIONS)
    requests: list[tuple[str, str]] = []
    page.on("request", lambda r: requests.append((r.method, r.url)))
    return page, requests


def upload_play_and_read_docs(page: Page, base: str, clip, email: str) -> None:
    """The whole client under its policy: sign-up, an upload, playback, poster and storyboard, then both docs pages."""
    upload_and_play(page, base, clip, email)
    read_docs(page, base)


def upload_and_play(page: Page, base: str, clip, email: str) -> str:
    """Sign up, upload `clip`, see its poster in the library, play it and hover the storyboard; the video's id."""
    shell = page.goto(f"{base}/signin")
    policy = shell.headers["content-security-policy"]
    assert "script-src 'self';" in policy and "frame-ancestors 'none'" in policy, policy
    sign_up(page, base, email)

    page.goto(f"{base}/upload")
    page.get_by_test_id("upload-input").set_input_files(str(clip))
    item = page.get_by_test_id("upload-item")
    item.get_by_label("Title").fill("Under the policy")
    item.get_by_role("button", name="Start upload").click()
    expect(item).to_have_attribute("data-phase", "done", timeout=60_000)
    video_id = item.get_by_role("link", name="Open video").get_attribute("href").rsplit("/", 1)[-1]

    # Ready means the poster and storyboard exist too; the library card shows the poster (img-src).
    page.goto(f"{base}/")
    card = page.locator(f"[data-testid=video-card][data-video-id='{video_id}']")
    expect(card).to_have_attribute("data-status", "ready", timeout=120_000)
    poster = card.locator(".poster img")
    expect(poster).to_be_visible()
    page.wait_for_function("img => img.complete && img.naturalWidth > 0", arg=poster.element_handle())

    # hls.js: its worker from a Blob (worker-src), MediaSource (media-src blob:), playlists and segments (connect-src).
    card.get_by_role("link").first.click()
    page.get_by_test_id("play-button").click()
    page.wait_for_function(f"() => {{ const v = document.querySelector('{VIDEO}');"
                           " return v && v.readyState >= 2 && v.currentTime > 0.5; }", timeout=30_000)
    page.get_by_test_id("seek-bar").hover()
    expect(page.get_by_test_id("storyboard-thumb")).to_be_visible()  # a sprite from storage as a CSS background
    page.wait_for_timeout(500)  # time for the sprite to load, or be refused
    return video_id


def read_docs(page: Page, base: str) -> None:
    """Both API docs pages, and ReDoc's search (its Blob worker)."""
    page.goto(f"{base}/api/docs")
    expect(page.locator(".swagger-ui .info .title")).to_contain_text("VideoForge", timeout=30_000)
    page.goto(f"{base}/api/redoc")
    expect(page.get_by_text("Create a video and get signed URLs").first).to_be_attached(timeout=30_000)
    page.get_by_placeholder("Search...").fill("upload")  # ReDoc searches in its Blob worker
    expect(page.get_by_role("search").get_by_role("menuitem").first).to_be_visible()


def test_the_client_and_docs_run_under_the_policy_on_local_storage(live_server, new_page, tmp_path):
    page, requests = watched_page(new_page, "csp-local")
    clip = make_clip(tmp_path / "policy.mp4", width=320, height=180, seconds=2)
    upload_play_and_read_docs(page, live_server.url, clip, "policy-local@example.test")
    assert page.problems == []
    assert any(method == "PUT" and "/api/storage/" in url for method, url in requests), requests


def test_the_client_and_docs_run_under_the_policy_on_s3(s3_live_server, weed_s3, new_page, tmp_path):
    page, requests = watched_page(new_page, "csp-s3")
    clip = make_clip(tmp_path / "policy.mp4", width=320, height=180, seconds=2)
    upload_play_and_read_docs(page, s3_live_server.url, clip, "policy-s3@example.test")
    assert page.problems == []
    # The storage origin really was another origin, reached for the upload and for the media.
    s3 = [(method, url) for method, url in requests if url.startswith(weed_s3.endpoint_url + "/")]
    assert any(method == "PUT" for method, _ in s3), requests
    assert any(method == "GET" and re.search(r"\.(m4s|mp4)\?", url) for method, url in s3), s3
