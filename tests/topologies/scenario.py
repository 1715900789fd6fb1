"""The end-to-end scenario every topology must pass: sign up, upload, confirm, transcode, play each rung."""

from __future__ import annotations

import re
import time
import uuid
from urllib.parse import urljoin

import pytest
import requests

from tests.media import make_clip


def sign_up(gateway: str) -> dict[str, str]:
    email, password = f"split-{uuid.uuid4().hex[:8]}@example.test", "correct horse battery staple 9"
    signup = requests.post(f"{gateway}/api/auth/signup", json={"email": email, "password": password}, timeout=10)
    assert signup.status_code == 201, signup.text
    token = requests.post(f"{gateway}/api/auth/token", json={"email": email, "password": password}, timeout=10)
    assert token.status_code == 200, token.text
    return {"Authorization": f"Bearer {token.json()['access_token']}"}


def wait_for_status(gateway: str, headers: dict, video_id, want: str, timeout: float = 240.0) -> dict:
    deadline = time.monotonic() + timeout
    video = {}
    while time.monotonic() < deadline:
        video = requests.get(f"{gateway}/api/gallery/videos/{video_id}", headers=headers, timeout=10).json()
        if video.get("status") == want:
            return video
        if video.get("status") == "failed":
            pytest.fail(f"video failed: {video.get('error')}")
        time.sleep(1)
    pytest.fail(f"video still {video.get('status')!r} after {timeout:.0f} s: {video}")


def playlist_uris(text_: str) -> list[str]:
    """URIs a playlist refers to: plain lines and URI="..." attributes (EXT-X-MAP, I-frame lists)."""
    uris = re.findall(r'URI="([^"]+)"', text_)
    uris += [line.strip() for line in text_.splitlines() if line.strip() and not line.startswith("#")]
    return uris


def run_scenario(gateway: str, tmp_path, logs: dict) -> None:
    """Sign up, upload, confirm, wait for the transcode, fetch the master playlist and a segment of each rung,
    all at `gateway`; then check each service in `logs` (name -> Service) logged the confirm's request id."""
    headers = sign_up(gateway)
    clip = make_clip(tmp_path / "clip.mp4", width=854, height=480, seconds=3)
    size = clip.stat().st_size

    created = requests.post(f"{gateway}/api/gallery/uploads", headers=headers, timeout=10, json={
        "title": "split scenario", "filename": "clip.mp4", "size": size, "content_type": "video/mp4"})
    assert created.status_code == 201, created.text
    video, upload = created.json()["video"], created.json()["upload"]
    assert upload.get("method", "PUT") == "PUT", "a 3 s clip should not need a multipart upload"
    put = requests.put(upload["url"], data=clip.read_bytes(), headers=upload.get("headers") or {}, timeout=30)
    assert put.status_code in (200, 204), put.text

    rid = f"split-{uuid.uuid4().hex[:12]}"
    confirmed = requests.post(f"{gateway}/api/gallery/videos/{video['id']}/confirm", json={},
                              headers={**headers, "X-Request-Id": rid}, timeout=10)
    assert confirmed.status_code == 202, confirmed.text
    assert confirmed.headers["X-Request-Id"] == rid
    wait_for_status(gateway, headers, video["id"], "ready")

    info = requests.get(f"{gateway}/api/streaming/videos/{video['id']}", headers=headers, timeout=10)
    assert info.status_code == 200, info.text
    master_url = urljoin(gateway + "/", info.json()["master_url"])
    master = requests.get(master_url, headers=headers, timeout=10)
    assert master.status_code == 200, master.text
    assert master.text.startswith("#EXTM3U")
    variants = [urljoin(master_url, uri) for uri in playlist_uris(master.text)]
    assert len(variants) >= 2, master.text  # a 480p source makes a 480p and a 360p rung
    for variant_url in variants:
        variant = requests.get(variant_url, headers=headers if variant_url.startswith(gateway) else {}, timeout=10)
        assert variant.status_code == 200, (variant_url, variant.text)
        media = [urljoin(variant_url, uri) for uri in playlist_uris(variant.text)]
        segments = [m for m in media if not m.split("?")[0].endswith(".m3u8")]
        assert segments, variant.text
        for url in segments[:2]:  # the init section (fMP4) and the first segment
            segment = requests.get(url, timeout=10)
            assert segment.status_code == 200, (url, segment.text[:300])
            assert len(segment.content) > 0

    # One request id from the gateway through the module to the worker that ran the job.
    for name, service in logs.items():
        ids = {line.get("request_id") for line in service.log_lines()}
        assert rid in ids, f"{name} never logged request id {rid}:\n{service.log_tail()}"
