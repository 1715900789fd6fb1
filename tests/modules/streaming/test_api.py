"""Streaming API: the access matrix, playback tokens, signed playlists, and bad input."""

from __future__ import annotations

import re
import time

import pytest

from videoforge.models import MediaAsset, User, Video
from videoforge.modules.streaming import tokens
from videoforge.ports.storage import get_storage

VARIANT = """#EXTM3U
#EXT-X-VERSION:7
#EXT-X-TARGETDURATION:4
#EXT-X-PLAYLIST-TYPE:VOD
#EXT-X-MAP:URI="init.mp4"
#EXTINF:4.000,
seg_00000.m4s
#EXTINF:2.000,
seg_00001.m4s
#EXT-X-ENDLIST
"""
VTT = "WEBVTT\n\n00:00.000 --> 00:02.000\nstoryboard.jpg#xywh=0,0,160,90\n"


def _user(session, sub, groups=()):
    user = User(sub=sub, email=f"{sub}@example.test", groups=list(groups))
    session.add(user)
    session.flush()
    return user


@pytest.fixture
def world(app, tmp_path):
    """An owner with one video per visibility, each with a published 360p rung, poster and thumbnails."""
    storage = get_storage(app)
    db = app.extensions["videoforge.db"]
    videos = {}
    with db.session() as session:
        owner = _user(session, "owner-sub")
        for visibility in ("public", "unlisted", "private"):
            video = Video(owner_id=owner.id, title=f"{visibility} clip", visibility=visibility, status="ready",
                          duration=6.0, width=640, height=360)
            session.add(video)
            session.flush()
            base = f"processed/{video.id}"
            for name, text in (("360p/index.m3u8", VARIANT), ("thumbnails.vtt", VTT)):
                path = tmp_path / "upload.txt"
                path.write_text(text)
                storage.upload_file(f"{base}/{name}", str(path), "text/plain")
            session.add_all([
                MediaAsset(video_id=video.id, kind="variant", rung="360p", width=640, height=360, bitrate=1040000,
                           codecs="avc1.64001e,mp4a.40.2", key=f"{base}/360p/index.m3u8"),
                MediaAsset(video_id=video.id, kind="poster", key=f"{base}/poster.jpg"),
                MediaAsset(video_id=video.id, kind="thumbnails", key=f"{base}/thumbnails.vtt"),
            ])
            videos[visibility] = video.id
    return videos


def _headers(app, auth_headers, who):
    if who == "anonymous":
        return {}
    if who == "owner":
        from tests.conftest import token_for

        return {"Authorization": f"Bearer {token_for(app, sub='owner-sub')}"}
    return auth_headers(groups=["admin"] if who == "admin" else [])


@pytest.mark.parametrize("who, visibility, status", [
    ("anonymous", "public", 200), ("anonymous", "unlisted", 200), ("anonymous", "private", 404),
    ("stranger", "public", 200), ("stranger", "unlisted", 200), ("stranger", "private", 404),
    ("owner", "private", 200), ("admin", "private", 200),
])
def test_access_matrix(app, client, world, auth_headers, who, visibility, status):
    response = client.get(f"/api/streaming/videos/{world[visibility]}", headers=_headers(app, auth_headers, who))
    assert response.status_code == status
    if status == 404:
        assert response.get_json()["message"] == "No such video."


def test_playback_info_and_signed_playlists(client, world):
    info = client.get(f"/api/streaming/videos/{world['public']}").get_json()
    assert info["status"] == "ready" and info["playable"] is True
    assert [r["name"] for r in info["renditions"]] == ["360p"]
    assert info["master_url"].startswith("http://localhost/api/streaming/")  # the host asked: PUBLIC_URL is unset
    master = client.get(info["master_url"])
    assert master.status_code == 200
    assert master.headers["Content-Type"] == "application/vnd.apple.mpegurl"
    # Never kept by the browser: caption tracks added a moment ago must show on the next load.
    assert master.headers["Cache-Control"] == "private, no-cache"
    text = master.get_data(as_text=True)
    assert 'RESOLUTION=640x360' in text and 'CODECS="avc1.64001e,mp4a.40.2"' in text
    variant_uri = [line for line in text.splitlines() if line and not line.startswith("#")][0]
    variant = client.get(f"/api/streaming/videos/{world['public']}/{variant_uri}")
    assert variant.status_code == 200
    body = variant.get_data(as_text=True)
    urls = [line for line in body.splitlines() if line.startswith("http")]
    assert len(urls) == 2 and all(f"processed/{world['public']}/360p/seg_" in u for u in urls)
    assert re.search(r'#EXT-X-MAP:URI="http[^"]+init\.mp4[^"]*"', body)
    vtt = client.get(info["thumbnails_url"])
    assert vtt.status_code == 200 and "storyboard.jpg" in vtt.get_data(as_text=True)
    assert "#xywh=0,0,160,90" in vtt.get_data(as_text=True)


def test_private_playlists_need_a_token_or_the_owner(app, client, world):
    vid = world["private"]
    assert client.get(f"/api/streaming/videos/{vid}/master.m3u8").status_code == 404
    assert client.get(f"/api/streaming/videos/{vid}/master.m3u8?token=1.abc").status_code == 404
    good = tokens.issue(app.config["SECRET_KEY"], vid, 0, 60)
    assert client.get(f"/api/streaming/videos/{vid}/master.m3u8?token={good}").status_code == 200
    other = tokens.issue(app.config["SECRET_KEY"], world["public"], 0, 60)
    assert client.get(f"/api/streaming/videos/{vid}/master.m3u8?token={other}").status_code == 404
    expired = tokens.issue(app.config["SECRET_KEY"], vid, 0, 60, now=time.time() - 120)
    assert client.get(f"/api/streaming/videos/{vid}/360p/index.m3u8?token={expired}").status_code == 404


@pytest.mark.parametrize("path", [
    "/api/streaming/videos/nope", "/api/streaming/videos/" + "f" * 32,
    "/api/streaming/videos/../../etc/passwd", "/api/streaming/videos/{public}/999p/index.m3u8",
    "/api/streaming/videos/{public}/..%2f/index.m3u8", "/api/streaming/videos/{public}/poster/index.m3u8",
])
def test_bad_ids_and_rungs_are_404_json(client, world, path):
    response = client.get(path.format(**world))
    assert response.status_code == 404
    assert response.get_json()["code"] == 404


def test_video_without_rungs_reports_state_not_a_broken_playlist(app, client):
    db = app.extensions["videoforge.db"]
    with db.session() as session:
        owner = _user(session, "x-sub")
        video = Video(owner_id=owner.id, title="t", visibility="public", status="processing", progress=12.5,
                      stage="encoding")
        session.add(video)
        session.flush()
        vid = video.id
    info = client.get(f"/api/streaming/videos/{vid}").get_json()
    assert info["playable"] is False and info["master_url"] is None and info["status"] == "processing"
    assert info["progress"] == 12.5
    assert client.get(f"/api/streaming/videos/{vid}/master.m3u8").status_code == 404
