"""A generated clip goes upload → confirm → transcode → playback, on the local folder and on S3 (weed mini).

Every byte travels as a browser's would: PUT to the signed upload URL, GET of every signed segment URL.
"""

from __future__ import annotations

import re
from urllib.parse import urlsplit

import pytest
import requests

from tests.conftest import token_for
from tests.media import make_clip
from videoforge.modules.processor.worker import Worker
from videoforge.ports.storage import get_storage

pytestmark = pytest.mark.slow  # upload, transcode and play over real HTTP, on each store and database

FAST = {"LADDER_HEIGHTS": [144, 180], "SEGMENT_SECONDS": 2, "WORKER_POLL_SECONDS": 0.2, "TESTING": True}


@pytest.fixture(params=["local", "s3"])
def played_app(request, make_app, http_server):
    """The all-in-one app served over real HTTP, its storage local or S3."""
    overrides = dict(FAST, PUBLIC_URL=http_server.url)
    if request.param == "s3":
        overrides.update(request.getfixturevalue("weed_s3").app_settings())
    app = make_app(**overrides)
    http_server.serve(app)
    return app


def _api(app, path: str) -> str:
    return app.config["PUBLIC_URL"] + path


def test_uploaded_clip_plays_from_its_master_playlist(played_app, tmp_path):
    app = played_app
    clip = make_clip(tmp_path / "clip.mp4", width=320, height=180, seconds=4)
    data = clip.read_bytes()
    auth = {"Authorization": f"Bearer {token_for(app)}"}

    created = requests.post(_api(app, "/api/gallery/uploads"), headers=auth, timeout=30, json={
        "title": "End to end", "filename": "clip.mp4", "size": len(data), "content_type": "video/mp4",
        "visibility": "private"})
    assert created.status_code == 201, created.text
    video_id, upload = created.json()["video"]["id"], created.json()["upload"]
    put = requests.put(upload["url"], data=data, headers=upload.get("headers") or {}, timeout=30)
    assert put.status_code in (200, 204), put.text
    confirmed = requests.post(_api(app, f"/api/gallery/videos/{video_id}/confirm"), json={}, headers=auth,
                              timeout=30)
    assert confirmed.status_code == 202 and confirmed.json()["status"] == "queued"

    assert Worker(app, burst=True).run() == ["done"]

    info = requests.get(_api(app, f"/api/streaming/videos/{video_id}"), headers=auth, timeout=30).json()
    assert info["status"] == "ready" and info["playable"], info
    assert [r["name"] for r in info["renditions"]] == ["144p", "180p"]
    assert all(r["complete"] for r in info["renditions"])
    assert 3.5 < info["duration"] < 4.5

    # A player needs no bearer token: the playback token in the URL is the grant.
    master = requests.get(info["master_url"], timeout=30)
    assert master.status_code == 200 and master.headers["Content-Type"] == "application/vnd.apple.mpegurl"
    variants = [line for line in master.text.splitlines() if line and not line.startswith("#")]
    assert len(variants) == 2
    # The only master: streaming's, from the rows the worker measured (the worker stores none).
    assert master.text.count("AVERAGE-BANDWIDTH=") == 2 and master.text.count("FRAME-RATE=") == 2, master.text
    assert master.text.index("256x144") < master.text.index("320x180")  # lowest first
    storage = get_storage(app)
    assert storage.size_of(f"processed/{video_id}/master.m3u8") is None
    for variant_uri in variants:
        variant = requests.get(info["master_url"].rsplit("/", 1)[0] + "/" + variant_uri, timeout=30)
        assert variant.status_code == 200, variant.text
        assert "#EXT-X-ENDLIST" in variant.text
        init = re.search(r'#EXT-X-MAP:URI="([^"]+)"', variant.text).group(1)
        segments = [line for line in variant.text.splitlines() if line.startswith("http")]
        assert segments, variant.text
        for url in (init, segments[0]):
            fetched = requests.get(url, timeout=30)
            assert fetched.status_code == 200
            key = urlsplit(url).path.split("processed/", 1)[1]
            assert fetched.content == storage.read_bytes("processed/" + key)
        # A segment URL with one byte changed is refused by the store.
        tampered = segments[0][:-1] + ("0" if segments[0][-1] != "0" else "1")
        assert requests.get(tampered, timeout=30).status_code == 403

    poster = requests.get(info["poster_url"], timeout=30)
    assert poster.status_code == 200 and poster.content[:3] == b"\xff\xd8\xff"
    vtt = requests.get(info["thumbnails_url"], timeout=30)
    assert vtt.status_code == 200 and vtt.text.startswith("WEBVTT")
    sprite = re.search(r"^(http\S+)#xywh=", vtt.text, re.M).group(1)
    assert requests.get(sprite, timeout=30).status_code == 200

    # Others cannot watch a private video, and say so with a 404.
    stranger = {"Authorization": f"Bearer {token_for(app)}"}
    assert requests.get(_api(app, f"/api/streaming/videos/{video_id}"), headers=stranger,
                        timeout=30).status_code == 404
