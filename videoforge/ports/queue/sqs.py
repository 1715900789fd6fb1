"""The SQS job queue: long polling, visibility changes, and a dead-letter queue fed by a redrive policy."""

from __future__ import annotations

import json
import math
from typing import TYPE_CHECKING, Any

from videoforge.ports.queue import DeadLetter, Message, QueueDepth

if TYPE_CHECKING:
    from botocore.client import BaseClient
    from sqlalchemy.orm import Session

MAX_WAIT_SECONDS = 20
"""SQS's longest long poll."""
MAX_VISIBILITY_SECONDS = 12 * 3600
"""SQS's longest visibility timeout."""
PEEK_VISIBILITY_SECONDS = 30
"""How long listing dead letters hides them; they are made visible again as soon as the list is read."""


class SqsQueue:
    """A queue URL and its DLQ URL. SQS itself dead-letters a message after `maxReceiveCount` receives.

    SQS keeps no per-message error, so `release(error=...)` cannot store it: dead letters come back
    with `error=None` and the processor fills in the video's own error instead.
    """

    transactional = False

    def __init__(self, client: BaseClient, queue_url: str, dlq_url: str | None = None,
                 visibility_timeout: int = 120, max_receives: int = 3):
        self.client = client
        self.queue_url = queue_url
        self.name = queue_url.rstrip("/").rsplit("/", 1)[-1]
        self.dlq_url = dlq_url
        self.visibility_timeout = visibility_timeout
        self.max_receives = max_receives

    @classmethod
    def from_config(cls, config: dict[str, Any]) -> SqsQueue:
        import boto3
        from botocore.config import Config

        client = boto3.client(
            "sqs", region_name=config.get("SQS_REGION") or None, endpoint_url=config.get("SQS_ENDPOINT_URL") or None,
            # A long poll holds the connection for up to 20 s: the read timeout must be longer.
            config=Config(read_timeout=MAX_WAIT_SECONDS + 10, retries={"max_attempts": 3, "mode": "standard"}))
        queue = cls(client, config["SQS_QUEUE_URL"], config.get("SQS_DLQ_URL") or None,
                    visibility_timeout=int(config["QUEUE_VISIBILITY_TIMEOUT"]),
                    max_receives=int(config["QUEUE_MAX_RECEIVES"]))
        queue._read_redrive_policy()
        return queue

    def _read_redrive_policy(self) -> None:
        """Take the DLQ and maxReceiveCount from the queue's redrive policy, so config cannot contradict SQS."""
        attributes = self.client.get_queue_attributes(
            QueueUrl=self.queue_url, AttributeNames=["RedrivePolicy"]).get("Attributes", {})
        policy = json.loads(attributes.get("RedrivePolicy") or "{}")
        if policy.get("maxReceiveCount"):
            self.max_receives = int(policy["maxReceiveCount"])
        if self.dlq_url is None and policy.get("deadLetterTargetArn"):
            name = policy["deadLetterTargetArn"].rsplit(":", 1)[-1]
            self.dlq_url = self.client.get_queue_url(QueueName=name)["QueueUrl"]

    def send(self, body: dict[str, Any], *, delay: int = 0, session: Session | None = None) -> str:
        """Send now; `session` is ignored (SQS cannot join a database transaction: use the outbox)."""
        response = self.client.send_message(QueueUrl=self.queue_url, MessageBody=json.dumps(body),
                                            DelaySeconds=max(0, min(int(delay), 900)))
        return response["MessageId"]

    def receive(self, *, max_messages: int = 1, wait_seconds: float = 0,
                visibility_timeout: int | None = None) -> list[Message]:
        """Long poll for up to `wait_seconds` (whole seconds, at most 20)."""
        hide = self.visibility_timeout if visibility_timeout is None else visibility_timeout
        response = self.client.receive_message(
            QueueUrl=self.queue_url, MaxNumberOfMessages=max(1, min(int(max_messages), 10)),
            WaitTimeSeconds=max(0, min(math.ceil(wait_seconds), MAX_WAIT_SECONDS)),
            VisibilityTimeout=max(0, min(int(hide), MAX_VISIBILITY_SECONDS)),
            MessageSystemAttributeNames=["ApproximateReceiveCount"])
        return [Message(id=m["MessageId"], body=_decode(m["Body"]), receipt=m["ReceiptHandle"],
                        receive_count=int(m.get("Attributes", {}).get("ApproximateReceiveCount", 1)))
                for m in response.get("Messages", [])]

    def delete(self, message: Message) -> None:
        self.client.delete_message(QueueUrl=self.queue_url, ReceiptHandle=message.receipt)

    def extend(self, message: Message, seconds: int) -> None:
        self._set_visibility(message, seconds)

    def release(self, message: Message, *, delay: int = 0, error: str | None = None) -> None:
        self._set_visibility(message, delay)

    def _set_visibility(self, message: Message, seconds: int) -> None:
        self.client.change_message_visibility(
            QueueUrl=self.queue_url, ReceiptHandle=message.receipt,
            VisibilityTimeout=max(0, min(int(seconds), MAX_VISIBILITY_SECONDS)))

    def depth(self) -> QueueDepth:
        """SQS's approximate counts: visible, not visible (received or delayed), and the DLQ's."""
        main = self._attributes(self.queue_url)
        dead = self._attributes(self.dlq_url) if self.dlq_url else {}
        return QueueDepth(
            visible=int(main.get("ApproximateNumberOfMessages", 0)),
            in_flight=int(main.get("ApproximateNumberOfMessagesNotVisible", 0))
            + int(main.get("ApproximateNumberOfMessagesDelayed", 0)),
            dead=int(dead.get("ApproximateNumberOfMessages", 0))
            + int(dead.get("ApproximateNumberOfMessagesNotVisible", 0)))

    def _attributes(self, url: str) -> dict[str, str]:
        return self.client.get_queue_attributes(QueueUrl=url, AttributeNames=["All"]).get("Attributes", {})

    def dead_letters(self, limit: int = 100) -> list[DeadLetter]:
        """Peek at the DLQ: receive with a short visibility, then make each visible again at once.

        SQS has no read-without-receive, so listing counts as a receive of the DLQ's copy (its
        ApproximateReceiveCount grows); the DLQ has no redrive policy, so that is harmless.
        """
        seen = self._drain_dlq(limit)
        self._unhide(seen)
        return [DeadLetter(id=m["MessageId"], body=_decode(m["Body"]),
                           receive_count=int(m.get("Attributes", {}).get("ApproximateReceiveCount", 0)), error=None)
                for m in seen]

    def redrive(self, ids: list[str] | None = None) -> int:
        """Move dead letters (all, or those ids) back: send each to the main queue, then delete it from the DLQ."""
        if not self.dlq_url:
            return 0
        wanted = None if ids is None else set(ids)
        moved, skipped = 0, []
        for m in self._drain_dlq(10_000, stop=wanted):
            if wanted is not None and m["MessageId"] not in wanted:
                skipped.append(m)
                continue
            self.client.send_message(QueueUrl=self.queue_url, MessageBody=m["Body"])
            self.client.delete_message(QueueUrl=self.dlq_url, ReceiptHandle=m["ReceiptHandle"])
            moved += 1
        self._unhide(skipped)
        return moved

    def _drain_dlq(self, limit: int, stop: set[str] | None = None) -> list[dict[str, Any]]:
        """Receive from the DLQ until it answers empty, `limit` is reached, or every id in `stop` was seen."""
        if not self.dlq_url:
            return []
        seen: dict[str, dict[str, Any]] = {}
        while len(seen) < limit:
            batch = self.client.receive_message(
                QueueUrl=self.dlq_url, MaxNumberOfMessages=min(10, limit - len(seen)), WaitTimeSeconds=0,
                VisibilityTimeout=PEEK_VISIBILITY_SECONDS,
                MessageSystemAttributeNames=["ApproximateReceiveCount"]).get("Messages", [])
            fresh = [m for m in batch if m["MessageId"] not in seen]
            if not fresh:
                break
            for m in fresh:
                seen[m["MessageId"]] = m
            if stop is not None and stop <= set(seen):
                break
        return list(seen.values())

    def _unhide(self, messages: list[dict[str, Any]]) -> None:
        for start in range(0, len(messages), 10):
            chunk = messages[start:start + 10]
            self.client.change_message_visibility_batch(QueueUrl=self.dlq_url, Entries=[
                {"Id": str(i), "ReceiptHandle": m["ReceiptHandle"], "VisibilityTimeout": 0}
                for i, m in enumerate(chunk)])


def _decode(raw: str) -> dict[str, Any]:
    try:
        body = json.loads(raw)
    except ValueError:
        return {"raw": raw}
    return body if isinstance(body, dict) else {"raw": body}
