"""Fixtures for port tests: an SQS-protocol server (moto_server) on a random loopback port."""

from __future__ import annotations

import pytest


@pytest.fixture(scope="session")
def sqs_endpoint(moto_endpoint):
    """URL of an SQS-compatible server for the whole test session (the one shared moto_server)."""
    return moto_endpoint


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
