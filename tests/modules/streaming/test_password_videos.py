"""Password-protected videos: refused without and with a wrong password, played (info, playlists, a segment) with
the right one; throttled; the owner and admins need none; a new password revokes earlier unlocks; only a hash is
kept, and the gallery shows a locked video by its title alone."""

from __future__ import annotations

import pytest
from sqlalchemy import delete

from tests.conftest import token_for
from tests.modules.streaming.test_access_rules import make_video, owner_headers, path_of, put_text
from videoforge.models import SignInFailure, Video

PASSWORD = "open sesame 42"
INFO = "/api/streaming/videos/{}"


@pytest.fixture
def app(make_app):
    return make_app(VIDEO_UNLOCK_MAX_FAILURES=3, VIDEO_UNLOCK_MAX_FAILURES_PER_ADDRESS=6)


@pytest.fixture
def client(app):
    return app.test_client()


def password_video(app, client, password: str = PASSWORD, **kwargs) -> str:
    """A playable video (a 360p rung with real segment files) its owner made password-protected."""
    video_id = make_video(app, **kwargs)
    put_text(app, f"processed/{video_id}/360p/init.mp4", "init")
    put_text(app, f"processed/{video_id}/360p/seg_00000.m4s", "segment zero")
    changed = client.patch(f"/api/gallery/videos/{video_id}", json={"visibility": "password", "password": password},
                           headers=owner_headers(app))
    assert changed.status_code == 200, changed.get_json()
    return video_id


def unlock(client, video_id: str, password: str, address: str = "203.0.113.7"):
    return client.post(f"/api/streaming/videos/{video_id}/unlock", json={"password": password},
                       environ_base={"REMOTE_ADDR": address})


def play(client, info_path: str, headers=None) -> bytes:
    """Playback info, master, the rung's playlist and its first segment: the segment's bytes."""
    info = client.get(info_path, headers=headers or {})
    assert info.status_code == 200, info.get_json()
    master = client.get(path_of(info.get_json()["master_url"]))
    assert master.status_code == 200
    variant_uri = next(line for line in master.get_data(as_text=True).splitlines() if line and line[0] != "#")
    video_id = info.get_json()["id"]
    variant = client.get(f"/api/streaming/videos/{video_id}/{variant_uri}")
    assert variant.status_code == 200
    segment = next(line for line in variant.get_data(as_text=True).splitlines() if "seg_00000" in line)
    fetched = client.get(path_of(segment))
    assert fetched.status_code == 200
    return fetched.data


def test_refused_without_and_with_a_wrong_password_and_played_with_the_right_one(app, client):
    video_id = password_video(app, client)
    refused = client.get(INFO.format(video_id))
    assert refused.status_code == 403
    assert "password" in refused.get_json()["errors"]
    for path in ("master.m3u8", "360p/index.m3u8", "thumbnails.vtt"):  # no playlist without the info's token
        assert client.get(f"{INFO.format(video_id)}/{path}").status_code in (403, 404), path

    wrong = unlock(client, video_id, "open sesame 43")
    assert wrong.status_code == 403
    assert wrong.get_json()["errors"] == {"json": {"password": ["Wrong password."]}}
    assert client.get(INFO.format(video_id) + "?unlock=" + "1" * 10 + "." + "0" * 40).status_code == 403

    right = unlock(client, video_id, PASSWORD)
    assert right.status_code == 200
    body = right.get_json()
    assert body["expires_in"] == app.config["VIDEO_UNLOCK_TTL"]
    assert play(client, INFO.format(video_id) + f"?unlock={body['unlock_token']}") == b"segment zero"


