"""Access control: every video endpoint x {anonymous, another user, owner, admin} x {private, unlisted, public}
gives the documented status; admin endpoints refuse everyone else; ids are unguessable; no response shows
anyone another user's email, user id or storage keys."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from tests.conftest import token_for
from videoforge.models import MediaAsset, User, Video, utcnow
from videoforge.ports.storage import get_storage

ROLES = ("anonymous", "other", "owner", "admin")
VISIBILITIES = ("private", "unlisted", "public")
VARIANT = "#EXTM3U\n#EXT-X-VERSION:7\n#EXT-X-TARGETDURATION:2\n#EXT-X-MAP:URI=\"init.mp4\"\n#EXTINF:2.0,\nseg0.m4s\n" \
          "#EXT-X-ENDLIST\n"
VTT = "WEBVTT\n\n00:00:00.000 --> 00:00:02.000\nstoryboard.jpg#xywh=0,0,160,90\n"


def see(visibility: str, role: str, allowed: int) -> int:
    """Reading: the owner and admins always; anyone when public or unlisted; otherwise 404 (no existence leak)."""
    return allowed if role in ("owner", "admin") or visibility != "private" else 404


def change(visibility: str, role: str, owner: int, admin: int) -> int:
    """Changing: 401 without a token; 404 when the caller cannot even see it; 403 when they only see it."""
    if role == "anonymous":
        return 401
    if role == "other":
        return 404 if visibility == "private" else 403
    return owner if role == "owner" else admin


# (method, path template, body, expected(visibility, role)) for one ready video; {id} is its id.
VIDEO_ENDPOINTS = [
    ("GET", "/api/gallery/videos/{id}", None, lambda v, r: see(v, r, 200)),
    ("GET", "/api/streaming/videos/{id}", None, lambda v, r: see(v, r, 200)),
    ("GET", "/api/streaming/videos/{id}/master.m3u8", None, lambda v, r: see(v, r, 200)),
    ("GET", "/api/streaming/videos/{id}/144p/index.m3u8", None, lambda v, r: see(v, r, 200)),
    ("GET", "/api/streaming/videos/{id}/thumbnails.vtt", None, lambda v, r: see(v, r, 200)),
    ("PATCH", "/api/gallery/videos/{id}", {"title": "renamed"}, lambda v, r: change(v, r, 200, 200)),
    ("POST", "/api/gallery/videos/{id}/retry", None, lambda v, r: change(v, r, 409, 409)),  # ready, not failed
    ("POST", "/api/gallery/videos/{id}/confirm", {}, lambda v, r: change(v, r, 202, 403)),  # the owner's alone
    ("GET", "/api/gallery/uploads/{id}", None, lambda v, r: change(v, r, 200, 403)),
    ("POST", "/api/admin/videos/{id}/retry", {}, lambda v, r: {"anonymous": 401, "admin": 409}.get(r, 403)),
]
ADMIN_ENDPOINTS = [("GET", "/api/admin/queue", None, 200), ("GET", "/api/admin/dead-letters", None, 200),
                   ("POST", "/api/admin/dead-letters/redrive", {}, 200)]


class World:
    """Four callers and a ready video per visibility (rows and stored playlists, as the processor leaves them)."""

    def __init__(self, app):
        self.app = app
        self.client = app.test_client()
        self.emails = {role: f"{role}-person@example.test" for role in ROLES if role != "anonymous"}
        self.headers = {"anonymous": {}}
        for role, email in self.emails.items():
            token = token_for(app, sub=f"{role}-sub", email=email, groups=["admin"] if role == "admin" else [])
            self.headers[role] = {"Authorization": f"Bearer {token}"}
            assert self.client.get("/api/auth/me", headers=self.headers[role]).status_code == 200
        db = app.extensions["videoforge.db"]
        with db.session() as session:
            self.user_ids = {}
            for role, email in self.emails.items():
                user = session.query(User).filter_by(sub=f"{role}-sub").one()
                user.email = email  # access tokens carry no email; a local account's row has one
                self.user_ids[role] = user.id
        self.videos = {visibility: self.ready_video(visibility) for visibility in VISIBILITIES}

    def ready_video(self, visibility: str, title: str = "secret title") -> str:
        db, storage = self.app.extensions["videoforge.db"], get_storage(self.app)
        owner = self.user_ids["owner"]
        with db.session() as session:
            video = Video(owner_id=owner, title=title, visibility=visibility, status="ready", filename="home.mp4",
                          content_type="video/mp4", source_size=100, duration=2.0, width=256, height=144,
                          progress=100.0, finished_at=utcnow())
            session.add(video)
            session.flush()
            video.source_key = f"uploads/{owner}/{video.id}/source"
            prefix = f"processed/{video.id}"
            for kind, rung, key in (("variant", "144p", f"{prefix}/144p/index.m3u8"),
                                    ("thumbnails", "", f"{prefix}/storyboard.vtt"), ("poster", "", f"{prefix}/poster.jpg")):
                session.add(MediaAsset(video_id=video.id, kind=kind, rung=rung, key=key, width=256, height=144,
                                       bitrate=300_000 if kind == "variant" else None, complete=True))
            video_id = video.id
        root = Path(storage.root)
        for key, text in ((f"processed/{video_id}/144p/index.m3u8", VARIANT),
                          (f"processed/{video_id}/storyboard.vtt", VTT), (f"uploads/{owner}/{video_id}/source", "x")):
            (root / key).parent.mkdir(parents=True, exist_ok=True)
            (root / key).write_text(text)
        return video_id

    def call(self, role: str, method: str, path: str, body):
        kwargs = {"headers": self.headers[role]}
        if body is not None:
            kwargs["json"] = body
        return self.client.open(path, method=method, **kwargs)


@pytest.fixture
def world(make_app, tmp_path):
    return World(make_app(PUBLIC_URL="http://127.0.0.1:5000", RATE_LIMIT_PER_MINUTE=0))


def assert_no_leak(world: World, role: str, response, what: str) -> None:
    """No one sees another user's email or user id; no one but the owner sees the upload's storage key."""
    body = response.get_data(as_text=True)
    for other, email in world.emails.items():
        if other != role:
            assert email not in body, f"{what}: {role} sees {other}'s email"
            assert world.user_ids[other] not in body, f"{what}: {role} sees {other}'s user id"
    if role != "owner":
        assert "uploads/" not in body, f"{what}: {role} sees a storage key of the upload"
    if role in ("anonymous", "other"):
        assert "home.mp4" not in body, f"{what}: {role} sees the uploaded file's name"


def test_every_video_endpoint_for_every_role_and_visibility(world):
    wrong = []
    for visibility, video_id in world.videos.items():
        for method, template, body, expected in VIDEO_ENDPOINTS:
            path = template.format(id=video_id)
            for role in ROLES:
                response = world.call(role, method, path, body)
                want = expected(visibility, role)
                if response.status_code != want:
                    wrong.append(f"{role} {method} {path.replace(video_id, visibility)}: {response.status_code}, "
                                 f"documented {want}: {response.get_data(as_text=True)[:120]}")
                assert_no_leak(world, role, response, f"{method} {template} ({visibility})")
                if response.status_code in (401, 403, 404):
                    assert response.json["code"] == response.status_code
                    assert "secret title" not in response.get_data(as_text=True)
    assert not wrong, "\n".join(wrong)


def test_delete_for_every_role_and_visibility(world):
    for visibility in VISIBILITIES:
        for role in ROLES:
            video_id = world.ready_video(visibility)
            response = world.call(role, "DELETE", f"/api/gallery/videos/{video_id}", None)
            assert response.status_code == change(visibility, role, 204, 204), (role, visibility, response.json)
            survived = world.call("owner", "GET", f"/api/gallery/videos/{video_id}", None).status_code == 200
            assert survived == (role not in ("owner", "admin")), (role, visibility)


def test_admin_endpoints_refuse_everyone_but_admins(world):
    for method, path, body, ok in ADMIN_ENDPOINTS:
        for role in ROLES:
            response = world.call(role, method, path, body)
            want = ok if role == "admin" else (401 if role == "anonymous" else 403)
            assert response.status_code == want, (role, method, path, response.get_data(as_text=True)[:200])
            assert_no_leak(world, role, response, f"{method} {path}")


def test_lists_show_only_what_each_caller_may_see(world):
    public_id = world.videos["public"]
    for role in ROLES:
        listed = world.call(role, "GET", "/api/gallery/public", None)
        assert listed.status_code == 200
        assert [v["id"] for v in listed.json] == [public_id]
        assert_no_leak(world, role, listed, "GET /api/gallery/public")
        mine = world.call(role, "GET", "/api/gallery/videos", None)
        if role == "anonymous":
            assert mine.status_code == 401
            continue
        expected = sorted(world.videos.values()) if role == "owner" else []
        assert sorted(v["id"] for v in mine.json) == expected, role  # admins' own library is their own
        assert_no_leak(world, role, mine, "GET /api/gallery/videos")


def test_ids_are_unguessable(world):
    headers = world.headers["other"]
    ids = []
    for number in range(20):
        created = world.client.post("/api/gallery/uploads", headers=headers, json={
            "title": f"n{number}", "filename": "a.mp4", "size": 100, "content_type": "video/mp4"})
        assert created.status_code == 201
        ids.append(created.json["video"]["id"])
    assert all(re.fullmatch(r"[0-9a-f]{32}", i) for i in ids)  # 128 random bits each
    assert len(set(ids)) == 20 and len({i[:8] for i in ids}) == 20  # no shared prefix: not a counter or a clock
    private = world.videos["private"]
    for neighbour in {private[:-1] + c for c in "0123456789abcdef"} - {private}:
        assert world.call("other", "GET", f"/api/gallery/videos/{neighbour}", None).status_code == 404
