"""A video's original: its owner (or an admin) downloads it under a safe name; its owner replaces it keeping the
video's id, title and captions, the new file going through the same upload and confirm into a new transcode."""

from __future__ import annotations

import os
from datetime import timedelta
from urllib.parse import unquote

import pytest
import requests
from sqlalchemy import select

from tests.modules.gallery.conftest import send_parts
from tests.rows import set_video
from videoforge.disposition import attachment
from videoforge.models import Caption, MediaAsset, QueueMessage, SourceReplacement, Video, utcnow
from videoforge.modules.gallery.originals import cleanup_stale_replacements
from videoforge.ports.storage import get_storage

MiB = 1024 * 1024


def upload(client, headers, data: bytes, **fields) -> str:
    """A confirmed upload of `data` (any bytes: nothing transcodes them here); its video id."""
    body = {"title": "Clip", "filename": "clip.mp4", "size": len(data), "content_type": "video/mp4", **fields}
    created = client.post("/api/gallery/uploads", json=body, headers=headers)
    assert created.status_code == 201, created.json
    plan = created.json["upload"]
    assert requests.put(plan["url"], data=data, headers=plan["headers"], timeout=30).status_code == 200
    video_id = created.json["video"]["id"]
    assert client.post(f"/api/gallery/videos/{video_id}/confirm", json={}, headers=headers).status_code == 202
    return video_id


def row(app, video_id: str) -> Video:
    with app.extensions["videoforge.db"].session() as session:
        video = session.get(Video, video_id)
        session.expunge(video)
        return video


def jobs(app) -> list[str]:
    with app.extensions["videoforge.db"].session() as session:
        return [m.body["video_id"] for m in session.scalars(select(QueueMessage).order_by(QueueMessage.id))
                if m.body["type"] == "transcode"]


# --- download ----------------------------------------------------------------------------------

def test_the_owner_and_admins_download_the_original_others_do_not(gallery_app, storage_settings, auth_headers):
    app = gallery_app(**storage_settings)
    client, owner = app.test_client(), auth_headers()
    data = os.urandom(5000)
    video_id = upload(client, owner, data, title='Our "trip"/..\\ to Köln', filename="IMG_0001.MOV",
                      content_type="video/quicktime")
    answer = client.get(f"/api/gallery/videos/{video_id}/download", headers=owner)
    assert answer.status_code == 200, answer.json
    assert answer.json["filename"] == "Our _trip__.._ to Köln.MOV"
    assert answer.json["size"] == len(data) and answer.json["expires_in"] == app.config["DOWNLOAD_URL_EXPIRY"]
    got = requests.get(answer.json["url"], timeout=30)
    assert got.status_code == 200 and got.content == data
    assert got.headers["Content-Disposition"] == attachment("Our _trip__.._ to Köln.MOV")
    assert unquote(got.headers["Content-Disposition"].split("UTF-8''")[1]) == "Our _trip__.._ to Köln.MOV"

    admin = client.get(f"/api/gallery/videos/{video_id}/download", headers=auth_headers(groups=["admin"]))
    assert admin.status_code == 200 and requests.get(admin.json["url"], timeout=30).content == data
    stranger = auth_headers()
    assert client.get(f"/api/gallery/videos/{video_id}/download", headers=stranger).status_code == 404  # private
    assert client.get(f"/api/gallery/videos/{video_id}/download").status_code == 401
    assert client.get(f"/api/gallery/videos/{'0' * 32}/download", headers=stranger).status_code == 404
    client.patch(f"/api/gallery/videos/{video_id}", json={"visibility": "public"}, headers=owner)
    assert client.get(f"/api/gallery/videos/{video_id}/download", headers=stranger).status_code == 403  # seen, not theirs


def test_a_video_awaiting_its_upload_has_no_original_to_download(app, client, auth_headers):
    headers = auth_headers()
    created = client.post("/api/gallery/uploads", json={"title": "t", "filename": "a.mp4", "size": 10,
                                                        "content_type": "video/mp4"}, headers=headers)
    answer = client.get(f"/api/gallery/videos/{created.json['video']['id']}/download", headers=headers)
    assert answer.status_code == 409