def test_the_gallery_shows_a_locked_video_by_its_title_alone(app, client, auth_headers):
    video_id = password_video(app, client)
    with app.extensions["videoforge.db"].session() as session:
        session.get(Video, video_id).description = "the secret plot"
    for headers in ({}, auth_headers()):
        shown = client.get(f"/api/gallery/videos/{video_id}", headers=headers)
        assert shown.status_code == 200
        video = shown.get_json()
        assert (video["title"], video["locked"], video["description"], video["poster_url"]) == (
            "clip", True, "", None)
        assert "filename" not in video
        assert client.get(f"/api/gallery/videos/{video_id}/captions", headers=headers).status_code == 404
    listed = client.get("/api/gallery/public").get_json()
    assert video_id not in [v["id"] for v in listed]
    owners = client.get(f"/api/gallery/videos/{video_id}", headers=owner_headers(app)).get_json()
    assert owners["locked"] is False and owners["description"] == "the secret plot"
    assert owners["poster_url"] is not None


def test_wrong_passwords_are_throttled_per_video_and_address_with_retry_after(app, client):
    video_id = password_video(app, client)
    other_id = password_video(app, client)
    for _ in range(3):
        assert unlock(client, video_id, "guess").status_code == 403
    throttled = unlock(client, video_id, PASSWORD)  # counted before checked: even the right one waits
    assert throttled.status_code == 429
    assert int(throttled.headers["Retry-After"]) > 0
    assert throttled.get_json()["code"] == 429
    assert unlock(client, video_id, PASSWORD, address="198.51.100.9").status_code == 200  # another client
    assert unlock(client, other_id, PASSWORD).status_code == 200  # another video, same client
    for _ in range(3):
        assert unlock(client, other_id, "guess").status_code == 403
    # Six wrong ones from this address over any videos: now every video refuses it.
    third_id = password_video(app, client)
    assert unlock(client, third_id, PASSWORD).status_code == 429
    with app.extensions["videoforge.db"].session() as session:  # the window passes
        session.execute(delete(SignInFailure))
    assert unlock(client, video_id, PASSWORD).status_code == 200


def test_a_guesser_spread_over_many_addresses_is_throttled_per_video(make_app):
    app = make_app(VIDEO_UNLOCK_MAX_FAILURES_PER_VIDEO=4)
    client = app.test_client()
    video_id = password_video(app, client)
    for n in range(4):
        assert unlock(client, video_id, "guess", address=f"192.0.2.{n}").status_code == 403
    assert unlock(client, video_id, PASSWORD, address="192.0.2.200").status_code == 429
    assert play(client, INFO.format(video_id), headers=owner_headers(app)) == b"segment zero"  # the owner watches


def test_a_right_password_forgets_that_pairs_failures(app, client):
    video_id = password_video(app, client)
    for _ in range(2):
        assert unlock(client, video_id, "guess").status_code == 403
    assert unlock(client, video_id, PASSWORD).status_code == 200
    for _ in range(2):
        assert unlock(client, video_id, "guess").status_code == 403
    assert unlock(client, video_id, PASSWORD).status_code == 200


def test_the_owner_and_admins_watch_without_the_password(app, client, auth_headers):
    video_id = password_video(app, client)
    assert play(client, INFO.format(video_id), headers=owner_headers(app)) == b"segment zero"
    assert play(client, INFO.format(video_id), headers=auth_headers(groups=["admin"])) == b"segment zero"
    assert client.get(INFO.format(video_id), headers=auth_headers()).status_code == 403


def test_a_new_password_revokes_earlier_unlocks_and_links(app, client):
    video_id = password_video(app, client)
    token = unlock(client, video_id, PASSWORD).get_json()["unlock_token"]
    info = client.get(INFO.format(video_id) + f"?unlock={token}").get_json()
    master = path_of(info["master_url"])
    assert client.get(master).status_code == 200

    changed = client.patch(f"/api/gallery/videos/{video_id}", json={"password": "a new secret"},
                           headers=owner_headers(app))
    assert changed.status_code == 200
    assert client.get(INFO.format(video_id) + f"?unlock={token}").status_code == 403
    assert client.get(master).status_code in (403, 404)
    assert unlock(client, video_id, PASSWORD).status_code == 403
    assert play(client, INFO.format(video_id) + "?unlock="
                + unlock(client, video_id, "a new secret").get_json()["unlock_token"]) == b"segment zero"

    # Removing the password (another visibility) ends them too, and unlocking is then refused for what it is.
    token = unlock(client, video_id, "a new secret").get_json()["unlock_token"]
    client.patch(f"/api/gallery/videos/{video_id}", json={"visibility": "private"}, headers=owner_headers(app))
    assert client.get(INFO.format(video_id) + f"?unlock={token}").status_code == 404
    assert unlock(client, video_id, "a new secret").status_code == 404
    with app.extensions["videoforge.db"].session() as session:
        assert session.get(Video, video_id).password_hash is None


