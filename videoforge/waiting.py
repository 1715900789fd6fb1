"""Where a queued video stands: its place in line and an estimated start from recent job durations."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import func, select

from videoforge.models import Video, WorkerHeartbeat, utcnow

MISSED_BEATS = 3
"""A worker that missed this many heartbeats no longer counts as in service."""


def alive_since(heartbeat_seconds: float):
    return utcnow() - timedelta(seconds=heartbeat_seconds * MISSED_BEATS)


def live_worker_slots(session, heartbeat_seconds: float = 10) -> int:
    """Jobs the live workers can run at once: the "in-service workers" of backlog per worker."""
    total = session.scalar(select(func.coalesce(func.sum(WorkerHeartbeat.concurrency), 0)).where(
        WorkerHeartbeat.seen_at >= alive_since(heartbeat_seconds)))
    return int(total or 0)


RECENT_JOBS = 20
"""Finished jobs averaged for the estimated start."""
DEFAULT_JOB_SECONDS = 60.0
"""Assumed job length before any job has finished."""


def queue_position(session, video: Video) -> int | None:
    """1 for the next video to start, 2 after it...; None unless the video is queued."""
    if video.status != "queued":
        return None
    since = video.queued_at or video.created_at
    ahead = session.scalar(select(func.count()).select_from(Video).where(
        Video.status == "queued", Video.id != video.id,
        (func.coalesce(Video.queued_at, Video.created_at) < since)
        | ((func.coalesce(Video.queued_at, Video.created_at) == since) & (Video.id < video.id))))
    return int(ahead or 0) + 1


def average_job_seconds(session, recent: int = RECENT_JOBS) -> float:
    """Mean duration of the last finished jobs (DEFAULT_JOB_SECONDS before there are any)."""
    rows = session.execute(select(Video.started_at, Video.finished_at).where(
        Video.status == "ready", Video.started_at.is_not(None), Video.finished_at.is_not(None))
        .order_by(Video.finished_at.desc()).limit(recent)).all()
    spans = [(end - start).total_seconds() for start, end in rows if end >= start]
    return sum(spans) / len(spans) if spans else DEFAULT_JOB_SECONDS


def estimated_start_seconds(session, video: Video, workers: int | None = None,
                            position: int | None = None) -> float | None:
    """Seconds until the video's job should start: the running jobs' remaining time and the queue
    ahead of it, shared out over the worker slots. None unless queued, or when no worker is running.
    `position` saves a query when the caller has just asked queue_position()."""
    if position is None:
        position = queue_position(session, video)
    if position is None:
        return None
    if workers is None:
        workers = live_worker_slots(session)
    if workers <= 0:
        return None
    average = average_job_seconds(session)
    running = session.scalars(select(Video.progress).where(Video.status == "processing")).all()
    # Each slot frees up when its job ends; every queued video ahead takes the slot that frees first.
    free_at = sorted([max(0.0, average * (1 - (p or 0) / 100)) for p in running][:workers])
    free_at += [0.0] * (workers - len(free_at))
    for _ in range(position - 1):
        free_at.sort()
        free_at[0] += average
    return round(min(free_at), 1)
