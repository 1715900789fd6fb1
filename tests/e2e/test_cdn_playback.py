"""In Chromium: a video uploaded to S3 (weed) plays with every segment, the poster and the storyboard sprite fetched
through the CloudFront edge stand-in (tests/edge.py), under the app's real CSP; with signed URLs, and with signed
cookies on a CDN host that shares the app's parent domain."""

from __future__ import annotations

import contextlib
import re
from urllib.parse import urlsplit

import pytest

from tests.e2e.conftest import CHROMIUM, running_app
from tests.e2e.test_content_security_policy import (
    REPORT_VIOLATIONS,
    browser_bucket,
    upload_and_play,
    watched_page,
)
from tests.edge import CloudFrontKey, EdgeServer
from tests.media import make_clip

pytestmark = [pytest.mark.browser, pytest.mark.slow, pytest.mark.timeout(300)]

MEDIA = re.compile(r"\.(m4s|mp4|jpg)(\?|$)")
# Names only this test's Chromium resolves (to loopback): an app and a CDN host under one parent domain.
PARENT = "videoforge.test"


@pytest.fixture(scope="module")
def bucket(weed_s3) -> str:
    """A bucket of its own, open to browser uploads (they go straight to storage)."""
    return browser_bucket(weed_s3, "vf-cdn")


@contextlib.contextmanager
def cdn_stack(weed_s3, bucket: str, instance, *, app_host: str = "127.0.0.1", cdn_host: str = "127.0.0.1",
              cookies: bool = False):
    """An edge trusting a fresh key over `bucket`, and `videoforge run` delivering through it; yields (app, edge)."""
    instance.mkdir(parents=True, exist_ok=True)
    key = CloudFrontKey.generate()
    edge = EdgeServer(trusted_keys={key.key_pair_id: key.public_pem}, origin=weed_s3.client(), bucket=bucket,
                      path_pattern="processed/*", cors_credentials=cookies)
    edge.start()
    cdn_url = f"http://{cdn_host}:{urlsplit(edge.url).port}"
    settings = dict(
        VIDEOFORGE_STORAGE_BACKEND="s3", VIDEOFORGE_S3_BUCKET=bucket, VIDEOFORGE_S3_ENDPOINT_URL=weed_s3.endpoint_url,
        VIDEOFORGE_S3_REGION=weed_s3.region, VIDEOFORGE_S3_ACCESS_KEY_ID=weed_s3.access_key,
        VIDEOFORGE_S3_SECRET_ACCESS_KEY=weed_s3.secret_key, VIDEOFORGE_LADDER_HEIGHTS="240",
        VIDEOFORGE_MEDIA_DELIVERY="cdn", VIDEOFORGE_CDN_URL=cdn_url, VIDEOFORGE_CDN_KEY_PAIR_ID=key.key_pair_id,
        VIDEOFORGE_CDN_PRIVATE_KEY=key.private_pem)
    if cookies:
        settings.update(VIDEOFORGE_CDN_SIGNED_COOKIES="true", VIDEOFORGE_CDN_COOKIE_DOMAIN=PARENT)
    try:
        with running_app(instance, host_name=app_host, **settings) as app:
            edge.cors_origins = (app.url,)  # the player's origin, as the distribution's response headers policy
            yield app, edge, cdn_url
    finally:
        edge.stop()


def media_requests(requests: list[tuple[str, str]], origin: str) -> list[str]:
    return [url for method, url in requests if method == "GET" and url.startswith(origin + "/") and MEDIA.search(url)]


def test_a_video_plays_through_the_cdn_with_signed_urls(weed_s3, bucket, new_page, tmp_path):
    with cdn_stack(weed_s3, bucket, tmp_path / "instance") as (app, edge, cdn_url):
        page, requests = watched_page(new_page, "cdn-urls")
        clip = make_clip(tmp_path / "cdn.mp4", width=320, height=180, seconds=3)
        video_id = upload_and_play(page, app.url, clip, "cdn-urls@example.test")
        assert page.problems == []  # no CSP violation, no console error, no HTTP error
        fetched = media_requests(requests, cdn_url)
        assert any(".m4s?" in url for url in fetched) and any("poster.jpg?" in url for url in fetched), requests
        assert all(f"/processed/{video_id}/" in url or "/poster.jpg?" in url for url in fetched)
        # Storage was reached for the upload only: every byte of media came through the edge.
        assert media_requests(requests, weed_s3.endpoint_url) == []
        served = [r for r in edge.records if r.status in (200, 206)]
        assert any(r.path.endswith(".m4s") for r in served) and not edge.refusals(), edge.records


def test_a_video_plays_through_the_cdn_with_signed_cookies(weed_s3, bucket, tmp_path, browser, open_pages):
    with cdn_stack(weed_s3, bucket, tmp_path / "instance", app_host=f"app.{PARENT}", cdn_host=f"cdn.{PARENT}",
                   cookies=True) as (app, edge, cdn_url):
        # A Chromium of its own (the same Playwright), launched with the names mapped to loopback.
        browser = browser.browser_type.launch(executable_path=CHROMIUM, args=[
            "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--no-first-run",
            "--autoplay-policy=no-user-gesture-required", "--disable-quic",
            f"--host-resolver-rules=MAP *.{PARENT} 127.0.0.1",
            # Plain http on a made-up name is not a secure context; the client's crypto (PKCE, hashing) needs one.
            f"--unsafely-treat-insecure-origin-as-secure={app.url},{cdn_url}"])
        try:
            page = browser.new_context(viewport={"width": 1280, "height": 800}).new_page()
            page.set_default_timeout(15_000)
            open_pages["cdn-cookies"] = page
            problems: list[str] = []
            page.add_init_script(REPORT_VIOLATIONS)
            page.on("console", lambda m: m.type == "error" and not m.text.startswith("Failed to load resource")
                    and problems.append(m.text))
            page.on("response", lambda r: r.status >= 400 and problems.append(f"HTTP {r.status} {r.url}"))
            page.problems = problems
            requests: list[tuple[str, str]] = []
            page.on("request", lambda r: requests.append((r.method, r.url)))
            clip = make_clip(tmp_path / "cookies.mp4", width=320, height=180, seconds=3)
            video_id = upload_and_play(page, app.url, clip, "cdn-cookies@example.test")
            assert problems == []
            fetched = media_requests(requests, cdn_url)
            segments = [url for url in fetched if ".m4s" in url]
            # No signature in any URL: the three CloudFront-* cookies, scoped to the video's path, carried it.
            assert segments and all("?" not in url and f"/processed/{video_id}/" in url for url in segments), fetched
            cookies = {c["name"]: c for c in page.context.cookies() if c["path"] == f"/processed/{video_id}/"}
            assert set(cookies) == {"CloudFront-Policy", "CloudFront-Signature", "CloudFront-Key-Pair-Id"}
            assert all(c["domain"] in (PARENT, f".{PARENT}") and c["httpOnly"] for c in cookies.values())
            assert not edge.refusals(), edge.records
        finally:
            browser.close()
