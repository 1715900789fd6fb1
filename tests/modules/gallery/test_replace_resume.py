"""A replace carried on after a browser reload: the replace's state says which file is being sent (name and size)
and which of its parts arrived, so the client checks the file it holds is that one and sends only the rest; once
no replace is open (never started, confirmed, given up or expired) it says so, and the client forgets its record."""

from __future__ import annotations

import os
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

import requests
from sqlalchemy import select, text

from tests.conftest import POSTGRES_ONLY
from tests.modules.gallery.conftest import MiB, send_parts
from videoforge.models import PendingErasure, SourceReplacement, Video, utcnow
from videoforge.modules.gallery.originals import cleanup_stale_replacements
from videoforge.ports.storage import get_storage

NOTHING_OPEN = {"upload": None, "parts": [], "missing_parts": [], "received_bytes": 0, "filename": None, "size": None}


def ready_video(app, client, headers) -> str:
    """A confirmed upload the processor has (as far as the replace cares) made ready; its id."""
    data = os.urandom(1000)
    body = {"title": "Clip", "filename": "clip.mp4", "size": len(data), "content_type": "video/mp4"}
    created = client.post("/api/gallery/uploads", json=body, headers=headers)
    assert created.status_code == 201, created.json
    plan, video_id = created.json["upload"], created.json["video"]["id"]
    assert requests.put(plan["url"], data=data, headers=plan["headers"], timeout=30).status_code == 200
    assert client.post(f"/api/gallery/videos/{video_id}/confirm", json={}, headers=headers).status_code == 202
    with app.extensions["videoforge.db"].session() as session:
        session.get(Video, video_id).status = "ready"
    return video_id


def state_of(client, headers, video_id: str) -> dict:
    answer = client.get(f"/api/gallery/videos/{video_id}/replace", headers=headers)
    assert answer.status_code == 200, answer.json
    return {k: v for k, v in answer.json.items() if k != "video"}


def test_the_state_names_the_file_and_the_parts_still_missing(app, client, auth_headers):
    owner = auth_headers()
    video_id = ready_video(app, client, owner)
    assert state_of(client, owner, video_id) == NOTHING_OPEN  # never started

    data = os.urandom(10 * MiB)
    started = client.post(
        f"/api/gallery/videos/{video_id}/replace",
        headers=owner,
        json={"filename": "big.mkv", "size": len(data), "content_type": "video/x-matroska"},
    )
    assert started.status_code == 201, started.json
    first = send_parts(started.json["upload"]["multipart"], data, numbers={1})

    # The page reloads: what it asks for is enough to check the file and carry on.
    state = state_of(client, owner, video_id)
    assert (state["filename"], state["size"]) == ("big.mkv", len(data))
    assert state["missing_parts"] == [2] and [p["number"] for p in state["parts"]] == [1]
    assert state["parts"][0]["etag"] == first[0]["etag"] and state["received_bytes"] == 8 * MiB
    assert [p["number"] for p in state["upload"]["multipart"]["parts"]] == [1, 2]
    rest = send_parts(state["upload"]["multipart"], data, numbers={2})
    confirmed = client.post(
        f"/api/gallery/videos/{video_id}/replace/confirm", json={"parts": first + rest}, headers=owner
    )
    assert confirmed.status_code == 202, confirmed.json
    assert state_of(client, owner, video_id) == NOTHING_OPEN  # confirmed: nothing left to carry on


def test_a_single_put_replace_names_its_file_until_given_up(app, client, auth_headers):
    owner = auth_headers()
    video_id = ready_video(app, client, owner)
    path = f"/api/gallery/videos/{video_id}/replace"
    assert (
        client.post(
            path, json={"filename": "a.mp4", "size": 500, "content_type": "video/mp4"}, headers=owner
        ).status_code
        == 201
    )
    state = state_of(client, owner, video_id)
    assert (state["filename"], state["size"], state["received_bytes"]) == ("a.mp4", 500, 0)
    assert state["upload"]["url"] and state["parts"] == []

    # Started again with another file (another tab, another browser): the state names that one.
    assert (
        client.post(
            path, json={"filename": "b.webm", "size": 700, "content_type": "video/webm"}, headers=owner
        ).status_code
        == 201
    )
    again = state_of(client, owner, video_id)
    assert (again["filename"], again["size"]) == ("b.webm", 700)
    assert client.delete(path, headers=owner).status_code == 204
    assert state_of(client, owner, video_id) == NOTHING_OPEN


def test_an_expired_replace_is_no_longer_open_and_others_learn_nothing(app, client, auth_headers):
    owner = auth_headers()
    video_id = ready_video(app, client, owner)
    path = f"/api/gallery/videos/{video_id}/replace"
    assert (
        client.post(
            path, json={"filename": "secret-name.mp4", "size": 500, "content_type": "video/mp4"}, headers=owner
        ).status_code
        == 201
    )
    stranger = client.get(path, headers=auth_headers())
    assert stranger.status_code == 404 and "secret-name" not in stranger.get_data(as_text=True)
    admin = client.get(path, headers=auth_headers(groups=["admin"]))
    assert admin.status_code == 403 and "secret-name" not in admin.get_data(as_text=True)

    db = app.extensions["videoforge.db"]
    with db.session() as session:
        session.get(SourceReplacement, video_id).created_at = utcnow() - timedelta(days=2)
    assert cleanup_stale_replacements(db, get_storage(app), app.config["UPLOAD_TTL"]) == 1
    assert state_of(client, owner, video_id) == NOTHING_OPEN


@POSTGRES_ONLY
def test_a_replace_confirmed_as_its_time_runs_out_is_never_erased_by_the_cleanup(app, client, auth_headers):
    """The cleanup reads a replacement as stale while its owner's confirm is taking it (the confirm has deleted the
    row, not yet committed). It used to erase the bytes, and record a follow-up erasure of their key, which the
    confirm was making the video's original; it now skips a row a request holds."""
    owner = auth_headers()
    video_id = ready_video(app, client, owner)
    start = {"filename": "new.mp4", "size": 500, "content_type": "video/mp4"}
    plan = client.post(f"/api/gallery/videos/{video_id}/replace", json=start, headers=owner).json["upload"]
    assert requests.put(plan["url"], data=os.urandom(500), headers=plan["headers"], timeout=30).status_code == 200
    db, storage = app.extensions["videoforge.db"], get_storage(app)
    with db.session() as session:
        replacement = session.get(SourceReplacement, video_id)
        replacement.created_at = utcnow() - timedelta(days=2)
        key = replacement.source_key
    with db.engine.connect() as confirm, ThreadPoolExecutor(max_workers=1) as pool:
        confirm.execute(text("DELETE FROM source_replacements WHERE video_id = :id"), {"id": video_id})
        cleaning = pool.submit(cleanup_stale_replacements, db, storage, app.config["UPLOAD_TTL"])
        time.sleep(1.0)
        assert storage.size_of(key) == 500  # still the bytes the confirm is making the original
        confirm.commit()
        assert cleaning.result(timeout=30) == 0
    assert storage.size_of(key) == 500
    with db.session() as session:
        assert session.scalars(select(PendingErasure).where(PendingErasure.prefix == key)).all() == []
