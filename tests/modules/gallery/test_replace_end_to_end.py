"""Replacing a video's file end to end: a real clip transcoded, replaced by another, transcoded again; the video keeps
its id, title and captions, plays its old ladder while the new file waits, then plays the new content."""

from __future__ import annotations

import pytest
import requests

from tests.conftest import token_for
from tests.media import make_clip
from videoforge.models import Caption
from videoforge.modules.processor.worker import Worker

pytestmark = pytest.mark.slow  # two transcodes over real HTTP

FAST = {"LADDER_HEIGHTS": [144], "SEGMENT_SECONDS": 2, "WORKER_POLL_SECONDS": 0.2, "TESTING": True}


def send(app, auth: dict, path: str, data: bytes, **fields) -> dict:
    """POST an upload (or a replace) of `data`, PUT the bytes, confirm; the confirmed video."""
    api = app.config["PUBLIC_URL"]
    started = requests.post(api + path, headers=auth, timeout=30,
                            json={"filename": "clip.mp4", "size": len(data), "content_type": "video/mp4", **fields})
    assert started.status_code == 201, started.text
    video_id, plan = started.json()["video"]["id"], started.json()["upload"]
    assert requests.put(plan["url"], data=data, headers=plan["headers"], timeout=30).status_code == 200
    confirm = "/confirm" if path.endswith("/replace") else f"/{video_id}/confirm"
    base = api + (path if path.endswith("/replace") else "/api/gallery/videos")
    confirmed = requests.post(base + confirm, json={}, headers=auth, timeout=30)
    assert confirmed.status_code == 202, confirmed.text
    return confirmed.json()


def first_segment(info: dict) -> bytes:
    master = requests.get(info["master_url"], timeout=30).text
    variant_uri = next(line for line in master.splitlines() if line and not line.startswith("#"))
    variant = requests.get(info["master_url"].rsplit("/", 1)[0] + "/" + variant_uri, timeout=30).text
    segment = next(line for line in variant.splitlines() if line.startswith("http"))
    fetched = requests.get(segment, timeout=30)
    assert fetched.status_code == 200
    return fetched.content


def test_a_replaced_video_keeps_its_id_and_plays_the_new_content(make_app, http_server, tmp_path):
    app = make_app(PUBLIC_URL=http_server.url, **FAST)
    http_server.serve(app)
    auth = {"Authorization": f"Bearer {token_for(app)}"}

    def playback(video_id: str) -> dict:
        return requests.get(f"{http_server.url}/api/streaming/videos/{video_id}", headers=auth, timeout=30).json()

    video = send(app, auth, "/api/gallery/uploads", make_clip(tmp_path / "a.mp4", seconds=2).read_bytes(),
                 title="Harbour")
    assert Worker(app, burst=True).run() == ["done"]
    before = playback(video["id"])
    assert before["status"] == "ready" and 1.5 < before["duration"] < 2.5
    old_segment = first_segment(before)
    with app.extensions["videoforge.db"].session() as session:
        session.add(Caption(video_id=video["id"], language="en", label="English", key="k"))

    replaced = send(app, auth, f"/api/gallery/videos/{video['id']}/replace",
                    make_clip(tmp_path / "b.mp4", seconds=4, width=256, height=144).read_bytes())
    assert (replaced["id"], replaced["title"], replaced["status"]) == (video["id"], "Harbour", "queued")
    waiting = playback(video["id"])
    assert waiting["playable"] and first_segment(waiting) == old_segment  # the old ladder plays meanwhile

    assert Worker(app, burst=True).run() == ["done"]
    after = playback(video["id"])
    assert after["status"] == "ready" and 3.5 < after["duration"] < 4.5 and after["width"] == 256
    assert first_segment(after) != old_segment
    with app.extensions["videoforge.db"].session() as session:
        assert [c.language for c in session.query(Caption).filter_by(video_id=video["id"])] == ["en"]
