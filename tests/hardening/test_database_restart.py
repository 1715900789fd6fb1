"""PostgreSQL restarts under uploads and confirms: 503 with Retry-After meanwhile, no half-written rows, and the
same app process serves again once the database is back (the pool's pre-ping replaces dead connections)."""

from __future__ import annotations

import threading
import time

import pytest
import requests
from sqlalchemy import func, select

from tests.conftest import token_for
from tests.modules.processor.jobs import wait_for
from tests.topologies.harness import Topology, base_env, gunicorn
from videoforge import create_app
from videoforge.models import OutboxMessage, QueueMessage, Video

pytestmark = [pytest.mark.postgres, pytest.mark.slow, pytest.mark.timeout(240)]

MODULES = "gallery,auth,streaming,processor,storage"


@pytest.fixture
def served(cluster_db, signing_key_pem, tmp_path):
    """The app under gunicorn (a real process) on the module's own PostgreSQL; yields (url, app for tokens)."""
    server = gunicorn("app", "videoforge:create_app()", {}, workers=1, threads=8)
    settings = dict(DATABASE_URL=cluster_db, MODULES=MODULES, WORKER_IN_PROCESS="false", LOG_LEVEL="WARNING",
                    PUBLIC_URL=server.url, STORAGE_PATH=str(tmp_path / "storage"), SECRET_KEY="restart-secret",
                    AUTH_SIGNING_KEY=signing_key_pem, INSTANCE_PATH=str(tmp_path / "instance"))
    # The test's own app: runs the migrations, and mints tokens the server accepts (same key, same issuer).
    app = create_app(**{k: v for k, v in settings.items() if k != "MODULES"}, MODULES=MODULES.split(","))
    server.env = base_env(**settings, AUTO_MIGRATE="false")
    with Topology() as topology:
        topology.add(server).start()
        server.wait_ready()
        yield server, app
    app.extensions["videoforge.db"].engine.dispose()
    server.log_path.unlink(missing_ok=True)


def upload(url: str, headers: dict, clip_bytes: bytes, title: str) -> requests.Response:
    return requests.post(f"{url}/api/gallery/uploads", headers=headers, timeout=30, json={
        "title": title, "filename": "clip.mp4", "size": len(clip_bytes), "content_type": "video/mp4"})


def test_postgres_restart_during_uploads_and_confirms(served, pg_cluster, clip):
    server, app = served
    url, pid = server.url, server.process.pid
    data = clip.read_bytes()
    users = [{"Authorization": f"Bearer {token_for(app)}"} for _ in range(3)]

    # Uploads whose bytes arrived before the outage: they are confirmed while the database goes away.
    sent = []
    for number in range(6):
        created = upload(url, users[number % 3], data, f"before {number}")
        assert created.status_code == 201, created.text
        plan = created.json()["upload"]
        put = requests.put(plan["url"], data=data, headers=plan["headers"], timeout=30)
        assert put.status_code == 200, put.text
        sent.append((users[number % 3], created.json()["video"]["id"]))

    answers: list[tuple[str, int, str | None, str]] = []
    stop = threading.Event()

    def traffic(headers: dict, own: list[str]) -> None:
        number = 0
        while not stop.is_set() and number < 400:  # bounded in count as well as in time
            number += 1
            if own and number % 3 == 0:
                response = requests.post(f"{url}/api/gallery/videos/{own[number % len(own)]}/confirm",
                                         headers=headers, json={}, timeout=30)
                kind = "confirm"
            elif number % 3 == 1:
                response = upload(url, headers, data, f"during {number}")
                kind = "upload"
            else:
                response = requests.get(f"{url}/api/gallery/videos", headers=headers, timeout=30)
                kind = "list"
            answers.append((kind, response.status_code, response.headers.get("Retry-After"), response.text[:200]))
            time.sleep(0.02)

    threads = [threading.Thread(target=traffic, args=(h, [v for u, v in sent if u is h]), daemon=True)
               for h in users]
    for thread in threads:
        thread.start()
    time.sleep(1.0)
    pg_cluster.stop()  # fast shutdown: sessions in flight are cut
    try:
        wait_for(lambda: any(code == 503 for _, code, _, _ in answers[-20:]), 15, "a 503 while the database is down")
        ready = requests.get(f"{url}/readyz", timeout=10)
        assert ready.status_code == 503 and ready.headers.get("Retry-After")
        time.sleep(2.0)
    finally:
        pg_cluster.start()
    back = wait_for(lambda: requests.get(f"{url}/readyz", timeout=10).status_code == 200, 20,
                    "readiness after the database came back")
    assert back
    time.sleep(1.0)
    stop.set()
    for thread in threads:
        thread.join(40)

    statuses = sorted({code for _, code, _, _ in answers})
    unexpected = [a for a in answers if a[1] not in (200, 201, 202, 503)]
    assert not unexpected, (f"answers other than success or 503 during the restart: {unexpected[:5]}\n"
                            f"server log:\n{server.log_tail(120)}")
    unavailable = [a for a in answers if a[1] == 503]
    assert unavailable, statuses
    assert all(retry and int(retry) > 0 for _, _, retry, _ in unavailable), unavailable[:3]
    assert all('"code":503' in body.replace(" ", "") for _, _, _, body in unavailable), unavailable[:3]
    assert server.process.poll() is None and server.process.pid == pid  # the same process, never restarted

    # After the outage the same process serves writes again, and every confirm (repeated) queues exactly once.
    for headers, video_id in sent:
        confirmed = requests.post(f"{url}/api/gallery/videos/{video_id}/confirm", headers=headers, json={}, timeout=30)
        assert confirmed.status_code == 202, confirmed.text
        assert confirmed.json()["status"] == "queued"
    after = upload(url, users[0], data, "after")
    assert after.status_code == 201, after.text

    # No half-written rows: every video is whole, every queued video has exactly one job and one outbox row.
    created_ok = sum(1 for kind, code, _, _ in answers if kind == "upload" and code == 201)
    created_maybe = sum(1 for kind, code, _, _ in answers if kind == "upload" and code == 503)
    with app.extensions["videoforge.db"].session() as session:
        videos = session.scalars(select(Video)).all()
        jobs = [m.body["video_id"] for m in session.scalars(select(QueueMessage))]
        outbox = [m.payload["video_id"] for m in session.scalars(select(OutboxMessage))]
        assert session.scalar(select(func.count()).select_from(QueueMessage).where(QueueMessage.dead.is_(True))) == 0
    # A 503 for a create may come after its commit (the response failed, not the write): such a row is whole.
    assert 6 + created_ok + 1 <= len(videos) <= 6 + created_ok + created_maybe + 1
    for video in videos:
        assert video.source_key.endswith(f"/{video.id}/source") and video.source_size == len(data), video.id
        assert video.status in ("awaiting_upload", "queued"), (video.id, video.status)
        expected = 1 if video.status == "queued" else 0
        assert jobs.count(video.id) == expected and outbox.count(video.id) == expected, (video.id, video.status)
    assert sorted(jobs) == sorted(outbox) == sorted(v for _, v in sent)
