"""Hostile tenants: an upload named like a video that is really a list of other files must never become them.

User B has a private, ready video. User A uploads, through the HTTP API and under video names and types, an HLS
playlist, a DASH manifest, an ffconcat list, subfile: and data: playlists, all naming B's renditions and source
(absolute paths into local storage; on S3, B's file on disk and file: URLs). Each must fail for good, serve
nothing, tell A no path on the worker, and leave B's files as they were. On local storage and on S3 (weed mini).
"""

from __future__ import annotations

import hashlib
import re
import tempfile
from pathlib import Path

import pytest
import requests
from sqlalchemy import select

from tests.conftest import token_for
from tests.hostile import HOSTILE
from tests.media import make_clip
from videoforge.models import MediaAsset, Video
from videoforge.modules.processor.worker import Worker
from videoforge.ports.storage import get_storage

pytestmark = pytest.mark.slow

FAST = {"LADDER_HEIGHTS": [144, 180], "SEGMENT_SECONDS": 2, "WORKER_POLL_SECONDS": 0.2, "TESTING": True,
        "RETRY_BACKOFF_SECONDS": 0}


@pytest.fixture(params=["local", "s3"])
def served(request, make_app, http_server):
    """The all-in-one app over real HTTP, its storage a local folder or S3."""
    overrides = dict(FAST, PUBLIC_URL=http_server.url)
    if request.param == "s3":
        overrides.update(request.getfixturevalue("weed_s3").app_settings())
    app = make_app(**overrides)
    http_server.serve(app)
    return app


def api(app, path: str) -> str:
    return app.config["PUBLIC_URL"] + path


def upload(app, auth: dict, data: bytes, filename: str, content_type: str, visibility: str = "private") -> str:
    """Create, PUT and confirm an upload as a browser does; the video's id."""
    created = requests.post(api(app, "/api/gallery/uploads"), headers=auth, timeout=30, json={
        "title": filename, "filename": filename, "size": len(data), "content_type": content_type,
        "visibility": visibility})
    assert created.status_code == 201, created.text
    video_id, target = created.json()["video"]["id"], created.json()["upload"]
    put = requests.put(target["url"], data=data, headers=target.get("headers") or {}, timeout=30)
    assert put.status_code in (200, 204), put.text
    confirmed = requests.post(api(app, f"/api/gallery/videos/{video_id}/confirm"), json={}, headers=auth, timeout=30)
    assert confirmed.status_code == 202, confirmed.text
    return video_id


def keys_of(app, video_id: str) -> list[str]:
    """Every stored object of a ready video: its source, playlists, init and media segments, artwork."""
    storage = get_storage(app)
    with app.extensions["videoforge.db"].session() as session:
        video = session.get(Video, video_id)
        keys = [video.source_key]
        keys += [a.key for a in session.scalars(select(MediaAsset).where(MediaAsset.video_id == video_id))]
    for playlist in [k for k in keys if k.endswith("/index.m3u8")]:
        folder = playlist.rsplit("/", 1)[0]
        text = storage.read_bytes(playlist).decode()
        keys += [f"{folder}/{uri}" for uri in re.findall(r'URI="([^"]+)"', text)]
        keys += [f"{folder}/{line}" for line in text.splitlines() if line and not line.startswith("#")]
    return sorted(set(keys))


def fingerprint(app, keys: list[str]) -> dict[str, str]:
    storage = get_storage(app)
    return {key: hashlib.sha256(storage.read_bytes(key)).hexdigest() for key in keys}


def attacks_on(app, keys: list[str], clip: Path) -> list[tuple[str, list[str]]]:
    """Each hostile kind with the files it names: on local storage, B's renditions (one rung's init segment and
    media segments: ffmpeg 5.1 reads them through an HLS or DASH list) and B's source, by absolute path; on S3,
    where nothing of B's lies in storage on disk, B's own file on disk (a whole .mp4: HLS and DASH read it)."""
    if app.config["STORAGE_BACKEND"] != "local":
        return [(kind, [str(clip)]) for kind in sorted(HOSTILE)]
    root = Path(get_storage(app).root)
    rung = sorted(k.rsplit("/", 1)[0] for k in keys if k.endswith("/index.m3u8"))[0]
    media = sorted(str(root / k) for k in keys if k.startswith(rung + "/") and not k.endswith(".m3u8"))
    source = [str(root / k) for k in keys if k.endswith("/source")]
    assert any("/init" in m for m in media) and len(source) == 1
    return [("hls", media), ("hls", source), ("dash", media), ("dash", source), ("ffconcat", media + source),
            ("subfile", media + source), ("data", media + source)]


def test_lists_naming_another_users_files_fail_for_good_and_serve_nothing(served, tmp_path):
    app = served
    owner_b = {"Authorization": f"Bearer {token_for(app)}"}
    owner_a = {"Authorization": f"Bearer {token_for(app)}"}
    clip = make_clip(tmp_path / "b-private.mp4", 320, 180, seconds=2)
    victim = upload(app, owner_b, clip.read_bytes(), "holiday.mp4", "video/mp4")
    assert Worker(app, burst=True).run() == ["done"]
    b_keys = keys_of(app, victim)
    assert any("/seg_" in k for k in b_keys) and any(k.endswith("/source") for k in b_keys)
    before = fingerprint(app, b_keys)

    attacks = []
    for kind, targets in attacks_on(app, b_keys, clip):
        make, filename, content_type = HOSTILE[kind]
        attacks.append((kind, upload(app, owner_a, make(targets), filename, content_type)))
    # Without the allow-list the HLS and DASH ones came out "done": B's video, published as A's.
    assert Worker(app, burst=True).run() == ["failed"] * len(attacks)

    storage_root = str(get_storage(app).root) if app.config["STORAGE_BACKEND"] == "local" else None
    for kind, video_id in attacks:
        shown = requests.get(api(app, f"/api/gallery/videos/{video_id}"), headers=owner_a, timeout=30).json()
        assert shown["status"] == "failed" and shown["retryable"] is False, (kind, shown)
        error = shown["error"]
        assert error.startswith("not a video file"), (kind, error)
        for leak in ("/", tempfile.gettempdir(), str(tmp_path), storage_root or "/", victim):
            assert leak not in error, (kind, error)
        info = requests.get(api(app, f"/api/streaming/videos/{video_id}"), headers=owner_a, timeout=30).json()
        assert info["master_url"] is None and info["playable"] is False and info["renditions"] == [], (kind, info)
        assert info["poster_url"] is None and info["thumbnails_url"] is None
        for playlist in ("master.m3u8", "144p/index.m3u8", "180p/index.m3u8", "thumbnails.vtt"):
            got = requests.get(api(app, f"/api/streaming/videos/{video_id}/{playlist}"), headers=owner_a, timeout=30)
            assert got.status_code == 404, (kind, playlist, got.status_code)

    assert fingerprint(app, b_keys) == before  # B's files, byte for byte
    still = requests.get(api(app, f"/api/streaming/videos/{victim}"), headers=owner_b, timeout=30).json()
    assert still["status"] == "ready" and still["master_url"]
