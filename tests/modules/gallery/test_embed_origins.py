"""The sites allowed to embed a video: set by its owner through the video update, each one checked to be an origin."""

from __future__ import annotations

import pytest

from tests.modules.gallery.conftest import new_upload
from videoforge.embedding import MAX_EMBED_ORIGINS


def patch(client, headers, video_id, origins):
    return client.patch(f"/api/gallery/videos/{video_id}", headers=headers, json={"embed_origins": origins})


def test_the_owner_sets_clears_and_closes_the_list(client, auth_headers):
    owner = auth_headers()
    video = new_upload(client, owner, visibility="public").json["video"]
    assert video["embed_origins"] is None  # any site, until the owner says otherwise
    changed = patch(client, owner, video["id"], ["https://Blog.Example/", "https://shop.example:8443",
                                                 "http://localhost:5173", "https://blog.example:443"])
    assert changed.status_code == 200, changed.json
    assert changed.json["embed_origins"] == ["https://blog.example", "https://shop.example:8443",
                                             "http://localhost:5173"]  # normalised, each once
    assert client.get(f"/api/gallery/videos/{video['id']}", headers=owner).json["embed_origins"] == \
        changed.json["embed_origins"]
    title_only = client.patch(f"/api/gallery/videos/{video['id']}", headers=owner, json={"title": "New"})
    assert title_only.json["embed_origins"] == changed.json["embed_origins"]  # untouched when not sent
    assert patch(client, owner, video["id"], []).json["embed_origins"] == []  # no site
    assert patch(client, owner, video["id"], None).json["embed_origins"] is None  # any site again


@pytest.mark.parametrize("origin", [
    "http://blog.example",  # plain http: only for loopback
    "https://blog.example/page",
    "https://blog.example/?q=1",
    "https://user@blog.example",
    "https://*.example",
    "https://blog.example; script-src *",
    "'self'",
    "javascript:alert(1)",
    "data:text/html,hi",
    "https://",
    "https://blog.example:99999",
    "https://bad_host.example",
    "x" * 301,
    "",
])
def test_anything_but_an_origin_is_refused_by_name(client, auth_headers, origin):
    owner = auth_headers()
    video_id = new_upload(client, owner, visibility="public").json["video"]["id"]
    refused = patch(client, owner, video_id, ["https://fine.example", origin])
    assert refused.status_code == 422
    assert "embed_origins" in str(refused.json["errors"])
    assert client.get(f"/api/gallery/videos/{video_id}", headers=owner).json["embed_origins"] is None  # unchanged


def test_lists_have_a_limit_and_a_shape(client, auth_headers):
    owner = auth_headers()
    video_id = new_upload(client, owner).json["video"]["id"]
    many = [f"https://site{n}.example" for n in range(MAX_EMBED_ORIGINS + 1)]
    assert patch(client, owner, video_id, many).status_code == 422
    assert patch(client, owner, video_id, many[:MAX_EMBED_ORIGINS]).status_code == 200
    for bad in ("https://one.example", {"origin": "https://one.example"}, [5], [None]):
        assert patch(client, owner, video_id, bad).status_code == 422


def test_only_the_owner_may_change_it(client, auth_headers):
    owner, stranger = auth_headers(), auth_headers()
    video_id = new_upload(client, owner, visibility="public").json["video"]["id"]
    assert patch(client, stranger, video_id, ["https://evil.example"]).status_code == 403
    assert client.get(f"/api/gallery/videos/{video_id}", headers=owner).json["embed_origins"] is None
