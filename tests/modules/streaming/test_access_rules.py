"""Streaming's access rules: a failed video plays nothing, a visibility change revokes links at once, a retry in
progress never serves the last attempt's cached playlist, signed segment URLs live as long as the video needs,
and hostile tokens and expiries get a 4xx, never a 500."""

from __future__ import annotations

import time
from urllib.parse import parse_qs, urlsplit

import pytest

from tests.conftest import token_for
from tests.rows import set_video
from videoforge.models import MediaAsset, User, Video
from videoforge.modules.streaming import tokens
from videoforge.modules.streaming.service import segment_url_expiry
from videoforge.ports.storage import get_storage

VARIANT = ("#EXTM3U\n#EXT-X-VERSION:7\n#EXT-X-TARGETDURATION:4\n#EXT-X-MAP:URI=\"init.mp4\"\n"
           "#EXTINF:4.000,\nseg_00000.m4s\n#EXTINF:2.000,\nseg_00001.m4s\n#EXT-X-ENDLIST\n")
VTT = "WEBVTT\n\n00:00.000 --> 00:02.000\nstoryboard.jpg#xywh=0,0,160,90\n"
OWNER_SUB = "rules-owner"


def path_of(url: str) -> str:
    """The path and query of an absolute URL, for the test client."""
    parts = urlsplit(url)
    return parts.path + ("?" + parts.query if parts.query else "")


def put_text(app, key: str, text: str) -> None:
    path = get_storage(app).path_of(key)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)


def make_video(app, *, visibility="public", status="ready", duration=6.0, error=None) -> str:
    """A video with a published 360p rung, poster and thumbnails, as the processor leaves them."""
    db = app.extensions["videoforge.db"]
    with db.session() as session:
        owner = session.query(User).filter_by(sub=OWNER_SUB).one_or_none()
        if owner is None:
            owner = User(sub=OWNER_SUB, email="rules-owner@example.test")
            session.add(owner)
            session.flush()
        video = Video(owner_id=owner.id, title="clip", visibility=visibility, status=status, duration=duration,
                      width=640, height=360, error=error)
        session.add(video)
        session.flush()
        base = f"processed/{video.id}"
        session.add_all([
            MediaAsset(video_id=video.id, kind="variant", rung="360p", width=640, height=360, bitrate=1_040_000,
                       key=f"{base}/360p/index.m3u8", complete=True),
            MediaAsset(video_id=video.id, kind="poster", key=f"{base}/poster.jpg"),
            MediaAsset(video_id=video.id, kind="thumbnails", key=f"{base}/storyboard.vtt"),
        ])
        video_id = video.id
    put_text(app, f"processed/{video_id}/360p/index.m3u8", VARIANT)
    put_text(app, f"processed/{video_id}/storyboard.vtt", VTT)
    return video_id


def owner_headers(app) -> dict:
    return {"Authorization": f"Bearer {token_for(app, sub=OWNER_SUB)}"}


def links(client, video_id: str, headers=None) -> dict:
    """The info's master and thumbnails links, and the first variant link the master hands out."""
    info = client.get(f"/api/streaming/videos/{video_id}", headers=headers or {}).get_json()
    master = path_of(info["master_url"])
    text = client.get(master).get_data(as_text=True)
    variant = next(line for line in text.splitlines() if line and not line.startswith("#"))
    found = {"master": master, "variant": f"/api/streaming/videos/{video_id}/{variant}"}
    if info["thumbnails_url"]:  # made at the end of a transcode, so none while a retry runs
        found["thumbnails"] = path_of(info["thumbnails_url"])
    return found


def epoch_of(app, video_id: str) -> int:
    with app.extensions["videoforge.db"].session() as session:
        return session.get(Video, video_id).access_epoch


# --- failed means unplayable -------------------------------------------------------------------

def test_a_failed_video_serves_nothing_to_anyone(app, client, auth_headers):
    video_id = make_video(app)
    handed_out = links(client, video_id)  # a stranger's links while it was still playable
    set_video(app, video_id, status="failed", error="ffmpeg died")
    owner = owner_headers(app)
    for headers in ({}, auth_headers(), owner):
        fresh = client.get(f"/api/streaming/videos/{video_id}", headers=headers)
        assert fresh.status_code == 200
        info = fresh.get_json()
        assert (info["status"], info["playable"], info["master_url"], info["thumbnails_url"], info["poster_url"],
                info["renditions"]) == ("failed", False, None, None, None, [])
        for link in handed_out.values():
            response = client.get(link, headers=headers)
            assert response.status_code == 404, (link, response.get_data(as_text=True))
            assert response.get_json()["code"] == 404
        bare = f"/api/streaming/videos/{video_id}"
        for path in ("master.m3u8", "360p/index.m3u8", "thumbnails.vtt"):
            assert client.get(f"{bare}/{path}", headers=headers).status_code == 404
    assert client.get(f"/api/streaming/videos/{video_id}", headers=owner).get_json()["error"] == "ffmpeg died"


