"""Where a queued video stands: its place in line and an estimated start from recent job durations.

A page of videos asks once (`outlook`): one query places the page's queued videos in line, three more (live worker
slots, recent job lengths, running jobs' progress) serve all of them, whatever the page's size.
"""

from __future__ import annotations

import heapq
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from videoforge.lifecycle import Status
from videoforge.models import Video, WorkerHeartbeat, utcnow

MISSED_BEATS = 3
"""A worker that missed this many heartbeats no longer counts as in service."""


def alive_since(heartbeat_seconds: float) -> datetime:
    return utcnow() - timedelta(seconds=heartbeat_seconds * MISSED_BEATS)


def live_worker_slots(session: Session, heartbeat_seconds: float) -> int:
    """Jobs the live workers can run at once: the "in-service workers" of backlog per worker.

    `heartbeat_seconds` is the WORKER_HEARTBEAT_SECONDS setting the workers beat at.
    """
    total = session.scalar(select(func.coalesce(func.sum(WorkerHeartbeat.concurrency), 0)).where(
        WorkerHeartbeat.seen_at >= alive_since(heartbeat_seconds)))
    return int(total or 0)


RECENT_JOBS = 20
"""Finished jobs averaged for the estimated start."""
DEFAULT_JOB_SECONDS = 60.0
"""Assumed job length before any job has finished."""


@dataclass(frozen=True)
class Waiting:
    """A queued video's place in line (1 starts next) and the seconds until it should start (None: no live worker)."""

    position: int
    estimated_start_seconds: float | None


def outlook(session: Session, videos: Iterable[Video], heartbeat_seconds: float) -> dict[str, Waiting]:
    """Where each queued video of `videos` stands, by id (the others are left out): at most four queries in all."""
    positions = queue_positions(session, [v.id for v in videos if v.status == Status.QUEUED])
    if not positions:
        return {}
    starts = start_times(session, max(positions.values()), live_worker_slots(session, heartbeat_seconds))
    return {video_id: Waiting(position, starts[position - 1] if starts else None)
            for video_id, position in positions.items()}


def queue_positions(session: Session, video_ids: list[str]) -> dict[str, int]:
    """Each queued video's place in line, by id, in one query: first queued, first started (ties by id)."""
    if not video_ids:
        return {}
    since = func.coalesce(Video.queued_at, Video.created_at)
    line = (select(Video.id, func.row_number().over(order_by=(since, Video.id)).label("position"))
            .where(Video.status == Status.QUEUED).subquery())
    rows = session.execute(select(line.c.id, line.c.position).where(line.c.id.in_(video_ids))).all()
    return {video_id: int(position) for video_id, position in rows}


def queue_position(session: Session, video: Video) -> int | None:
    """1 for the next video to start, 2 after it...; None unless the video is queued."""
    if video.status != Status.QUEUED:
        return None
    return queue_positions(session, [video.id]).get(video.id)


def average_job_seconds(session: Session, recent: int = RECENT_JOBS) -> float:
    """Mean duration of the last finished jobs (DEFAULT_JOB_SECONDS before there are any)."""
    rows = session.execute(select(Video.started_at, Video.finished_at).where(
        Video.status == Status.READY, Video.started_at.is_not(None), Video.finished_at.is_not(None))
        .order_by(Video.finished_at.desc()).limit(recent)).all()
    # The query leaves out unset times; the checker cannot see that through the columns' Optional type.
    spans = [(end - start).total_seconds() for start, end in rows if start and end and end >= start]
    return sum(spans) / len(spans) if spans else DEFAULT_JOB_SECONDS


def start_times(session: Session, places: int, workers: int) -> list[float]:
    """Seconds until the videos in places 1..`places` should start: the running jobs' remaining time and the
    queue ahead, shared out over the worker slots. Empty when no worker is running."""
    if workers <= 0 or places <= 0:
        return []
    average = average_job_seconds(session)
    running = session.scalars(select(Video.progress).where(Video.status == Status.PROCESSING)).all()
    # Each slot frees up when its job ends; each queued video in turn takes the slot that frees first.
    free_at = [max(0.0, average * (1 - (p or 0) / 100)) for p in running][:workers]
    free_at += [0.0] * (workers - len(free_at))
    heapq.heapify(free_at)
    starts = []
    for _ in range(places):
        start = heapq.heappop(free_at)
        starts.append(round(start, 1))
        heapq.heappush(free_at, start + average)
    return starts


def estimated_start_seconds(session: Session, video: Video, workers: int, position: int | None = None) -> float | None:
    """Seconds until one video's job should start (`outlook` answers a page at once); None unless queued, or
    with no worker slot. `position` saves a query when the caller has just asked queue_position()."""
    if position is None:
        position = queue_position(session, video)
    if position is None:
        return None
    starts = start_times(session, position, workers)
    return starts[-1] if starts else None
