"""The queue contract suite, run unchanged against the queues that provision.yml created on the loopback server."""

from __future__ import annotations

import pytest

from tests.ports import test_queue_contract as contract
from videoforge.ports.queue.sqs import SqsQueue

# The first test to run here may apply provision.yml twice (the session fixture): minutes on a busy machine.
pytestmark = pytest.mark.timeout(1200)

globals().update({name: getattr(contract, name) for name in dir(contract) if name.startswith("test_")})


@pytest.fixture
def queue(provisioned):
    """The app's SQS adapter built from config as a deployment sets it; DLQ and max receives come from the queue."""
    sqs = provisioned.client("sqs")
    for url in (provisioned.queue_url, provisioned.dlq_url):
        sqs.purge_queue(QueueUrl=url)  # the suite expects empty queues; the playbook made one pair for all tests
    queue = SqsQueue.from_config({
        "SQS_QUEUE_URL": provisioned.queue_url, "SQS_DLQ_URL": "", "SQS_REGION": "us-east-1",
        "SQS_ENDPOINT_URL": provisioned.endpoint_url,
        # The suite's timings assume 30 s (the deployment uses 300); max receives must come from the redrive policy.
        "QUEUE_VISIBILITY_TIMEOUT": 30, "QUEUE_MAX_RECEIVES": 99,
    })
    assert queue.dlq_url == provisioned.dlq_url and queue.max_receives == contract.MAX_RECEIVES
    return queue
