"""Fixtures for port tests: an SQS-protocol server (moto_server) on a random loopback port."""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

import pytest
import requests

from tests.servers import free_ports


def start_moto_server() -> tuple[subprocess.Popen, str]:
    """Start `moto_server` (from moto[server]) on loopback and wait until it answers."""
    binary = Path(sys.executable).parent / "moto_server"
    port = free_ports(1)[0]
    process = subprocess.Popen(
        [str(binary) if binary.exists() else "moto_server", "-H", "127.0.0.1", "-p", str(port)],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, stdin=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"moto_server exited with code {process.returncode}")
        try:
            requests.get(url + "/moto-api/", timeout=1)
            return process, url
        except requests.ConnectionError:
            time.sleep(0.1)
    process.kill()
    raise RuntimeError("moto_server did not answer within 30 s")


@pytest.fixture(scope="session")
def sqs_endpoint():
    """URL of an SQS-compatible server for the whole test session."""
    process, url = start_moto_server()
    yield url
    process.terminate()
    try:
        process.wait(10)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


def sqs_client(endpoint: str):
    """A boto3 SQS client for the test server (moto accepts any credentials)."""
    import boto3

    return boto3.client("sqs", endpoint_url=endpoint, region_name="us-east-1",
                        aws_access_key_id="testing", aws_secret_access_key="testing")


def make_sqs_queues(client, name: str, *, max_receives: int = 3, visibility_timeout: int = 30) -> tuple[str, str]:
    """A job queue and its dead-letter queue joined by a redrive policy, as the deployment creates them."""
    import json

    dlq_url = client.create_queue(QueueName=f"{name}-dlq")["QueueUrl"]
    dlq_arn = client.get_queue_attributes(QueueUrl=dlq_url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    url = client.create_queue(QueueName=name, Attributes={
        "VisibilityTimeout": str(visibility_timeout),
        "RedrivePolicy": json.dumps({"deadLetterTargetArn": dlq_arn, "maxReceiveCount": str(max_receives)}),
    })["QueueUrl"]
    return url, dlq_url
