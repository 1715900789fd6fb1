"""Split topology: a personal API key works through the gateway, both for the modules it serves itself (auth) and
for those it proxies (a gallery process of its own), which check the key themselves, against the same database."""

from __future__ import annotations

import pytest

from tests.conftest import token_for
from tests.identity.conftest import assert_error, bearer
from tests.live_server import serving

UPLOAD = {"title": "through the gateway", "filename": "clip.mp4", "size": 1000, "content_type": "video/mp4"}


@pytest.fixture
def split(make_app):
    """(gateway test client, gallery test client): the gallery in its own process-like app behind the gateway."""
    gallery = make_app(MODULES=["gallery"])
    with serving(gallery) as gallery_url:
        gateway = make_app(MODULES=["gateway", "auth"], REMOTE_MODULES={"gallery": gallery_url})
        yield gateway.test_client(), gallery.test_client(), bearer(token_for(gateway))


def new_key(client, session, scopes) -> dict:
    response = client.post("/api/auth/keys", json={"name": "-".join(scopes), "scopes": scopes}, headers=session)
    assert response.status_code == 201, response.get_json()
    return response.get_json()


def test_the_gateway_and_a_proxied_module_accept_a_key_and_enforce_its_scopes(split):
    gateway, gallery, session = split
    read, upload = new_key(gateway, session, ["read"]), new_key(gateway, session, ["upload"])

    assert gateway.get("/api/auth/me", headers=bearer(read["key"])).status_code == 200  # mounted in the gateway
    assert gateway.get("/api/gallery/videos", headers=bearer(read["key"])).get_json() == []  # proxied
    refused = assert_error(gateway.post("/api/gallery/uploads", json=UPLOAD, headers=bearer(read["key"])), 403)
    assert "upload" in refused["message"]  # the gallery process refused it, and its answer came back whole
    created = gateway.post("/api/gallery/uploads", json=UPLOAD, headers=bearer(upload["key"]))
    assert created.status_code == 201, created.get_json()
    assert gallery.get("/api/gallery/videos", headers=bearer(upload["key"])).get_json()[0]["title"] == UPLOAD["title"]

    assert gateway.delete(f"/api/auth/keys/{upload['id']}", headers=session).status_code == 204
    assert_error(gateway.get("/api/gallery/videos", headers=bearer(upload["key"])), 401)
    assert_error(gallery.get("/api/gallery/videos", headers=bearer(upload["key"])), 401)  # at once, everywhere
