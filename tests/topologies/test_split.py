"""Split topology on loopback: gallery, streaming, gateway and worker as four processes sharing PostgreSQL,
an S3 server (weed) and an SQS server (moto); the end-to-end scenario passes through the gateway, and so do the
shared watch and embed pages and oEmbed, which the gateway's web module renders from the database it shares."""

from __future__ import annotations

import html
import json
import re
import uuid

import pytest
import requests

from tests.conftest import throwaway_pg_database
from tests.media import make_clip
from tests.modules.processor.jobs import wait_for
from tests.need import need
from tests.topologies.harness import BIN, ROOT, Service, Topology, base_env, gunicorn, run_migrations
from tests.topologies.scenario import run_scenario, sign_up, wait_for_status

pytestmark = [pytest.mark.slow, pytest.mark.postgres, pytest.mark.timeout(600)]


@pytest.fixture(scope="module")
def split_database():
    """A PostgreSQL database of its own, shared by the four processes, dropped afterwards."""
    yield from throwaway_pg_database("vf_split")


def make_queues(endpoint: str) -> tuple[str, str]:
    import boto3

    sqs = boto3.client("sqs", endpoint_url=endpoint, region_name="us-east-1")
    name = f"vf-split-{uuid.uuid4().hex[:8]}"
    dlq = sqs.create_queue(QueueName=f"{name}-dlq")["QueueUrl"]
    dlq_arn = sqs.get_queue_attributes(QueueUrl=dlq, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    jobs = sqs.create_queue(QueueName=name, Attributes={
        "VisibilityTimeout": "120",
        "RedrivePolicy": json.dumps({"deadLetterTargetArn": dlq_arn, "maxReceiveCount": "3"})})["QueueUrl"]
    return jobs, dlq


@pytest.fixture(scope="module")
def split(split_database, weed_s3, moto_endpoint, tmp_path_factory):
    """The four services, started and ready; yields the Topology (gateway URL at split['gateway'].url)."""
    jobs, dlq = make_queues(moto_endpoint)
    gallery = gunicorn("gallery", "videoforge:create_app()", {})
    streaming = gunicorn("streaming", "videoforge:create_app()", {})
    gateway = gunicorn("gateway", "entrypoints.gateway:app", {}, threads=8)
    shared = dict(
        DATABASE_URL=split_database, AUTO_MIGRATE="false", WORKER_IN_PROCESS="false", LOG_FORMAT="json",
        LOG_LEVEL="INFO", PUBLIC_URL=gateway.url, SECRET_KEY="split-topology-secret",
        STORAGE_BACKEND="s3", S3_BUCKET=weed_s3.bucket, S3_ENDPOINT_URL=weed_s3.endpoint_url,
        S3_ACCESS_KEY_ID=weed_s3.access_key, S3_SECRET_ACCESS_KEY=weed_s3.secret_key, S3_REGION=weed_s3.region,
        QUEUE_BACKEND="sqs", SQS_QUEUE_URL=jobs, SQS_DLQ_URL=dlq, SQS_ENDPOINT_URL=moto_endpoint,
        SQS_REGION="us-east-1", AUTH_JWKS_URL=f"{gateway.url}/api/auth/.well-known/jwks.json",
        RATE_LIMIT_PER_MINUTE="6000", RATE_LIMIT_BURST="1000",
    )
    aws = {"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing", "AWS_DEFAULT_REGION": "us-east-1"}

    def env(name: str, **extra: str) -> dict[str, str]:
        instance = tmp_path_factory.mktemp(f"instance-{name}")
        values = base_env(**shared, INSTANCE_PATH=str(instance), **extra)
        values.pop("AWS_SESSION_TOKEN", None)
        values.update(aws)
        return values

    gateway.env = env("gateway", MODULES="gateway,auth,processor,web,webhooks",
                      REMOTE_MODULES=f"gallery={gallery.url},streaming={streaming.url}")
    gallery.env = env("gallery", MODULES="gallery")
    streaming.env = env("streaming", MODULES="streaming")
    worker_env = env("worker", MODULES="processor", WORKER_POLL_SECONDS="2")  # short polls: a quick stop
    worker = Service("worker", [str(BIN / "python"), "-m", "entrypoints.worker"], worker_env)

    run_migrations(gateway.env)
    with Topology() as topology:
        for service in (gateway, gallery, streaming, worker):
            topology.add(service)
            service.start()
        for service in (gateway, gallery, streaming):
            service.wait_ready()
        yield topology
        for service in topology.services.values():
            if service.process is not None and service.process.poll() is not None:
                pytest.fail(f"{service.name} died during the tests:\n{service.log_tail()}")
        stopped = topology.stop()
        # SIGTERM is a graceful stop for every service, well inside the 15 s after which it would be killed
        slow = {name: seconds for name, seconds in stopped.items() if seconds > 12}
        assert not slow, f"services slow to stop on SIGTERM: {slow}"
    topology.cleanup_logs()


def test_gateway_proxies_to_module_processes(split):
    gateway = split["gateway"].url
    direct = requests.get(f"{split['gallery'].url}/api/gallery/videos", timeout=10)
    proxied = requests.get(f"{gateway}/api/gallery/videos", headers={"X-Request-Id": "split-probe-1"}, timeout=10)
    assert proxied.status_code == direct.status_code  # same answer either way (401, or 404 before gallery lands)
    assert proxied.headers["X-Request-Id"] == "split-probe-1"
    assert proxied.json()["code"] == direct.json()["code"]
    gallery_ids = {line.get("request_id") for line in split["gallery"].log_lines()}
    assert "split-probe-1" in gallery_ids  # the module logged under the gateway's request id
    # gunicorn's own access log (gunicorn.conf.py) is JSON lines carrying the same id
    # gunicorn writes its access line after the response has gone out: give it a moment.
    access = wait_for(lambda: [line for line in split["gateway"].log_lines()
                               if line.get("logger") == "gunicorn.access" and line.get("request_id") == "split-probe-1"],
                      5, "the gateway's access log line")
    assert access and access[0]["path"] == "/api/gallery/videos" and access[0]["status"] == proxied.status_code
    assert access[0]["duration_ms"] >= 0


def test_upload_transcode_and_play_through_the_gateway(split, tmp_path):
    run_scenario(split["gateway"].url, tmp_path, logs={name: split[name] for name in ("gateway", "gallery", "worker")})


def upload(gateway: str, headers: dict, title: str, visibility: str, clip=None) -> str:
    """A video made through the gateway (gallery answers, in its own process); transcoded when given a clip."""
    size = clip.stat().st_size if clip else 1000
    created = requests.post(f"{gateway}/api/gallery/uploads", headers=headers, timeout=10, json={
        "title": title, "filename": "clip.mp4", "size": size, "content_type": "video/mp4", "visibility": visibility})
    assert created.status_code == 201, created.text
    video_id = created.json()["video"]["id"]
    if clip:
        target = created.json()["upload"]
        put = requests.put(target["url"], data=clip.read_bytes(), headers=target.get("headers") or {}, timeout=30)
        assert put.status_code in (200, 204), put.text
        confirmed = requests.post(f"{gateway}/api/gallery/videos/{video_id}/confirm", json={}, headers=headers,
                                  timeout=10)
        assert confirmed.status_code == 202, confirmed.text
        wait_for_status(gateway, headers, video_id, "ready")
    return video_id


def meta(html: str, prop: str) -> str | None:
    found = re.search(rf'<meta property="{re.escape(prop)}" content="([^"]*)">', html)
    return found.group(1) if found else None


def test_shared_pages_are_rendered_by_the_gateway_from_the_shared_database(split, tmp_path):
    """Gallery runs elsewhere, yet the gateway's web module reads the video itself: a public video's watch page
    carries its title and poster, its embed page only the frames its owner allows, oEmbed answers; a private one
    looks exactly like a missing one."""
    need((ROOT / "client" / "dist" / "index.html").is_file(), "the client is not built (make client)")
    gateway = split["gateway"].url
    headers = sign_up(gateway)
    clip = make_clip(tmp_path / "clip.mp4", width=640, height=360, seconds=2)
    public = upload(gateway, headers, "Harbour <at> dusk", "public", clip)
    patched = requests.patch(f"{gateway}/api/gallery/videos/{public}", headers=headers, timeout=10,
                             json={"embed_origins": ["https://partner.example"]})
    assert patched.status_code == 200, patched.text
    private = upload(gateway, headers, "Private diary", "private")

    watch = requests.get(f"{gateway}/watch/{public}", timeout=10)
    assert watch.status_code == 200 and watch.headers["Content-Type"].startswith("text/html")
    assert '<div id="root"></div>' in watch.text  # the client's own page, with the preview in its head
    assert meta(watch.text, "og:title") == "Harbour &lt;at&gt; dusk"
    assert meta(watch.text, "og:url") == f"{gateway}/watch/{public}"
    poster = requests.get(html.unescape(meta(watch.text, "og:image")), timeout=10)  # signed, from the S3 server
    assert poster.status_code == 200 and poster.content[:2] == b"\xff\xd8"  # a JPEG
    assert 'type="application/json+oembed"' in watch.text

    oembed = requests.get(f"{gateway}/api/oembed", params={"url": f"{gateway}/watch/{public}"}, timeout=10)
    assert oembed.status_code == 200, oembed.text
    assert oembed.json()["title"] == "Harbour <at> dusk" and f"{gateway}/embed/{public}" in oembed.json()["html"]

    embed = requests.get(f"{gateway}/embed/{public}", timeout=10)
    assert embed.status_code == 200
    assert "frame-ancestors https://partner.example" in embed.headers["Content-Security-Policy"]

    missing = uuid.uuid4().hex
    hidden = requests.get(f"{gateway}/watch/{private}", timeout=10)
    absent = requests.get(f"{gateway}/watch/{missing}", timeout=10)
    assert hidden.status_code == absent.status_code == 200  # the app, which shows its own not-found
    assert hidden.text == absent.text and "Private diary" not in hidden.text
    assert meta(hidden.text, "og:title") == "VideoForge"  # the site's own preview
    for video_id in (private, missing):
        refused = requests.get(f"{gateway}/embed/{video_id}", timeout=10)
        assert refused.status_code == 404 and "Private diary" not in refused.text
        assert "frame-ancestors 'none'" in refused.headers["Content-Security-Policy"]
    refused = requests.get(f"{gateway}/api/oembed", params={"url": f"{gateway}/watch/{private}"}, timeout=10)
    assert refused.status_code == 404 and refused.json()["code"] == 404

