"""Deleting a local account: its videos and every stored file go (ACCOUNT_DELETION=erase), or the videos go to an
administrator (handover); it needs the password, and nobody else's videos are touched. On SQLite and PostgreSQL."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from tests.identity.conftest import PASSWORD, assert_error, bearer, new_email
from tests.mailbox import sent_to
from videoforge import layout
from videoforge.config import ConfigError
from videoforge.lifecycle import Status
from videoforge.models import AccountToken, RefreshToken, User, Video
from videoforge.ports.storage import get_storage


def account(client, admin: bool = False) -> tuple[str, str]:
    """(email, access token) of a new local account."""
    email = new_email()
    assert client.post("/api/auth/signup", json={"email": email, "password": PASSWORD}).status_code == 201
    return email, client.post("/api/auth/token", json={"email": email, "password": PASSWORD}).get_json()["access_token"]


def stored_video(app, tmp_path, email: str, status: str = Status.READY) -> str:
    """A video of `email` with its original and two processed files in the app's storage; its id."""
    storage = get_storage(app)
    with app.extensions["videoforge.db"].session() as session:
        owner = session.scalars(select(User).where(User.email == email)).one()
        video = Video(owner_id=owner.id, title="mine", status=status, filename="a.mp4", content_type="video/mp4")
        session.add(video)
        session.flush()
        video.source_key = layout.source_key(owner.id, video.id)
        video_id = video.id
        keys = [video.source_key, layout.poster(video_id, "t1"), layout.rung_playlist(video_id, "t1", "360p")]
    blob = tmp_path / "blob"
    blob.write_bytes(b"\0" * 64)
    for key in keys:
        storage.upload_file(key, str(blob), "application/octet-stream")
    return video_id


def files_of(app, video_id: str) -> list[str]:
    root = get_storage(app).root
    return sorted(p.relative_to(root).as_posix() for p in root.rglob("*") if p.is_file() and video_id in p.as_posix())


def videos(app) -> dict[str, str]:
    """video id -> owner email."""
    with app.extensions["videoforge.db"].session() as session:
        return {v.id: v.owner.email for v in session.scalars(select(Video))}


def test_deleting_an_account_removes_its_videos_and_their_files_and_nothing_else(app, client, tmp_path):
    email, access = account(client)
    other, _ = account(client)
    mine = [stored_video(app, tmp_path, email), stored_video(app, tmp_path, email, Status.AWAITING_UPLOAD)]
    theirs = stored_video(app, tmp_path, other)
    assert all(len(files_of(app, v)) == 3 for v in mine)
    wrong = assert_error(client.delete("/api/auth/account", headers=bearer(access), json={"password": "nope-nope"}),
                         400)
    assert list(wrong["errors"]["json"]) == ["password"] and len(videos(app)) == 3  # nothing happened
    assert client.delete("/api/auth/account", headers=bearer(access), json={"password": PASSWORD}).status_code == 204
    assert videos(app) == {theirs: other}
    assert sent_to(app, email)[-1]["Subject"] == "Your VideoForge account was deleted"
    assert all(files_of(app, v) == [] for v in mine) and len(files_of(app, theirs)) == 3
    with app.extensions["videoforge.db"].session() as session:
        assert session.scalars(select(User).where(User.email == email)).first() is None
        gone = session.scalars(select(User).where(User.email.is_(None))).one()  # a tombstone: id and random sub
        assert (gone.password_hash, gone.groups, gone.totp_secret) == (None, [], None)
        for table in (RefreshToken, AccountToken):
            assert session.scalars(select(table).where(table.user_id == gone.id)).all() == []
    # The access token minted before is refused at once, rather than bringing an empty account back to life.
    assert_error(client.get("/api/auth/me", headers=bearer(access)), 401)
    assert_error(client.post("/api/gallery/uploads", headers=bearer(access), json={
        "title": "again", "filename": "a.mp4", "size": 10, "content_type": "video/mp4"}), 401)
    assert_error(client.post("/api/auth/token", json={"email": email, "password": PASSWORD}), 401)
    assert client.post("/api/auth/signup", json={"email": email, "password": PASSWORD}).status_code == 201  # free


def test_with_handover_an_administrator_gets_the_videos_and_can_delete_them_with_their_files(make_app, tmp_path):
    admin_email = new_email()
    app = make_app(ACCOUNT_DELETION="handover", AUTH_ADMIN_EMAILS=[admin_email])
    client = app.test_client()
    client.post("/api/auth/signup", json={"email": admin_email, "password": PASSWORD})
    admin = client.post("/api/auth/token", json={"email": admin_email, "password": PASSWORD}).get_json()
    email, access = account(client)
    kept, unfinished = stored_video(app, tmp_path, email), stored_video(app, tmp_path, email, Status.AWAITING_UPLOAD)
    assert client.get("/api/auth/config").get_json()["account_deletion"] == "handover"
    assert client.delete("/api/auth/account", headers=bearer(access), json={"password": PASSWORD}).status_code == 204
    assert videos(app) == {kept: admin_email}  # an upload nobody will finish is erased, not handed over
    assert len(files_of(app, kept)) == 3 and files_of(app, unfinished) == []
    # The original stays under its first owner's folder; deleting it still finds it there.
    assert client.delete(f"/api/gallery/videos/{kept}", headers=bearer(admin["access_token"])).status_code == 204
    assert files_of(app, kept) == []


def test_handover_without_an_administrator_refuses_and_keeps_everything(make_app, tmp_path):
    app = make_app(ACCOUNT_DELETION="handover")
    client = app.test_client()
    email, access = account(client)
    video = stored_video(app, tmp_path, email)
    assert_error(client.delete("/api/auth/account", headers=bearer(access), json={"password": PASSWORD}), 409)
    assert videos(app) == {video: email} and len(files_of(app, video)) == 3


def test_handover_goes_to_the_named_account(make_app, tmp_path):
    heir = new_email()
    app = make_app(ACCOUNT_DELETION="handover", ACCOUNT_HANDOVER_EMAIL=heir.upper())
    client = app.test_client()
    client.post("/api/auth/signup", json={"email": heir, "password": PASSWORD})
    email, access = account(client)
    video = stored_video(app, tmp_path, email)
    assert client.delete("/api/auth/account", headers=bearer(access), json={"password": PASSWORD}).status_code == 204
    assert videos(app) == {video: heir}


def test_an_unknown_deletion_mode_stops_start_up(make_app):
    with pytest.raises(ConfigError, match="ACCOUNT_DELETION"):
        make_app(ACCOUNT_DELETION="shred")