def test_an_unlock_token_opens_no_other_video_and_is_no_playback_token(app, client):
    first, second = password_video(app, client), password_video(app, client)
    token = unlock(client, first, PASSWORD).get_json()["unlock_token"]
    assert client.get(INFO.format(second) + f"?unlock={token}").status_code == 403
    assert client.get(f"{INFO.format(first)}/master.m3u8?token={token}").status_code in (403, 404)


def test_only_a_hash_is_kept_and_no_answer_holds_it(app, client):
    video_id = password_video(app, client)
    with app.extensions["videoforge.db"].session() as session:
        stored = session.get(Video, video_id).password_hash
    assert stored.startswith("scrypt:") and PASSWORD not in stored
    owner = owner_headers(app)
    answers = [client.get(f"/api/gallery/videos/{video_id}", headers=owner),
               client.get(f"/api/gallery/videos/{video_id}"),
               client.get("/api/gallery/videos", headers=owner),
               client.get(INFO.format(video_id), headers=owner),
               client.patch(f"/api/gallery/videos/{video_id}", json={"password": PASSWORD}, headers=owner),
               unlock(client, video_id, PASSWORD)]
    for answer in answers:
        text = answer.get_data(as_text=True)
        assert answer.status_code == 200 and PASSWORD not in text and "scrypt" not in text
        assert "password_hash" not in text


@pytest.mark.parametrize(("body", "field"), [
    ({"visibility": "password"}, "password"),  # no password yet
    ({"visibility": "password", "password": None}, "password"),
    ({"visibility": "password", "password": "abc"}, "password"),  # shorter than VIDEO_PASSWORD_MIN_LENGTH
    ({"visibility": "password", "password": "x" * 257}, "password"),  # longer than the KDF takes
    ({"visibility": "public", "password": "long enough"}, "password"),  # a password for another visibility
    ({"password": "long enough"}, "password"),  # on a public video
])
def test_the_password_rules_refuse_with_422_and_change_nothing(app, client, body, field):
    video_id = make_video(app)
    refused = client.patch(f"/api/gallery/videos/{video_id}", json=body, headers=owner_headers(app))
    assert refused.status_code == 422, refused.get_json()
    assert field in refused.get_json()["errors"]["json"]
    with app.extensions["videoforge.db"].session() as session:
        video = session.get(Video, video_id)
        assert (video.visibility, video.password_hash, video.access_epoch) == ("public", None, 0)


def test_an_upload_may_be_password_protected_from_the_start(app, client):
    headers = {"Authorization": f"Bearer {token_for(app)}"}
    base = {"title": "Secret", "filename": "s.mp4", "size": 1000, "content_type": "video/mp4"}
    assert client.post("/api/gallery/uploads", json={**base, "visibility": "password"},
                       headers=headers).status_code == 422
    assert client.post("/api/gallery/uploads", json={**base, "password": "long enough"},
                       headers=headers).status_code == 422
    created = client.post("/api/gallery/uploads", json={**base, "visibility": "password", "password": "long enough"},
                          headers=headers)
    assert created.status_code == 201
    assert created.get_json()["video"]["visibility"] == "password"
    assert "long enough" not in created.get_data(as_text=True)


def test_unlocking_a_video_without_a_password_is_refused_for_what_it_is(app, client):
    public, private = make_video(app), make_video(app, visibility="private")
    assert unlock(client, public, "anything").status_code == 409
    assert unlock(client, private, "anything").status_code == 404  # as if there were no video
    assert unlock(client, "0" * 32, "anything").status_code == 404
    assert unlock(client, "not-an-id", "anything").status_code == 404
    assert client.post(f"/api/streaming/videos/{public}/unlock", json={}).status_code == 422
