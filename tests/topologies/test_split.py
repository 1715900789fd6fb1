"""Split topology on loopback: gallery, streaming, gateway and worker as four processes sharing PostgreSQL,
an S3 server (weed) and an SQS server (moto); the end-to-end scenario passes through the gateway."""

from __future__ import annotations

import json
import uuid

import pytest
import requests

from tests.conftest import throwaway_pg_database
from tests.modules.processor.jobs import wait_for
from tests.topologies.harness import BIN, Service, Topology, base_env, gunicorn, run_migrations
from tests.topologies.scenario import run_scenario

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
