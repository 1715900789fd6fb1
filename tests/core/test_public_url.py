"""Where handed-out URLs point: unset PUBLIC_URL means the scheme and host the caller used; set, PUBLIC_URL wins."""

from __future__ import annotations

from urllib.parse import urlsplit

import pytest
import requests
from flask import request

from tests.conftest import token_for
from videoforge.headers import client_policy
from videoforge.identity.setup import LOCAL_ISSUER, local_issuer_url
from videoforge.models import MediaAsset, User, Video
from videoforge.ports.storage import get_storage
from videoforge.urls import NoPublicUrl

VARIANT = ("#EXTM3U\n#EXT-X-VERSION:7\n#EXT-X-TARGETDURATION:4\n#EXT-X-PLAYLIST-TYPE:VOD\n"
           '#EXT-X-MAP:URI="init.mp4"\n#EXTINF:4.000,\nseg_00000.m4s\n#EXT-X-ENDLIST\n')
VTT = "WEBVTT\n\n00:00.000 --> 00:02.000\nstoryboard.jpg#xywh=0,0,160,90\n"
PASSWORD = "plum-orchard-41-sky"


@pytest.fixture
def served(make_app, http_server):
    """`served(**overrides)`: an all-in-one app answering on the loopback server; returns (app, port)."""

    def serve(**overrides):
        app = make_app(RATE_LIMIT_PER_MINUTE=0, MULTIPART_THRESHOLD=2 * 1024**2, MULTIPART_PART_SIZE=1024**2,
                       **overrides)
        http_server.serve(app)
        return app, urlsplit(http_server.url).port

    return serve


def upload_urls(base: str, token: str, size: int) -> list[str]:
    """Ask the API at `base` for an upload of `size` bytes; every URL it hands out for sending them."""
    created = requests.post(f"{base}/api/gallery/uploads", headers={"Authorization": f"Bearer {token}"}, timeout=10,
                            json={"title": "Clip", "filename": "clip.mp4", "size": size, "content_type": "video/mp4"})
    assert created.status_code == 201, created.text
    plan = created.json()["upload"]
    return [part["url"] for part in plan["multipart"]["parts"]] if plan.get("multipart") else [plan["url"]]


def ready_video(app, tmp_path) -> str:
    """A ready public video with one published rung, a poster and thumbnails, stored locally."""
    storage = get_storage(app)
    with app.extensions["videoforge.db"].session() as session:
        owner = User(sub="owner-sub", email="owner@example.test", groups=[])
        session.add(owner)
        session.flush()
        video = Video(owner_id=owner.id, title="Ready", visibility="public", status="ready", duration=4.0,
                      width=640, height=360)
        session.add(video)
        session.flush()
        base = f"processed/{video.id}"
        for name, text in (("360p/index.m3u8", VARIANT), ("thumbnails.vtt", VTT)):
            path = tmp_path / "object.txt"
            path.write_text(text)
            storage.upload_file(f"{base}/{name}", str(path), "text/plain")
        session.add_all([
            MediaAsset(video_id=video.id, kind="variant", rung="360p", width=640, height=360, bitrate=1040000,
                       codecs="avc1.64001e,mp4a.40.2", key=f"{base}/360p/index.m3u8"),
            MediaAsset(video_id=video.id, kind="poster", key=f"{base}/poster.jpg"),
            MediaAsset(video_id=video.id, kind="thumbnails", key=f"{base}/thumbnails.vtt"),
        ])
        return video.id


def playback_urls(base: str, video_id: str) -> list[str]:
    """The URLs playback info hands out, and those inside the playlists and the thumbnails track they lead to."""
    info = requests.get(f"{base}/api/streaming/videos/{video_id}", timeout=10)
    assert info.status_code == 200, info.text
    info = info.json()
    urls = [info["master_url"], info["thumbnails_url"], info["poster_url"]]
    master = requests.get(info["master_url"], timeout=10).text
    variant_path = next(line for line in master.splitlines() if line and not line.startswith("#"))
    variant = requests.get(info["master_url"].rsplit("/", 1)[0] + "/" + variant_path, timeout=10).text
    urls += [line.split('URI="', 1)[-1].rstrip('"') if line.startswith("#EXT-X-MAP") else line
             for line in variant.splitlines() if line.startswith("#EXT-X-MAP") or (line and line[0] != "#")]
    thumbnails = requests.get(info["thumbnails_url"], timeout=10).text
    urls += [line for line in thumbnails.splitlines() if "storyboard.jpg" in line]
    return urls