# --- replace -----------------------------------------------------------------------------------

def test_a_replace_keeps_the_video_and_queues_a_transcode_of_the_new_file(gallery_app, storage_settings,
                                                                          auth_headers):
    app = gallery_app(**storage_settings)
    client, owner = app.test_client(), auth_headers()
    old_data, new_data = os.urandom(3000), os.urandom(4000)
    video_id = upload(client, owner, old_data, title="Keep me", description="and me")
    old_key = row(app, video_id).source_key
    db = app.extensions["videoforge.db"]
    with db.session() as session:  # as the processor leaves a ready video, with a caption track
        session.add(MediaAsset(video_id=video_id, kind="variant", rung="360p", key=f"processed/{video_id}/x.m3u8"))
        session.add(Caption(video_id=video_id, language="en", label="English", key=f"processed/{video_id}/c.vtt"))
    set_video(app, video_id, status="ready", progress=100.0, duration=2.0)

    started = client.post(f"/api/gallery/videos/{video_id}/replace", headers=owner,
                          json={"filename": "better.webm", "size": len(new_data), "content_type": "video/webm"})
    assert started.status_code == 201, started.json
    assert started.json["video"]["id"] == video_id and started.json["video"]["status"] == "ready"
    plan = started.json["upload"]
    assert requests.put(plan["url"], data=new_data, headers=plan["headers"], timeout=30).status_code == 200
    assert row(app, video_id).source_key == old_key  # nothing changes before the confirm

    confirmed = client.post(f"/api/gallery/videos/{video_id}/replace/confirm", json={}, headers=owner)
    assert confirmed.status_code == 202, confirmed.json
    assert (confirmed.json["id"], confirmed.json["title"], confirmed.json["description"], confirmed.json["status"]) \
        == (video_id, "Keep me", "and me", "queued")
    assert client.post(f"/api/gallery/videos/{video_id}/replace/confirm", json={}, headers=owner).status_code == 202
    assert jobs(app) == [video_id, video_id]  # the upload's, then the replace's (once)

    video = row(app, video_id)
    storage = get_storage(app)
    assert video.source_key != old_key and video.source_key.startswith(old_key.rsplit("/", 1)[0] + "/")
    assert (video.source_size, video.filename, video.content_type) == (len(new_data), "better.webm", "video/webm")
    assert video.source_etag and storage.size_of(video.source_key) == len(new_data)
    assert storage.size_of(old_key) is None  # the replaced original is gone
    with db.session() as session:
        assert session.scalars(select(Caption.language).where(Caption.video_id == video_id)).all() == ["en"]
        assert session.scalars(select(MediaAsset.rung).where(MediaAsset.video_id == video_id)).all() == ["360p"]
        assert session.get(SourceReplacement, video_id) is None
    download = client.get(f"/api/gallery/videos/{video_id}/download", headers=owner).json
    assert download["filename"] == "Keep me.webm"
    assert requests.get(download["url"], timeout=30).content == new_data


def test_a_multipart_replace_resumes_and_confirms_with_its_parts(gallery_app, auth_headers):
    app = gallery_app(MULTIPART_THRESHOLD=9 * MiB, MULTIPART_PART_SIZE=8 * MiB)
    client, owner = app.test_client(), auth_headers()
    video_id = upload(client, owner, os.urandom(1000))
    set_video(app, video_id, status="failed", error="not a video", rejected=True)  # a replace is its remedy
    data = os.urandom(10 * MiB)
    started = client.post(f"/api/gallery/videos/{video_id}/replace", headers=owner,
                          json={"filename": "big.mkv", "size": len(data), "content_type": "video/x-matroska"})
    assert started.status_code == 201, started.json
    first = send_parts(started.json["upload"]["multipart"], data, numbers={1})
    state = client.get(f"/api/gallery/videos/{video_id}/replace", headers=owner)
    assert state.status_code == 200 and state.json["missing_parts"] == [2]
    early = client.post(f"/api/gallery/videos/{video_id}/replace/confirm", json={"parts": first}, headers=owner)
    assert early.status_code == 409
    rest = send_parts(state.json["upload"]["multipart"], data, numbers={2})
    confirmed = client.post(f"/api/gallery/videos/{video_id}/replace/confirm", json={"parts": first + rest},
                            headers=owner)
    assert confirmed.status_code == 202, confirmed.json
    assert confirmed.json["status"] == "queued" and confirmed.json["error"] is None
    assert get_storage(app).size_of(row(app, video_id).source_key) == len(data)
    assert client.get(f"/api/gallery/videos/{video_id}/replace", headers=owner).json["upload"] is None


