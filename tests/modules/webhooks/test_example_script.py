"""docs/examples/upload_and_wait.py against a live all-in-one: an API key uploads a clip, and the script learns it
is ready from the signed webhook (no password, no polling), then removes its endpoint."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import token_for
from tests.media import make_clip
from tests.modules.processor.jobs import FAST
from videoforge.modules.processor.worker import Worker

pytestmark = pytest.mark.slow

SCRIPT = Path(__file__).resolve().parents[3] / "docs" / "examples" / "upload_and_wait.py"


def test_the_example_uploads_with_an_api_key_and_hears_the_video_is_ready(make_app, http_server, tmp_path):
    app = make_app(PUBLIC_URL=http_server.url, WEBHOOK_ALLOW_LOOPBACK=True, **FAST)
    http_server.serve(app)
    client = app.test_client()
    session = {"Authorization": f"Bearer {token_for(app)}"}
    created = client.post("/api/auth/keys", json={"name": "script", "scopes": ["manage"]}, headers=session)
    assert created.status_code == 201, created.get_json()
    clip = make_clip(tmp_path / "holiday.mp4", 320, 180, seconds=2)
    worker = Worker(app, in_process=True).start_background()
    try:
        env = {**os.environ, "VIDEOFORGE_API_KEY": created.get_json()["key"]}
        run = subprocess.run([sys.executable, str(SCRIPT), str(clip), "--server", http_server.url, "--timeout", "60"],
                             env=env, capture_output=True, text=True, timeout=120)
    finally:
        worker.stop(hand_back=True, timeout=15)
    assert run.returncode == 0, run.stdout + run.stderr
    assert "ready: holiday (320x180" in run.stdout and "/watch/" in run.stdout
    assert client.get("/api/webhooks", headers=session).get_json() == []  # the script cleaned up
