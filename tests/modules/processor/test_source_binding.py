"""The worker transcodes the source its confirm recorded, or fails for good: a swap after confirm is refused."""

from __future__ import annotations

import os

import pytest
import requests

from tests.modules.processor.jobs import FAST, assets, job_for, video
from videoforge.modules.processor import service
from videoforge.ports.queue import get_queue
from videoforge.ports.storage import get_storage


@pytest.fixture(params=["local", "s3"])
def app(request, make_app, http_server):
    """The all-in-one on local storage (served over HTTP) or on S3 (weed, signatures checked)."""
    settings = {} if request.param == "local" else request.getfixturevalue("weed_s3").app_settings()
    app = make_app(PUBLIC_URL=http_server.url, **FAST, **settings)
    http_server.serve(app)
    return app


def upload_and_confirm(app, headers, data: bytes) -> tuple[str, dict]:
    """Through the gallery API and the signed URL, as the web client does: the video id and its upload plan."""
    client = app.test_client()
    created = client.post("/api/gallery/uploads", headers=headers, json={
        "title": "Bound", "filename": "clip.mp4", "size": len(data), "content_type": "video/mp4"})
    assert created.status_code == 201, created.json
    plan, video_id = created.json["upload"], created.json["video"]["id"]
    assert requests.put(plan["url"], data=data, headers=plan["headers"], timeout=30).status_code == 200
    confirmed = client.post(f"/api/gallery/videos/{video_id}/confirm", json={}, headers=headers)
    assert confirmed.status_code == 202, confirmed.json
    return video_id, plan


def run_one(app) -> str:
    messages = get_queue(app).receive(max_messages=1)
    assert len(messages) == 1, "expected a job in the queue"
    return service.handle_message(job_for(app), messages[0])


def processed_objects(app, video_id: str) -> int:
    storage = get_storage(app)
    if hasattr(storage, "root"):
        return sum(1 for p in (storage.root / "processed" / video_id).rglob("*") if p.is_file())
    listed = storage.client.list_objects_v2(Bucket=storage.bucket, Prefix=f"processed/{video_id}/")
    return listed.get("KeyCount", 0)


def test_the_confirmed_source_is_transcoded(app, auth_headers, clip):
    video_id, _ = upload_and_confirm(app, auth_headers(), clip.read_bytes())
    confirmed = video(app, video_id)
    assert confirmed.source_etag == get_storage(app).stat(confirmed.source_key).etag
    assert run_one(app) == "done"
    assert video(app, video_id).status == "ready"


def test_a_source_swapped_after_confirm_fails_for_good_and_publishes_nothing(app, auth_headers, clip):
    data = clip.read_bytes()
    video_id, plan = upload_and_confirm(app, auth_headers(), data)
    storage, key = get_storage(app), video(app, video_id).source_key
    swap = os.urandom(len(data))  # the signed size still fits: only the ETag tells the bytes apart
    resent = requests.put(plan["url"], data=swap, headers=plan["headers"], timeout=30)
    if hasattr(storage, "root"):
        assert resent.status_code == 409  # the local store refuses the swap at the door...
        replaced = storage.root / "swap"
        replaced.write_bytes(swap)
        storage.upload_file(key, str(replaced), "video/mp4")  # ...so swap it behind the store's back
    else:
        assert resent.status_code == 200  # an S3 presigned PUT cannot be revoked before it expires
    assert storage.stat(key).etag != video(app, video_id).source_etag

    assert run_one(app) == "failed"
    failed = video(app, video_id)
    assert failed.status == "failed" and failed.error == service.SOURCE_CHANGED
    assert failed.rejected and not failed.retryable
    depth = get_queue(app).depth()
    assert (depth.visible, depth.in_flight, depth.dead) == (0, 0, 0)  # deleted, not retried
    assert assets(app, video_id) == [] and processed_objects(app, video_id) == 0
