"""Uploads end to end on local storage and on S3: a generated clip, single PUT and multipart, ends queued once."""

from __future__ import annotations

import requests
from sqlalchemy import func, select

from tests.modules.gallery.conftest import send_parts
from videoforge.models import OutboxMessage, QueueMessage, Video
from videoforge.ports.storage import get_storage

MiB = 1024 * 1024


def jobs(app) -> list[dict]:
    with app.extensions["videoforge.db"].session() as session:
        return [m.body for m in session.scalars(select(QueueMessage))]


def test_single_put_upload_ends_queued_with_one_job(gallery_app, storage_settings, auth_headers, small_clip):
    app = gallery_app(**storage_settings)
    client, headers = app.test_client(), auth_headers()
    data = small_clip.read_bytes()
    created = client.post("/api/gallery/uploads", headers=headers, json={
        "title": "My clip", "filename": "holiday.mp4", "size": len(data), "content_type": "video/mp4"})
    assert created.status_code == 201, created.json
    video, upload = created.json["video"], created.json["upload"]
    assert video["status"] == "awaiting_upload" and video["is_owner"] is True
    assert upload["method"] == "PUT" and "holiday" not in upload["url"]
    sent = requests.put(upload["url"], data=data, headers=upload["headers"], timeout=30)
    assert sent.status_code == 200, sent.text

    confirmed = client.post(f"/api/gallery/videos/{video['id']}/confirm", json={}, headers=headers)
    assert confirmed.status_code == 202, confirmed.json
    assert confirmed.json["status"] == "queued"
    again = client.post(f"/api/gallery/videos/{video['id']}/confirm", json={}, headers=headers)
    assert again.status_code == 202 and again.json["status"] == "queued"
    assert [(j["type"], j["video_id"]) for j in jobs(app)] == [("transcode", video["id"])]
    with app.extensions["videoforge.db"].session() as session:
        assert session.scalar(select(func.count()).select_from(OutboxMessage)) == 1
        assert session.get(Video, video["id"]).source_size == len(data)
    # The worker reads exactly what was sent.
    with app.app_context():
        key = f"uploads/{created_user_id(app, video['id'])}/{video['id']}/source"
        assert get_storage(app).size_of(key) == len(data)


def created_user_id(app, video_id: str) -> str:
    with app.extensions["videoforge.db"].session() as session:
        return session.get(Video, video_id).owner_id


def test_multipart_upload_resumes_and_ends_queued_with_one_job(gallery_app, storage_settings, auth_headers,
                                                               large_clip, tmp_path):
    app = gallery_app(MULTIPART_THRESHOLD=9 * MiB, MULTIPART_PART_SIZE=8 * MiB, **storage_settings)
    client, headers = app.test_client(), auth_headers()
    data = large_clip.read_bytes()
    created = client.post("/api/gallery/uploads", headers=headers, json={
        "title": "Big", "filename": "big.mkv", "size": len(data), "content_type": "video/x-matroska"})
    assert created.status_code == 201, created.json
    video_id = created.json["video"]["id"]
    plan = created.json["upload"]["multipart"]
    assert plan["part_size"] >= 8 * MiB
    assert [p["number"] for p in plan["parts"]] == [1, 2]

    first = send_parts(plan, data, numbers={1})  # then the connection drops
    state = client.get(f"/api/gallery/uploads/{video_id}", headers=headers)
    assert state.status_code == 200
    assert [(p["number"], p["etag"]) for p in state.json["parts"]] == [(1, first[0]["etag"])]
    assert state.json["missing_parts"] == [2]
    early = client.post(f"/api/gallery/videos/{video_id}/confirm", json={"parts": first}, headers=headers)
    assert early.status_code == 409 and "parts" in early.json["errors"]["json"]

    rest = send_parts(state.json["upload"]["multipart"], data, numbers={2})  # fresh URLs from the resume call
    confirmed = client.post(f"/api/gallery/videos/{video_id}/confirm", json={"parts": first + rest}, headers=headers)
    assert confirmed.status_code == 202, confirmed.json
    assert confirmed.json["status"] == "queued"
    assert client.post(f"/api/gallery/videos/{video_id}/confirm", json={"parts": first + rest},
                       headers=headers).status_code == 202
    assert [j["video_id"] for j in jobs(app)] == [video_id]
    done = client.get(f"/api/gallery/uploads/{video_id}", headers=headers).json
    assert done["upload"] is None and done["received_bytes"] == len(data)
    with app.app_context():
        target = tmp_path / "copy.mkv"
        get_storage(app).download_file(f"uploads/{created_user_id(app, video_id)}/{video_id}/source", str(target))
        assert target.read_bytes() == data


def test_concurrent_confirms_queue_exactly_one_job(gallery_app, http_server, auth_headers):
    from concurrent.futures import ThreadPoolExecutor

    app = gallery_app()
    client, headers = app.test_client(), auth_headers()
    created = client.post("/api/gallery/uploads", headers=headers, json={
        "title": "Race", "filename": "race.mp4", "size": 4, "content_type": "video/mp4"}).json
    assert requests.put(created["upload"]["url"], data=b"race", timeout=10).status_code == 200
    url = f"{http_server.url}/api/gallery/videos/{created['video']['id']}/confirm"
    with ThreadPoolExecutor(4) as pool:
        answers = list(pool.map(lambda _: requests.post(url, json={}, headers=headers, timeout=30), range(4)))
    assert [a.status_code for a in answers] == [202] * 4
    assert len(jobs(app)) == 1
