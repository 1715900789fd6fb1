"""Backlog per worker: the worker registry, the in-process pool's sizing, and CloudWatch metrics for the ASG."""

from __future__ import annotations

import logging
import math
import os
import socket
from typing import TYPE_CHECKING, Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from videoforge.db import Database
from videoforge.models import WorkerHeartbeat, utcnow
from videoforge.ports.queue import Queue
from videoforge.waiting import alive_since

if TYPE_CHECKING:
    from botocore.client import BaseClient

log = logging.getLogger("videoforge.processor.scaling")


def new_worker_id(kind: str = "worker") -> str:
    """host:pid:kind, unique per process and readable in the admin API."""
    return f"{socket.gethostname()[:40]}:{os.getpid()}:{kind}"[:64]


def beat(db: Database, worker_id: str, concurrency: int, busy: int, in_process: bool) -> None:
    """Insert or refresh this worker's row."""
    with db.session() as session:
        row = session.get(WorkerHeartbeat, worker_id)
        if row is None:
            row = WorkerHeartbeat(id=worker_id, host=socket.gethostname()[:255], pid=os.getpid(),
                                  in_process=in_process)
            session.add(row)
        row.concurrency, row.busy, row.seen_at = concurrency, busy, utcnow()


def forget(db: Database, worker_id: str) -> None:
    """Remove a stopping worker's row, so it stops counting at once."""
    with db.session() as session:
        row = session.get(WorkerHeartbeat, worker_id)
        if row is not None:
            session.delete(row)


def live_workers(session: Session, heartbeat_seconds: float = 10) -> list[WorkerHeartbeat]:
    """Workers that beat recently."""
    return list(session.scalars(select(WorkerHeartbeat).where(
        WorkerHeartbeat.seen_at >= alive_since(heartbeat_seconds)).order_by(WorkerHeartbeat.started_at)))


def backlog_per_worker(visible: int, workers: int) -> float:
    """Visible messages per in-service worker slot; with no worker, the whole backlog (so scaling out from zero
    works)."""
    return visible / workers if workers > 0 else float(visible)


def desired_slots(visible: int, busy: int, target: float, minimum: int, maximum: int) -> int:
    """In-process pool size: the busy slots plus enough for the waiting jobs at `target` jobs per slot.

    The same rule as the ASG's target tracking (capacity = backlog / target), except that slots
    running a job are never taken away mid-job.
    """
    wanted = busy + math.ceil(visible / max(target, 0.01))
    return max(minimum, min(maximum, wanted))


class CloudWatchPublisher:
    """Puts Backlog, WorkerSlots and BacklogPerWorker (dimension Queue) into a CloudWatch namespace."""

    def __init__(self, namespace: str, queue: str, client: BaseClient):
        self.namespace, self.queue, self.client = namespace, queue, client

    @classmethod
    def from_config(cls, config: dict[str, Any], queue: Queue) -> CloudWatchPublisher | None:
        """None unless CLOUDWATCH_NAMESPACE is set."""
        if not config.get("CLOUDWATCH_NAMESPACE"):
            return None
        import boto3

        client = boto3.client("cloudwatch", region_name=config.get("CLOUDWATCH_REGION") or config.get("SQS_REGION"),
                              endpoint_url=config.get("CLOUDWATCH_ENDPOINT_URL") or None)
        return cls(config["CLOUDWATCH_NAMESPACE"], queue.name, client)

    def publish(self, visible: int, workers: int) -> float:
        """Send one data point of each metric; returns backlog per worker."""
        per_worker = backlog_per_worker(visible, workers)
        dimensions = [{"Name": "Queue", "Value": self.queue}]
        self.client.put_metric_data(Namespace=self.namespace, MetricData=[
            {"MetricName": "Backlog", "Dimensions": dimensions, "Value": float(visible), "Unit": "Count"},
            {"MetricName": "WorkerSlots", "Dimensions": dimensions, "Value": float(workers), "Unit": "Count"},
            {"MetricName": "BacklogPerWorker", "Dimensions": dimensions, "Value": per_worker, "Unit": "Count"},
        ])
        return per_worker
