"""Bytes sent with a signed upload URL after its upload was erased (a video deleted before or soon after its confirm,
a replacing file cancelled, started again or stale, a stale upload, an original replaced, an account deleted) are
erased again once every URL that could write them has expired: a follow-up (`pending_erasures`) committed with the
erasure, carried out by `videoforge uploads cleanup` (erasure.erase_due). Local storage and S3 (weed), SQLite and
PostgreSQL. A multipart upload is aborted at once, so its late parts are refused outright."""

from __future__ import annotations

import os
from datetime import timedelta

import pytest
import requests
from alembic import command
from sqlalchemy import create_engine, inspect, select, update

from tests.identity.conftest import PASSWORD, new_email
from tests.migrating import alembic_config
from tests.migrating import empty_database as empty_database  # a fixture, for this file's tests
from tests.modules.gallery.conftest import send_parts
from tests.rows import set_video
from videoforge import layout
from videoforge.erasure import LATE_PUT_MARGIN, erase_again_later, erase_due
from videoforge.models import PendingErasure, SourceReplacement, Video, utcnow
from videoforge.ports.storage import StorageError, get_storage

MiB = 1024 * 1024


# --- helpers ---------------------------------------------------------------------------------------------------------


def start(client, headers, size: int = 1000, **fields) -> tuple[str, dict]:
    """A new upload: its video id and its plan (the signed URL or the multipart plan)."""
    body = {"title": "Clip", "filename": "clip.mp4", "size": size, "content_type": "video/mp4", **fields}
    created = client.post("/api/gallery/uploads", json=body, headers=headers)
    assert created.status_code == 201, created.json
    return created.json["video"]["id"], created.json["upload"]


def put(plan: dict, data: bytes) -> int:
    """PUT `data` with a single-PUT plan's signed URL, as a browser would; the status code."""
    return requests.put(plan["url"], data=data, headers=plan["headers"], timeout=30).status_code


def confirmed(client, headers, data: bytes) -> str:
    video_id, plan = start(client, headers, size=len(data))
    assert put(plan, data) == 200
    assert client.post(f"/api/gallery/videos/{video_id}/confirm", json={}, headers=headers).status_code == 202
    return video_id


def source_key(app, video_id: str) -> str:
    with app.extensions["videoforge.db"].session() as session:
        return session.get(Video, video_id).source_key


def follow_ups(app) -> list[str]:
    """The prefixes of the pending follow-ups, oldest first."""
    with app.extensions["videoforge.db"].session() as session:
        return list(session.scalars(select(PendingErasure.prefix).order_by(PendingErasure.id)))


def run(app, storage=None, *, after_due: bool) -> tuple[int, int]:
    """erase_due as `uploads cleanup` runs it: just before the follow-ups made now are due, or just after."""
    seconds = int(app.config["UPLOAD_URL_EXPIRY"]) + LATE_PUT_MARGIN + (60 if after_due else -60)
    return erase_due(
        app.extensions["videoforge.db"], storage or get_storage(app), now=utcnow() + timedelta(seconds=seconds)
    )


def make_due(app) -> None:
    with app.extensions["videoforge.db"].session() as session:
        session.execute(update(PendingErasure).values(due_at=utcnow() - timedelta(seconds=1)))


def cleanup(app) -> str:
    result = app.test_cli_runner().invoke(args=["uploads", "cleanup"])
    assert result.exit_code == 0, result.output
    return result.output


class RefusingStorage:
    """The app's real store, except that deleting fails (as an unreachable S3 would)."""

    def __init__(self, real):
        self.real = real

    def __getattr__(self, name):
        return getattr(self.real, name)

    def delete_prefix(self, prefix: str) -> int:
        raise StorageError(f"the store refused to delete {prefix}")


# --- a deleted video --------------------------------------------------------------------------------------------------


