"""The gallery and streaming Lambda handlers check personal API keys as every other process does: a key acts as its
owner within its scopes, a revoked one gets 401; for each kind of event."""

from __future__ import annotations

import json

import pytest

from tests.topologies.events import KINDS, make_event
from tests.topologies.test_lambda_events import entrypoint  # noqa: F401 - the fixture: entrypoints, configured
from videoforge.identity import api_keys
from videoforge.models import ApiKey, User, Video, utcnow

UPLOAD = json.dumps({"title": "from a key", "filename": "a.mp4", "size": 1000, "content_type": "video/mp4"}).encode()


def keys_and_a_private_video(app) -> tuple[dict[str, str], str]:
    """Keys (read, upload, revoked) of one person, as the auth module makes them, and a private video of theirs."""
    keys = {}
    with app.extensions["videoforge.db"].session() as session:
        owner = User(sub="lambda-key-owner", email="owner@example.test", groups=[])
        session.add(owner)
        session.flush()
        for name, scopes, revoked in (("read", ["read"], None), ("upload", ["upload"], None),
                                      ("revoked", ["manage"], utcnow())):
            minted = api_keys.mint()
            session.add(ApiKey(user_id=owner.id, name=name, prefix=minted.prefix, secret_hash=minted.secret_hash,
                               scopes=api_keys.with_implied(scopes), revoked_at=revoked))
            keys[name] = f"Bearer {minted.key}"
        video = Video(owner_id=owner.id, title="private", visibility="private")
        session.add(video)
        session.flush()
        return keys, video.id


@pytest.mark.parametrize("kind", KINDS)
def test_lambda_handlers_check_api_keys(entrypoint, kind):  # noqa: F811 - the imported fixture
    gallery, streaming = entrypoint("lambda_gallery"), entrypoint("lambda_streaming")
    keys, video_id = keys_and_a_private_video(gallery.app)

    def call(handler, method, path, key=None, body=None):
        headers = {"authorization": key} if key else {}
        if body is not None:
            headers |= {"content-type": "application/json", "content-length": str(len(body))}
        reply = handler(make_event(kind, method, path, headers=headers, body=body), None)
        return reply["statusCode"], json.loads(reply["body"])

    status, listing = call(gallery, "GET", "/api/gallery/videos", keys["read"])
    assert status == 200 and [v["id"] for v in listing] == [video_id]
    status, refused = call(gallery, "POST", "/api/gallery/uploads", keys["read"], UPLOAD)
    assert status == 403 and "upload" in refused["message"]
    status, created = call(gallery, "POST", "/api/gallery/uploads", keys["upload"], UPLOAD)
    assert status == 201 and created["video"]["title"] == "from a key"
    status, error = call(gallery, "GET", "/api/gallery/videos", keys["revoked"])
    assert status == 401 and error["code"] == 401

    assert call(streaming, "GET", f"/api/streaming/videos/{video_id}", keys["read"])[0] == 200
    assert call(streaming, "GET", f"/api/streaming/videos/{video_id}")[0] == 404  # private: not without the key
    assert call(streaming, "GET", f"/api/streaming/videos/{video_id}", keys["revoked"])[0] == 401