def test_a_retried_video_plays_its_last_ladder_until_the_worker_replaces_it(app, client):
    """A forced re-transcode: queued keeps the old ladder; reset_outputs removes it; the new growing rung is
    served from storage, never from the finished playlist cached for the last attempt."""
    video_id = make_video(app)
    old = links(client, video_id)
    assert client.get(old["variant"]).status_code == 200  # now cached: the rung was complete
    set_video(app, video_id, status="queued")
    assert client.get(old["variant"]).status_code == 200
    db = app.extensions["videoforge.db"]
    with db.session() as session:  # what processor.service.reset_outputs does
        session.query(MediaAsset).filter_by(video_id=video_id).delete()
        session.get(Video, video_id).status = "processing"
    info = client.get(f"/api/streaming/videos/{video_id}").get_json()
    assert info["playable"] is False and info["master_url"] is None
    assert client.get(old["master"]).status_code == 404
    assert client.get(old["variant"]).status_code == 404
    growing = "#EXTM3U\n#EXT-X-VERSION:7\n#EXT-X-TARGETDURATION:4\n#EXTINF:4.000,\nseg_new.m4s\n"
    put_text(app, f"processed/{video_id}/360p/index.m3u8", growing)
    time.sleep(0.01)  # the new row's creation time differs even where SQLite reuses its id
    with db.session() as session:  # processor.service.record_variant: the lowest rung joins, still growing
        session.add(MediaAsset(video_id=video_id, kind="variant", rung="360p", width=640, height=360,
                               bitrate=1_040_000, key=f"processed/{video_id}/360p/index.m3u8", complete=False))
    new = links(client, video_id)
    body = client.get(new["variant"]).get_data(as_text=True)
    assert "seg_new.m4s" in body and "seg_00000" not in body


# --- revocation --------------------------------------------------------------------------------

def test_making_a_video_private_revokes_its_links_at_once(app, client, auth_headers):
    video_id = make_video(app)
    stranger = auth_headers()
    handed_out = links(client, video_id)
    assert all(client.get(link).status_code == 200 for link in handed_out.values())
    owner = owner_headers(app)
    changed = client.patch(f"/api/gallery/videos/{video_id}", json={"visibility": "private"}, headers=owner)
    assert changed.status_code == 200
    started = time.monotonic()
    for headers in ({}, stranger):
        for name, link in handed_out.items():
            response = client.get(link, headers=headers)
            assert response.status_code in (403, 404), (name, response.status_code)
            assert response.get_json()["code"] == response.status_code
    assert time.monotonic() - started < 1.0
    fresh = links(client, video_id, headers=owner)  # the owner's new links work with the token alone
    assert all(client.get(link).status_code == 200 for link in fresh.values())
    assert fresh["master"] != handed_out["master"]


def test_a_visibility_change_bumps_the_epoch_and_nothing_else_does(app, client):
    video_id = make_video(app, visibility="private")
    owner = owner_headers(app)

    def patch(body):
        assert client.patch(f"/api/gallery/videos/{video_id}", json=body, headers=owner).status_code == 200
        return epoch_of(app, video_id)

    assert epoch_of(app, video_id) == 0
    assert patch({"title": "renamed", "description": "text"}) == 0
    assert patch({"visibility": "private"}) == 0  # no change of who may watch
    assert patch({"visibility": "unlisted"}) == 1
    assert patch({"visibility": "public"}) == 2  # widening too: public/unlisted viewers need no token anyway
    assert patch({"visibility": "private"}) == 3


def test_a_token_signed_at_an_older_epoch_never_checks_again(app, client):
    video_id = make_video(app, visibility="private")
    secret = app.config["SECRET_KEY"]
    old = tokens.issue(secret, video_id, 0, 600)
    assert client.get(f"/api/streaming/videos/{video_id}/master.m3u8?token={old}").status_code == 200
    set_video(app, video_id, access_epoch=1)
    assert client.get(f"/api/streaming/videos/{video_id}/master.m3u8?token={old}").status_code == 404
    current = tokens.issue(secret, video_id, 1, 600)
    assert client.get(f"/api/streaming/videos/{video_id}/master.m3u8?token={current}").status_code == 200