def test_bytes_put_after_a_video_was_deleted_are_erased_once_its_urls_have_expired(
    gallery_app, storage_settings, auth_headers
):
    app = gallery_app(**storage_settings)
    client, owner, stranger = app.test_client(), auth_headers(), auth_headers()
    storage = get_storage(app)
    kept = confirmed(client, owner, os.urandom(1000))  # the owner's other video
    theirs, their_plan = start(client, stranger)  # someone else's open upload, bytes sent
    assert put(their_plan, os.urandom(1000)) == 200
    video_id, plan = start(client, owner)
    key = source_key(app, video_id)

    assert client.delete(f"/api/gallery/videos/{video_id}", headers=owner).status_code == 204
    assert follow_ups(app) == [layout.upload_folder_of(key)] == [key[: -len("source")]]  # that upload's folder only
    with app.extensions["videoforge.db"].session() as session:
        follow_up = session.scalars(select(PendingErasure)).one()
        wait = (follow_up.due_at - follow_up.created_at).total_seconds()
    assert wait == int(app.config["UPLOAD_URL_EXPIRY"]) + LATE_PUT_MARGIN

    assert put(plan, b"v" * 1000) == 200, "the URL is still valid: S3 cannot revoke it"
    assert storage.size_of(key) == 1000
    assert run(app, after_due=False) == (0, 0)  # a URL may still write there: nothing is done yet
    assert storage.size_of(key) == 1000 and len(follow_ups(app)) == 1

    assert run(app, after_due=True) == (1, 0)
    assert storage.size_of(key) is None and follow_ups(app) == []
    assert storage.size_of(source_key(app, kept)) == 1000 and storage.size_of(source_key(app, theirs)) == 1000
    assert run(app, after_due=True) == (0, 0)  # nothing left to do, nothing done twice


def test_a_multipart_upload_is_aborted_at_once_so_late_parts_are_refused(gallery_app, storage_settings, auth_headers):
    app = gallery_app(MULTIPART_THRESHOLD=9 * MiB, MULTIPART_PART_SIZE=8 * MiB, **storage_settings)
    client, owner = app.test_client(), auth_headers()
    data = os.urandom(10 * MiB)
    video_id, plan = start(client, owner, size=len(data), filename="big.mkv", content_type="video/x-matroska")
    multipart = plan["multipart"]
    send_parts(multipart, data, numbers={1})
    key = source_key(app, video_id)
    assert client.delete(f"/api/gallery/videos/{video_id}", headers=owner).status_code == 204

    late = requests.put(multipart["parts"][1]["url"], data=data[8 * MiB :], timeout=30)
    assert late.status_code == 404, late.text  # NoSuchUpload: the upload was aborted with the video
    assert follow_ups(app) == [layout.upload_folder_of(key)]
    assert run(app, after_due=True) == (1, 0)
    assert get_storage(app).size_of(key) is None and follow_ups(app) == []


def test_a_video_confirmed_long_ago_leaves_no_follow_up_one_confirmed_just_now_does(app, client, auth_headers):
    owner = auth_headers()
    old, recent = confirmed(client, owner, b"a" * 1000), confirmed(client, owner, b"b" * 1000)
    set_video(app, old, status="ready", queued_at=utcnow() - timedelta(days=2))  # its URLs expired long ago
    set_video(app, recent, status="ready")
    recent_key = source_key(app, recent)
    assert client.delete(f"/api/gallery/videos/{old}", headers=owner).status_code == 204
    assert follow_ups(app) == []
    assert client.delete(f"/api/gallery/videos/{recent}", headers=owner).status_code == 204
    assert follow_ups(app) == [layout.upload_folder_of(recent_key)]


# --- replacing files --------------------------------------------------------------------------------------------------


def test_late_bytes_of_replacing_files_given_up_or_started_again_are_erased_and_the_original_stays(
    gallery_app, storage_settings, auth_headers
):
    app = gallery_app(**storage_settings)
    client, owner = app.test_client(), auth_headers()
    storage = get_storage(app)
    video_id = confirmed(client, owner, os.urandom(1000))
    set_video(app, video_id, status="ready")
    original = source_key(app, video_id)
    path = f"/api/gallery/videos/{video_id}/replace"
    body = {"filename": "b.mp4", "size": 500, "content_type": "video/mp4"}

    first = client.post(path, json=body, headers=owner).json["upload"]
    with app.extensions["videoforge.db"].session() as session:
        first_key = session.get(SourceReplacement, video_id).source_key
    second = client.post(path, json=body, headers=owner).json["upload"]  # started again: the first try goes
    with app.extensions["videoforge.db"].session() as session:
        second_key = session.get(SourceReplacement, video_id).source_key
    assert client.delete(path, headers=owner).status_code == 204  # given up
    assert follow_ups(app) == [first_key, second_key]  # each file's key alone, never the video's folder

    assert put(first, b"1" * 500) == 200 and put(second, b"2" * 500) == 200
    assert run(app, after_due=False) == (0, 0) and storage.size_of(first_key) == 500
    assert run(app, after_due=True) == (2, 0)
    assert storage.size_of(first_key) is None and storage.size_of(second_key) is None
    assert storage.size_of(original) == 1000 and follow_ups(app) == []


