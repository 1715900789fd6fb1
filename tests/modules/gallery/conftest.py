"""Gallery fixtures: apps served over real HTTP (signed storage URLs are absolute), on local storage or S3."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest
import requests

from videoforge.ports.storage import get_storage

MiB = 1024 * 1024


@pytest.fixture
def gallery_app(make_app, http_server):
    """`gallery_app(**overrides)`: an all-in-one app on the test's database, answering on the live server."""

    def factory(**overrides):
        app = make_app(PUBLIC_URL=http_server.url, **overrides)
        http_server.serve(app)
        return app

    return factory


@pytest.fixture(params=["local", "s3"])
def storage_settings(request) -> dict:
    """Config that selects each storage backend in turn."""
    if request.param == "local":
        return {}
    return request.getfixturevalue("weed_s3").app_settings()


@pytest.fixture
def app(gallery_app):
    """Local storage; multipart from 9 MiB in 8 MiB parts, so a 10 MiB file takes the multipart path."""
    return gallery_app(MULTIPART_THRESHOLD=9 * MiB, MULTIPART_PART_SIZE=8 * MiB)


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def storage(app):
    return get_storage(app)


@pytest.fixture(scope="session")
def small_clip(tmp_path_factory) -> Path:
    """A real 2 s H.264/AAC clip of ~100 KB."""
    from tests.media import make_clip

    return make_clip(tmp_path_factory.mktemp("clips") / "small.mp4", seconds=2)


@pytest.fixture(scope="session")
def large_clip(tmp_path_factory) -> Path:
    """A real clip past 8 MiB (uncompressed frames in Matroska), so it needs two parts."""
    path = tmp_path_factory.mktemp("clips") / "large.mkv"
    subprocess.run(["ffmpeg", "-v", "error", "-y", "-f", "lavfi", "-i", "testsrc2=s=320x180:r=30:d=4",
                    "-c:v", "rawvideo", "-pix_fmt", "yuv420p", str(path)], check=True)
    assert path.stat().st_size > 9 * MiB
    return path


def new_upload(client, headers, **fields):
    body = {"title": "Clip", "filename": "clip.mp4", "size": 1000, "content_type": "video/mp4"}
    body.update(fields)
    return client.post("/api/gallery/uploads", json=body, headers=headers)


def send_parts(plan: dict, data: bytes, numbers=None) -> list[dict]:
    """PUT the chosen parts of `data` to their signed URLs; the parts as confirm takes them."""
    size = plan["part_size"]
    sent = []
    for part in plan["parts"]:
        if numbers is not None and part["number"] not in numbers:
            continue
        chunk = data[(part["number"] - 1) * size: part["number"] * size]
        response = requests.put(part["url"], data=chunk, timeout=60)
        assert response.status_code == 200, response.text
        sent.append({"number": part["number"], "etag": response.headers["ETag"]})
    return sent
