"""The library: my videos and public ones (newest first, paginated), edits, moderation, deletion, retry, cleanup."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
import requests
from sqlalchemy import func, select

from tests.modules.gallery.conftest import new_upload, send_parts
from tests.rows import set_video
from videoforge.models import MediaAsset, OutboxMessage, QueueMessage, User, Video, utcnow
from videoforge.ports.storage import NoSuchUpload

MiB = 1024 * 1024


def count(app, model) -> int:
    with app.extensions["videoforge.db"].session() as session:
        return session.scalar(select(func.count()).select_from(model))


def test_my_videos_newest_first_filtered_and_paginated(app, client, auth_headers):
    headers, other = auth_headers(), auth_headers()
    ids = [new_upload(client, headers, title=f"v{n}").json["video"]["id"] for n in range(5)]
    new_upload(client, other)
    for n, video_id in enumerate(ids):  # distinct creation times, oldest first
        set_video(app, video_id, created_at=utcnow() - timedelta(minutes=10 - n))
    set_video(app, ids[0], status="ready")

    page = client.get("/api/gallery/videos?page=1&page_size=2", headers=headers)
    assert page.status_code == 200
    assert [v["title"] for v in page.json] == ["v4", "v3"]
    pagination = json.loads(page.headers["X-Pagination"])
    assert pagination["total"] == 5 and pagination["total_pages"] == 3 and pagination["next_page"] == 2
    last = client.get("/api/gallery/videos?page=3&page_size=2", headers=headers)
    assert [v["title"] for v in last.json] == ["v0"]
    ready = client.get("/api/gallery/videos?status=ready", headers=headers)
    assert [v["id"] for v in ready.json] == [ids[0]]
    assert client.get("/api/gallery/videos?status=bogus", headers=headers).status_code == 422
    assert client.get("/api/gallery/videos").status_code == 401


def test_public_lists_only_public_ready_videos_to_anyone(app, client, auth_headers):
    headers = auth_headers()
    shown = new_upload(client, headers, visibility="public", title="shown").json["video"]["id"]
    waiting = new_upload(client, headers, visibility="public", title="waiting").json["video"]["id"]
    unlisted = new_upload(client, headers, visibility="unlisted").json["video"]["id"]
    for video_id in (shown, unlisted):
        set_video(app, video_id, status="ready")
    listing = client.get("/api/gallery/public")
    assert listing.status_code == 200
    assert [v["id"] for v in listing.json] == [shown]
    assert listing.json[0]["is_owner"] is False
    assert client.get(f"/api/gallery/videos/{unlisted}").status_code == 200  # by link, without signing in
    assert waiting not in [v["id"] for v in listing.json]


def test_video_json_never_leaks_owner_or_keys(app, client, auth_headers):
    headers = auth_headers(email="owner@example.test")
    video_id = new_upload(client, headers, visibility="public").json["video"]["id"]
    for body in (client.get(f"/api/gallery/videos/{video_id}", headers=headers).json,
                 client.get(f"/api/gallery/videos/{video_id}").json):
        text = json.dumps(body)
        assert "owner@example.test" not in text and "uploads/" not in text and "owner_id" not in body
        assert set(body) >= {"id", "title", "description", "visibility", "status", "progress", "stage", "error",
                             "duration", "width", "height", "created_at", "updated_at", "poster_url",
                             "queue_position", "estimated_start_seconds", "is_owner", "retryable"}


def test_poster_url_is_signed_and_fetches_the_poster(app, client, storage, auth_headers, tmp_path):
    headers = auth_headers()
    video_id = new_upload(client, headers).json["video"]["id"]
    assert client.get(f"/api/gallery/videos/{video_id}", headers=headers).json["poster_url"] is None
    poster = tmp_path / "poster.jpg"
    poster.write_bytes(b"\xff\xd8jpeg")
    storage.upload_file(f"processed/{video_id}/poster.jpg", str(poster), "image/jpeg")
    with app.extensions["videoforge.db"].session() as session:
        session.add(MediaAsset(video_id=video_id, kind="poster", key=f"processed/{video_id}/poster.jpg"))
    url = client.get(f"/api/gallery/videos/{video_id}", headers=headers).json["poster_url"]
    got = requests.get(url, timeout=10)
    assert got.status_code == 200 and got.headers["Content-Type"] == "image/jpeg" and got.content == poster.read_bytes()


def test_owner_edits_and_admin_moderates(app, client, auth_headers):
    owner = auth_headers()
    video_id = new_upload(client, owner, visibility="public").json["video"]["id"]
    base = f"/api/gallery/videos/{video_id}"
    changed = client.patch(base, json={"title": "  New title ", "description": "About\nit", "visibility": "unlisted"},
                           headers=owner)
    assert changed.status_code == 200
    assert (changed.json["title"], changed.json["description"], changed.json["visibility"]) == \
        ("New title", "About\nit", "unlisted")
    admin = auth_headers(groups=["admin"])
    moderated = client.patch(base, json={"visibility": "private"}, headers=admin)
    assert moderated.status_code == 200 and moderated.json["visibility"] == "private"
    assert client.get(base, headers=admin).status_code == 200  # admins see private videos
    assert client.delete(base, headers=admin).status_code == 204
    assert client.get(base, headers=owner).status_code == 404


def test_delete_removes_rows_and_every_object(app, client, storage, auth_headers, tmp_path):
    headers = auth_headers()
    created = new_upload(client, headers, size=3).json
    video_id = created["video"]["id"]
    requests.put(created["upload"]["url"], data=b"abc", timeout=10)
    assert client.post(f"/api/gallery/videos/{video_id}/confirm", json={}, headers=headers).status_code == 202
    output = tmp_path / "seg.m4s"
    output.write_bytes(b"segment")
    for name in ("master.m3u8", "360p/index.m3u8", "360p/seg_00001.m4s", "poster.jpg"):
        storage.upload_file(f"processed/{video_id}/{name}", str(output), "video/iso.segment")
    with app.extensions["videoforge.db"].session() as session:
        session.add(MediaAsset(video_id=video_id, kind="poster", key=f"processed/{video_id}/poster.jpg"))
        owner_id = session.get(Video, video_id).owner_id
    assert client.delete(f"/api/gallery/videos/{video_id}", headers=headers).status_code == 204
    assert count(app, Video) == 0 and count(app, MediaAsset) == 0
    assert storage.size_of(f"uploads/{owner_id}/{video_id}/source") is None
    assert storage.delete_prefix(f"processed/{video_id}/") == 0


def test_delete_aborts_a_pending_multipart_upload(app, client, storage, auth_headers):
    headers = auth_headers()
    created = new_upload(client, headers, size=10 * MiB, filename="big.mkv").json
    plan = created["upload"]["multipart"]
    send_parts(plan, bytes(10 * MiB), numbers={1})
    with app.extensions["videoforge.db"].session() as session:
        video = session.get(Video, created["video"]["id"])
        key, upload_id = video.source_key, video.upload_id
    assert [p.number for p in storage.list_parts(key, upload_id)] == [1]
    assert client.delete(f"/api/gallery/videos/{created['video']['id']}", headers=headers).status_code == 204
    assert requests.put(plan["parts"][1]["url"], data=bytes(2 * MiB), timeout=10).status_code == 404  # its exact size


def test_owner_retries_a_failed_video_with_a_new_job(app, client, auth_headers):
    headers = auth_headers()
    created = new_upload(client, headers, size=3).json
    video_id = created["video"]["id"]
    requests.put(created["upload"]["url"], data=b"abc", timeout=10)
    client.post(f"/api/gallery/videos/{video_id}/confirm", json={}, headers=headers)
    set_video(app, video_id, status="failed", error="ffmpeg crashed", progress=42.0, stage="720p")
    assert client.get(f"/api/gallery/videos/{video_id}", headers=headers).json["retryable"] is True
    set_video(app, video_id, rejected=True)  # what the processor writes for a file that is not a video
    assert client.get(f"/api/gallery/videos/{video_id}", headers=headers).json["retryable"] is False
    set_video(app, video_id, rejected=False, stage="rejected")  # how a worker before migration 0005 said it
    assert client.get(f"/api/gallery/videos/{video_id}", headers=headers).json["retryable"] is False
    retried = client.post(f"/api/gallery/videos/{video_id}/retry", headers=headers)
    assert retried.status_code == 202
    assert (retried.json["status"], retried.json["error"], retried.json["progress"], retried.json["stage"]) == \
        ("queued", None, 0.0, None)
    assert count(app, OutboxMessage) == 2 and count(app, QueueMessage) == 2
    assert client.post(f"/api/gallery/videos/{video_id}/retry", headers=headers).status_code == 409


def test_cleanup_removes_stale_uploads_only(app, client, storage, auth_headers):
    headers = auth_headers()
    stale = new_upload(client, headers, size=3).json
    requests.put(stale["upload"]["url"], data=b"abc", timeout=10)
    stale_big = new_upload(client, headers, size=10 * MiB, filename="big.mkv").json
    send_parts(stale_big["upload"]["multipart"], bytes(10 * MiB), numbers={1})
    fresh = new_upload(client, headers, size=3).json
    confirmed = new_upload(client, headers, size=3).json
    requests.put(confirmed["upload"]["url"], data=b"abc", timeout=10)
    client.post(f"/api/gallery/videos/{confirmed['video']['id']}/confirm", json={}, headers=headers)
    for created in (stale, stale_big, confirmed):
        set_video(app, created["video"]["id"], created_at=utcnow() - timedelta(days=2))
    with app.extensions["videoforge.db"].session() as session:
        big = session.get(Video, stale_big["video"]["id"])
        big_key, big_upload = big.source_key, big.upload_id
        stale_key = session.get(Video, stale["video"]["id"]).source_key

    result = app.test_cli_runner().invoke(args=["uploads", "cleanup"])
    assert result.exit_code == 0, result.output
    assert "removed 2 stale uploads" in result.output
    with app.extensions["videoforge.db"].session() as session:
        assert sorted(session.scalars(select(Video.id))) == sorted([fresh["video"]["id"], confirmed["video"]["id"]])
        assert session.scalar(select(func.count()).select_from(User)) == 1
    assert storage.size_of(stale_key) is None
    with pytest.raises(NoSuchUpload):
        storage.list_parts(big_key, big_upload)