def test_an_original_replaced_while_its_urls_may_be_valid_is_erased_again(gallery_app, storage_settings, auth_headers):
    app = gallery_app(**storage_settings)
    client, owner = app.test_client(), auth_headers()
    storage = get_storage(app)
    video_id, plan = start(client, owner)
    assert put(plan, os.urandom(1000)) == 200
    assert client.post(f"/api/gallery/videos/{video_id}/confirm", json={}, headers=owner).status_code == 202
    set_video(app, video_id, status="ready")
    original = source_key(app, video_id)

    def replace() -> str:
        started = client.post(
            f"/api/gallery/videos/{video_id}/replace",
            headers=owner,
            json={"filename": "b.mp4", "size": 500, "content_type": "video/mp4"},
        )
        assert put(started.json["upload"], os.urandom(500)) == 200
        assert client.post(f"/api/gallery/videos/{video_id}/replace/confirm", json={}, headers=owner).status_code == 202
        set_video(app, video_id, status="ready")
        return source_key(app, video_id)

    new = replace()
    assert storage.size_of(original) is None and follow_ups(app) == [original]  # the old original's key alone
    assert put(plan, b"v" * 1000) == 200  # its URL, made before the first confirm, is still valid
    assert run(app, after_due=True) == (1, 0)
    assert storage.size_of(original) is None and storage.size_of(new) == 500

    set_video(app, video_id, queued_at=utcnow() - timedelta(days=2))  # its confirm long past: no URL is left
    replace()
    assert follow_ups(app) == [] and storage.size_of(new) is None


def test_the_cleanup_command_erases_late_bytes_of_stale_uploads_and_replacements_when_due(app, client, auth_headers):
    owner = auth_headers()
    storage = get_storage(app)
    stale, plan = start(client, owner)
    stale_key = source_key(app, stale)
    replaced = confirmed(client, owner, os.urandom(1000))
    set_video(app, replaced, status="ready")
    replacing = client.post(
        f"/api/gallery/videos/{replaced}/replace",
        headers=owner,
        json={"filename": "b.mp4", "size": 500, "content_type": "video/mp4"},
    ).json["upload"]
    set_video(app, stale, created_at=utcnow() - timedelta(days=2))
    with app.extensions["videoforge.db"].session() as session:
        replacement = session.get(SourceReplacement, replaced)
        replacement.created_at = utcnow() - timedelta(days=2)
        replacing_key = replacement.source_key

    output = cleanup(app)
    assert "removed 1 stale uploads and 1 stale replacing files" in output and "erased 0 upload folders" in output
    assert follow_ups(app) == [layout.upload_folder_of(stale_key), replacing_key]
    assert put(plan, b"v" * 1000) == 200 and put(replacing, b"r" * 500) == 200  # a resume had handed them out anew
    assert "erased 0 upload folders" in cleanup(app)  # not due yet
    assert storage.size_of(stale_key) == 1000 and storage.size_of(replacing_key) == 500

    make_due(app)
    assert "erased 2 upload folders" in cleanup(app)
    assert storage.size_of(stale_key) is None and storage.size_of(replacing_key) is None and follow_ups(app) == []
    assert storage.size_of(source_key(app, replaced)) == 1000


# --- an account ---------------------------------------------------------------------------------------------------------