def test_a_token_for_a_video_one_may_watch_opens_no_other_video(app, client):
    # The attacker's own public video hands out a token; they paste it onto a private video's id (both share the
    # epoch 0, so only the video id bound into the MAC stops it).
    mine = make_video(app)
    theirs = make_video(app, visibility="private")
    token = parse_qs(urlsplit(links(client, mine)["master"]).query)["token"][0]
    assert client.get(f"/api/streaming/videos/{mine}/master.m3u8?token={token}").status_code == 200
    for path in ("master.m3u8", "360p/index.m3u8", "thumbnails.vtt"):
        response = client.get(f"/api/streaming/videos/{theirs}/{path}?token={token}")
        assert response.status_code == 404, (path, response.status_code)


def test_deleting_a_video_ends_its_links(app, client):
    video_id = make_video(app, visibility="private")
    handed_out = links(client, video_id, headers=owner_headers(app))
    assert client.delete(f"/api/gallery/videos/{video_id}", headers=owner_headers(app)).status_code == 204
    for link in handed_out.values():
        assert client.get(link).status_code == 404


# --- the segment URL window --------------------------------------------------------------------

@pytest.mark.parametrize("duration, expected", [
    (None, 4 * 3600), (0, 4 * 3600), (6.0, 1812), (180.0, 2160), (3600.0, 9000), (7200.0, 4 * 3600),
])
def test_segment_urls_live_twice_the_video_plus_a_margin_capped(duration, expected):
    assert segment_url_expiry(duration, 4 * 3600, 1800) == expected


def test_the_variant_signs_segments_for_the_video_s_window(app, client):
    video_id = make_video(app, duration=180.0)
    body = client.get(links(client, video_id)["variant"]).get_data(as_text=True)
    expiries = [int(parse_qs(urlsplit(line).query)["expires"][0]) for line in body.splitlines()
                if line.startswith("http")]
    assert len(expiries) == 2
    assert all(abs(e - (time.time() + 2 * 180 + 1800)) < 5 for e in expiries)


# --- hostile tokens and expiries -----------------------------------------------------------------

@pytest.mark.parametrize("token", [
    "1" * 5000 + ".x", "9" * 4000 + "." + "a" * 40, "1" * 65,
])
def test_an_oversized_token_is_a_4xx_json_never_a_500(app, client, token):
    video_id = make_video(app, visibility="private")
    for path in ("master.m3u8", "360p/index.m3u8", "thumbnails.vtt"):
        response = client.get(f"/api/streaming/videos/{video_id}/{path}?token={token}")
        assert response.status_code == 422, response.get_data(as_text=True)[:200]
        assert response.get_json()["code"] == 422


@pytest.mark.parametrize("token", [
    "²." + "a" * 40, "١٢٣٤." + "a" * 40, " 99999999999." + "a" * 40, "9_999_999_999." + "a" * 40,
    "9999999999999." + "a" * 40, "9999999999." + "A" * 40, "9999999999." + "a" * 40 + "\n", "", ".",
])
def test_a_malformed_token_is_refused_quietly(app, client, token):
    video_id = make_video(app, visibility="private")
    assert tokens.check(app.config["SECRET_KEY"], video_id, 0, token) is False
    response = client.get(f"/api/streaming/videos/{video_id}/master.m3u8", query_string={"token": token})
    assert response.status_code == 404 and response.get_json()["code"] == 404


@pytest.mark.parametrize("expires", ["1" * 5000, "١٢٣", " 9999999999", "9_999_999_999", "-1", "99999999999999"])
def test_a_local_storage_url_with_a_hostile_expiry_is_403_json(app, client, expires):
    video_id = make_video(app)
    put_text(app, f"processed/{video_id}/360p/seg_00000.m4s", "bytes")
    signed = client.get(links(client, video_id)["variant"]).get_data(as_text=True)
    segment = urlsplit(next(line for line in signed.splitlines() if line.startswith("http")))
    assert client.get(f"{segment.path}?{segment.query}").status_code == 200
    sig = parse_qs(segment.query)["sig"][0]
    response = client.get(segment.path, query_string={"expires": expires, "sig": sig})
    assert response.status_code == 403, response.get_data(as_text=True)[:200]
    assert response.get_json()["code"] == 403