@pytest.mark.parametrize("status", ["awaiting_upload", "queued", "processing"])
def test_a_replace_is_refused_while_a_job_is_on_the_file(app, client, auth_headers, status):
    owner = auth_headers()
    video_id = upload(client, owner, os.urandom(1000))
    set_video(app, video_id, status=status)
    body = {"filename": "new.mp4", "size": 1000, "content_type": "video/mp4"}
    refused = client.post(f"/api/gallery/videos/{video_id}/replace", json=body, headers=owner)
    assert refused.status_code == 409 and "status" in refused.json["errors"]["json"]


def test_a_replace_is_refused_to_a_video_that_moved_on_before_its_confirm(app, client, auth_headers):
    owner = auth_headers()
    video_id = upload(client, owner, os.urandom(1000))
    set_video(app, video_id, status="ready")
    started = client.post(f"/api/gallery/videos/{video_id}/replace", headers=owner,
                          json={"filename": "new.mp4", "size": 500, "content_type": "video/mp4"}).json
    requests.put(started["upload"]["url"], data=os.urandom(500), headers=started["upload"]["headers"], timeout=30)
    set_video(app, video_id, status="processing")  # say an operator forced a re-transcode meanwhile
    assert client.post(f"/api/gallery/videos/{video_id}/replace/confirm", json={}, headers=owner).status_code == 409
    assert jobs(app) == [video_id]


def test_only_the_owner_replaces_and_bad_files_are_refused(app, client, auth_headers):
    owner = auth_headers()
    video_id = upload(client, owner, os.urandom(1000))
    set_video(app, video_id, status="ready")
    path = f"/api/gallery/videos/{video_id}/replace"
    body = {"filename": "new.mp4", "size": 1000, "content_type": "video/mp4"}
    assert client.post(path, json=body, headers=auth_headers()).status_code == 404
    assert client.post(path, json=body, headers=auth_headers(groups=["admin"])).status_code == 403
    assert client.post(path, json=body).status_code == 401
    for bad in ({"filename": "../x.mp4"}, {"filename": "x.exe"}, {"content_type": "text/html"}, {"size": 0},
                {"size": app.config["UPLOAD_MAX_SIZE"] + 1}):
        assert client.post(path, json={**body, **bad}, headers=owner).status_code == 422, bad
    assert row(app, video_id).status == "ready"


def test_a_replace_counts_against_the_byte_quota_but_not_the_video_count(gallery_app, auth_headers):
    app = gallery_app(QUOTA_VIDEOS=1, QUOTA_BYTES=10_000)
    client, owner = app.test_client(), auth_headers()
    video_id = upload(client, owner, os.urandom(6000))
    set_video(app, video_id, status="ready")
    path = f"/api/gallery/videos/{video_id}/replace"
    body = {"filename": "new.mp4", "content_type": "video/mp4"}
    assert client.post(path, json={**body, "size": 9000}, headers=owner).status_code == 201  # the old 6000 go
    assert client.post(path, json={**body, "size": 10_001}, headers=owner).status_code == 403