@pytest.mark.parametrize("host", ["localhost", "127.0.0.1"])
def test_without_public_url_upload_urls_are_on_the_host_asked_and_take_the_bytes(served, host):
    app, port = served()
    base = f"http://{host}:{port}"
    token = token_for(app)
    [single] = upload_urls(base, token, 1000)
    assert single.startswith(f"{base}/api/storage/")
    assert requests.put(single, data=b"\0" * 1000, headers={"Content-Type": "video/mp4"}, timeout=10).status_code == 200
    parts = upload_urls(base, token, 3 * 1024**2)
    assert parts and all(url.startswith(f"{base}/api/storage/") and "part=" in url for url in parts)


@pytest.mark.parametrize("host", ["localhost", "127.0.0.1"])
def test_without_public_url_playback_urls_are_on_the_host_asked(served, tmp_path, host):
    app, port = served()
    video_id = ready_video(app, tmp_path)
    base = f"http://{host}:{port}"
    urls = playback_urls(base, video_id)
    assert len(urls) == 6  # master, thumbnails, poster; init segment, segment, sprite
    assert all(url.startswith(f"{base}/api/") for url in urls), urls


def test_public_url_wins_over_the_host_asked(served, tmp_path):
    app, port = served(PUBLIC_URL="http://videos.example:8080/")
    video_id = ready_video(app, tmp_path)
    urls = upload_urls(f"http://localhost:{port}", token_for(app), 1000)
    assert urls[0].startswith("http://videos.example:8080/api/storage/")
    info = requests.get(f"http://localhost:{port}/api/streaming/videos/{video_id}", timeout=10).json()
    assert info["master_url"].startswith("http://videos.example:8080/api/streaming/videos/")
    assert info["poster_url"].startswith("http://videos.example:8080/api/storage/")


def test_proxy_headers_count_only_behind_trusted_proxies(make_app, tmp_path):
    forwarded = {"X-Forwarded-Proto": "https", "X-Forwarded-Host": "videos.example", "X-Forwarded-For": "203.0.113.9"}
    app = make_app(RATE_LIMIT_PER_MINUTE=0)
    video_id = ready_video(app, tmp_path)
    # Not trusted: a caller's own X-Forwarded-* headers change nothing.
    info = app.test_client().get(f"/api/streaming/videos/{video_id}", headers=forwarded).json
    assert info["master_url"].startswith("http://localhost/api/streaming/")
    # Behind one proxy of ours, in a process without the gateway module too: URLs and the client address follow it.
    behind = make_app(MODULES=["streaming"], TRUSTED_PROXY_HOPS=1)
    addresses = []
    behind.before_request(lambda: addresses.append(request.remote_addr))
    info = behind.test_client().get(f"/api/streaming/videos/{video_id}", headers=forwarded).json
    assert info["master_url"].startswith("https://videos.example/api/streaming/")
    assert info["poster_url"].startswith("https://videos.example/api/storage/")
    assert addresses == ["203.0.113.9"]


def test_a_token_signed_in_at_one_host_works_at_another(served):
    app, port = served()
    assert local_issuer_url(app.config) == LOCAL_ISSUER
    signup = requests.post(f"http://localhost:{port}/api/auth/signup", timeout=10,
                           json={"email": "roamer@example.test", "password": PASSWORD})
    assert signup.status_code == 201, signup.text
    tokens = requests.post(f"http://localhost:{port}/api/auth/token", timeout=10,
                           json={"email": "roamer@example.test", "password": PASSWORD}).json()
    me = requests.get(f"http://127.0.0.1:{port}/api/auth/me", timeout=10,
                      headers={"Authorization": f"Bearer {tokens['access_token']}"})
    assert me.status_code == 200 and me.json()["email"] == "roamer@example.test"


def test_issuer_follows_auth_issuer_then_public_url():
    assert local_issuer_url({"AUTH_ISSUER": "https://id.example", "PUBLIC_URL": "https://v.example"}) == \
        "https://id.example"
    assert local_issuer_url({"AUTH_ISSUER": "", "PUBLIC_URL": "https://v.example/"}) == "https://v.example/api/auth"
    assert local_issuer_url({"AUTH_ISSUER": "", "PUBLIC_URL": ""}) == LOCAL_ISSUER


def test_without_public_url_the_client_policy_fetches_from_its_own_origin():
    policy = client_policy({"PUBLIC_URL": "", "STORAGE_BACKEND": "local", "AUTH_BACKEND": "local"})
    assert policy["connect-src"] == ["'self'"]
    assert policy["media-src"] == ["'self'", "blob:", "data:"]  # data: hls.js's subtitle tracks
    assert policy["img-src"] == ["'self'", "data:"]


def test_outside_a_request_without_public_url_no_url_is_made(app):
    """The worker answers no request and hands out no URL; asked to, storage says what to set."""
    with app.app_context(), pytest.raises(NoPublicUrl, match="VIDEOFORGE_PUBLIC_URL"):
        get_storage(app).presign_get("processed/x/poster.jpg", 60)