def test_deleting_an_account_erases_again_what_its_open_uploads_receive_later(gallery_app):
    app = gallery_app()
    client = app.test_client()
    email = new_email()
    assert client.post("/api/auth/signup", json={"email": email, "password": PASSWORD}).status_code == 201
    token = client.post("/api/auth/token", json={"email": email, "password": PASSWORD}).get_json()["access_token"]
    headers = {"Authorization": f"Bearer {token}"}
    video_id, plan = start(client, headers)
    key = source_key(app, video_id)
    deleted = client.delete("/api/auth/account", headers=headers, json={"password": PASSWORD})
    assert deleted.status_code == 204, deleted.get_json()
    assert follow_ups(app) == [layout.upload_folder_of(key)]
    assert put(plan, b"v" * 1000) == 200
    assert run(app, after_due=True) == (1, 0)
    assert get_storage(app).size_of(key) is None


# --- failures and limits ------------------------------------------------------------------------------------------------


def test_a_follow_up_whose_delete_fails_stays_for_the_next_run(app, client, auth_headers):
    owner = auth_headers()
    storage = get_storage(app)
    video_id, plan = start(client, owner)
    key = source_key(app, video_id)
    assert client.delete(f"/api/gallery/videos/{video_id}", headers=owner).status_code == 204
    assert put(plan, b"v" * 1000) == 200

    assert run(app, RefusingStorage(storage), after_due=True) == (0, 1)
    assert storage.size_of(key) == 1000 and len(follow_ups(app)) == 1  # nothing lost

    make_due(app)
    app.extensions["videoforge.storage"] = RefusingStorage(storage)  # what the command's get_storage returns
    result = app.test_cli_runner().invoke(args=["uploads", "cleanup"])
    assert (
        result.exit_code == 1
        and "erased 0 upload folders again after their URLs expired (1 failed, kept for the next run)" in result.output
    ), result.output
    app.extensions["videoforge.storage"] = storage
    assert "erased 1 upload folders" in cleanup(app)
    assert storage.size_of(key) is None and follow_ups(app) == []


def test_a_follow_up_never_reaches_past_one_upload_and_failures_never_block_the_rest(app, client, auth_headers):
    for wide in (
        "",
        "uploads/",
        "uploads/owner/",
        "uploads/owner//",
        "processed/video/",
        "uploads/o/../",
        "uploads/o/v",
        "other/uploads/o/v/",
    ):
        with app.extensions["videoforge.db"].session() as session, pytest.raises(ValueError):
            erase_again_later(session, wide)
    owner = auth_headers()
    storage = get_storage(app)
    kept = confirmed(client, owner, b"k" * 1000)
    kept_key = source_key(app, kept)
    with app.extensions["videoforge.db"].session() as session:  # rows no code writes, first in line
        for wide in ("uploads/", layout.upload_folder_of(kept_key)[: -len(kept) - 1], "processed/"):
            session.add(PendingErasure(prefix=wide, due_at=utcnow() - timedelta(seconds=1)))
    late = []
    for _ in range(3):
        video_id, plan = start(client, owner)
        late.append(source_key(app, video_id))
        assert client.delete(f"/api/gallery/videos/{video_id}", headers=owner).status_code == 204
        assert put(plan, b"v" * 1000) == 200

    done, failed = erase_due(app.extensions["videoforge.db"], storage, now=utcnow() + timedelta(days=1), batch=2)
    assert (done, failed) == (3, 3)
    assert all(storage.size_of(key) is None for key in late)
    assert storage.size_of(kept_key) == 1000  # the owner's folder (and the whole store) never deleted
    assert sorted(follow_ups(app)) == sorted(
        ["uploads/", layout.upload_folder_of(kept_key)[: -len(kept) - 1], "processed/"]
    )


# --- the migration ------------------------------------------------------------------------------------------------------


def test_migration_0015_adds_the_table_and_steps_back(empty_database):
    engine = create_engine(empty_database)
    cfg = alembic_config(engine)
    try:
        command.upgrade(cfg, "0015")
        assert "ix_pending_erasures_due_at" in {i["name"] for i in inspect(engine).get_indexes("pending_erasures")}
        command.downgrade(cfg, "0014")
        assert "pending_erasures" not in inspect(engine).get_table_names()
        command.upgrade(cfg, "head")
        assert "pending_erasures" in inspect(engine).get_table_names()
    finally:
        engine.dispose()