def test_giving_up_and_cleaning_up_remove_the_new_files_bytes(gallery_app, auth_headers):
    app = gallery_app(MULTIPART_THRESHOLD=9 * MiB, MULTIPART_PART_SIZE=8 * MiB)
    client, owner = app.test_client(), auth_headers()
    storage = get_storage(app)
    video_id = upload(client, owner, os.urandom(1000))
    set_video(app, video_id, status="ready")
    path = f"/api/gallery/videos/{video_id}/replace"
    first = client.post(path, json={"filename": "a.mp4", "size": 500, "content_type": "video/mp4"}, headers=owner)
    requests.put(first.json["upload"]["url"], data=os.urandom(500), headers=first.json["upload"]["headers"],
                 timeout=30)
    with app.extensions["videoforge.db"].session() as session:
        first_key = session.get(SourceReplacement, video_id).source_key
    assert storage.size_of(first_key) == 500
    # Starting again discards the first try; a multipart one is aborted by giving up.
    second = client.post(path, json={"filename": "b.mkv", "size": 10 * MiB, "content_type": "video/x-matroska"},
                         headers=owner)
    assert second.status_code == 201 and storage.size_of(first_key) is None
    upload_id = second.json["upload"]["multipart"]["upload_id"]
    multipart = storage.root / ".multipart" / upload_id
    assert multipart.is_dir()
    assert client.delete(path, headers=owner).status_code == 204
    assert not multipart.exists()
    assert client.get(path, headers=owner).json["upload"] is None
    assert client.delete(path, headers=owner).status_code == 204
    assert row(app, video_id).source_key.endswith("/source") and row(app, video_id).status == "ready"

    third = client.post(path, json={"filename": "c.mp4", "size": 500, "content_type": "video/mp4"}, headers=owner)
    requests.put(third.json["upload"]["url"], data=os.urandom(500), headers=third.json["upload"]["headers"],
                 timeout=30)
    db = app.extensions["videoforge.db"]
    with db.session() as session:
        replacement = session.get(SourceReplacement, video_id)
        replacement.created_at = utcnow() - timedelta(days=2)
        third_key = replacement.source_key
    assert cleanup_stale_replacements(db, storage, app.config["UPLOAD_TTL"]) == 1
    assert storage.size_of(third_key) is None
    assert client.post(f"{path}/confirm", json={}, headers=owner).status_code == 409


def test_deleting_a_video_removes_a_replace_under_way(gallery_app, auth_headers):
    app = gallery_app(MULTIPART_THRESHOLD=9 * MiB, MULTIPART_PART_SIZE=8 * MiB)
    client, owner = app.test_client(), auth_headers()
    storage = get_storage(app)
    video_id = upload(client, owner, os.urandom(1000))
    set_video(app, video_id, status="ready")
    started = client.post(f"/api/gallery/videos/{video_id}/replace", headers=owner,
                          json={"filename": "b.mkv", "size": 10 * MiB, "content_type": "video/x-matroska"})
    send_parts(started.json["upload"]["multipart"], os.urandom(10 * MiB), numbers={1})
    folder = storage.root / row(app, video_id).source_key.rsplit("/", 1)[0]
    assert client.delete(f"/api/gallery/videos/{video_id}", headers=owner).status_code == 204
    assert not (storage.root / ".multipart" / started.json["upload"]["multipart"]["upload_id"]).exists()
    assert not folder.exists() or not any(folder.rglob("*"))


def test_api_keys_download_with_read_and_replace_with_manage_only(app, client, auth_headers):
    owner = auth_headers()
    video_id = upload(client, owner, os.urandom(1000))
    set_video(app, video_id, status="ready")

    def key(scope: str) -> dict:
        made = client.post("/api/auth/keys", json={"name": f"{scope} key", "scopes": [scope]}, headers=owner)
        assert made.status_code == 201, made.json
        return {"Authorization": f"Bearer {made.json['key']}"}

    read, upload_key, manage = key("read"), key("upload"), key("manage")
    assert client.get(f"/api/gallery/videos/{video_id}/download", headers=read).status_code == 200
    path = f"/api/gallery/videos/{video_id}/replace"
    body = {"filename": "new.mp4", "size": 1000, "content_type": "video/mp4"}
    for weak in (read, upload_key):
        assert client.post(path, json=body, headers=weak).status_code == 403
        assert client.get(path, headers=weak).status_code == 403  # its GET hands out write URLs
    assert client.post(path, json=body, headers=manage).status_code == 201
    assert client.get(path, headers=manage).json["upload"] is not None
