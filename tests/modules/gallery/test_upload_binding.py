"""Upload URLs take what was planned and nothing else: each part its own size, and no body once confirmed."""

from __future__ import annotations

import hashlib

import requests

from tests.modules.gallery.conftest import new_upload, send_parts
from videoforge.models import Video

MiB = 1024 * 1024


def stored(app, video_id: str) -> Video:
    with app.extensions["videoforge.db"].session() as session:
        return session.get(Video, video_id)


def test_each_part_url_takes_exactly_its_planned_part(app, client, storage, auth_headers):
    headers = auth_headers()
    data = bytes(10 * MiB)  # 8 MiB, then the 2 MiB that remain
    created = new_upload(client, headers, size=len(data), filename="big.mkv").json
    plan = created["upload"]["multipart"]
    first, last = plan["parts"]
    for url, wrong in ((first["url"], 8 * MiB + 1), (last["url"], 8 * MiB), (last["url"], 2 * MiB + 1)):
        refused = requests.put(url, data=bytes(wrong), timeout=30)
        assert refused.status_code == 400, refused.text
        assert refused.json()["errors"]["size"] and "exactly" in refused.json()["message"]
    video = stored(app, created["video"]["id"])
    assert storage.list_parts(video.source_key, video.upload_id) == []  # nothing of the refused bodies kept
    parts = send_parts(plan, data)
    confirmed = client.post(f"/api/gallery/videos/{video.id}/confirm", json={"parts": parts}, headers=headers)
    assert confirmed.status_code == 202, confirmed.json
    assert stored(app, video.id).source_etag == storage.stat(video.source_key).etag
    late = requests.put(last["url"], data=bytes(2 * MiB), timeout=30)
    assert late.status_code == 404  # the multipart upload is complete: its part URLs write nothing


def test_a_put_url_resends_until_confirmed_and_refuses_every_body_after(app, client, storage, auth_headers):
    headers = auth_headers()
    created = new_upload(client, headers, size=5).json
    url, video_id = created["upload"]["url"], created["video"]["id"]
    assert requests.put(url, data=b"first", timeout=10).status_code == 200
    assert requests.put(url, data=b"again", timeout=10).status_code == 200  # a resend before confirm works
    assert client.post(f"/api/gallery/videos/{video_id}/confirm", json={}, headers=headers).status_code == 202
    video = stored(app, video_id)
    assert video.status == "queued" and video.source_etag == f'"{hashlib.md5(b"again").hexdigest()}"'

    swap = requests.put(url, data=b"swap!", timeout=10)
    assert swap.status_code == 409
    assert swap.headers["Content-Type"] == "application/json" and "confirmed" in swap.json()["message"]
    state = client.get(f"/api/gallery/uploads/{video_id}", headers=headers).json
    assert state["upload"] is None  # and no fresh URL is handed out for it either
    assert storage.path_of(video.source_key).read_bytes() == b"again"
