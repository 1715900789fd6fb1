"""Webhook events, written in the caller's transaction: the transactional outbox of webhooks.

`record_event(session, video, type)` is called right beside the change it announces (the processor's ready and
failed, the gallery's delete), before that transaction commits: a committed change always has its event and one
pending delivery per subscribed endpoint, and a rolled-back one has neither. The worker's dispatcher sends them
afterwards (delivery.py).

One change, one event: each event names its transition (`video/type/job`), and that name is unique, so the same
change recorded twice — two workers finishing one job after a redelivery, a failure recorded by the worker and by
housekeeping — inserts one row and announces once. A later job of the same video (a retry) is a new transition.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Insert, delete, select
from sqlalchemy.orm import Session

from videoforge.models import Video, WebhookDelivery, WebhookEndpoint, WebhookEvent, new_id, utcnow
from videoforge.webhooks import TEST_EVENT, DeliveryStatus, EventType


def record_event(session: Session, video: Video | None, event_type: EventType) -> WebhookEvent | None:
    """Announce `event_type` for `video` to its owner's subscribed endpoints, in the caller's transaction.

    Nothing when the video is gone, nobody subscribes, or this very transition was announced already."""
    if video is None:
        return None
    endpoints = [endpoint for endpoint in session.scalars(select(WebhookEndpoint).where(
        WebhookEndpoint.owner_id == video.owner_id, WebhookEndpoint.enabled.is_(True))).all()
                 if event_type in (endpoint.events or [])]
    if not endpoints:
        return None
    now = utcnow()
    event = WebhookEvent(id=new_id(), owner_id=video.owner_id, type=event_type, video_id=video.id,
                         transition=transition_of(video, event_type), created_at=now)
    event.payload = envelope(event.id, event_type, now, {"video": video_data(video)})
    if not _inserted_once(session, event):
        return None
    for endpoint in endpoints:
        queue_delivery(session, event.id, endpoint.id)
    session.flush()
    return session.get(WebhookEvent, event.id)


def record_test_event(session: Session, endpoint: WebhookEndpoint) -> WebhookDelivery:
    """A `webhook.test` event for one endpoint (whatever it subscribes to), due at once; the caller commits."""
    now = utcnow()
    event = WebhookEvent(id=new_id(), owner_id=endpoint.owner_id, type=TEST_EVENT, created_at=now)
    event.payload = envelope(event.id, TEST_EVENT, now, {"endpoint": {"id": endpoint.id, "url": endpoint.url}})
    session.add(event)
    session.flush()
    return queue_delivery(session, event.id, endpoint.id)


def queue_delivery(session: Session, event_id: str, endpoint_id: str, replay_of: str | None = None) -> WebhookDelivery:
    """A pending delivery of the event to the endpoint, due now."""
    delivery = WebhookDelivery(event_id=event_id, endpoint_id=endpoint_id, status=DeliveryStatus.PENDING,
                               next_attempt_at=utcnow(), replay_of=replay_of)
    session.add(delivery)
    session.flush()
    return delivery


def forget_owner(session: Session, owner_id: str) -> None:
    """A deleted account's webhooks: its endpoints (their secrets and URLs), events, deliveries and logs; the caller
    commits. Deliveries and attempts go with their events and endpoints (ON DELETE CASCADE)."""
    session.execute(delete(WebhookEvent).where(WebhookEvent.owner_id == owner_id))
    session.execute(delete(WebhookEndpoint).where(WebhookEndpoint.owner_id == owner_id))


def transition_of(video: Video, event_type: EventType) -> str:
    """The change an event announces: a video is deleted once; it becomes ready or fails once per job, and each
    job starts with a new `queued_at` (confirm, retry; a requeue of the same job keeps it)."""
    if event_type == EventType.VIDEO_DELETED:
        return f"{video.id}/{event_type}"
    job = video.queued_at.isoformat() if video.queued_at is not None else "-"
    return f"{video.id}/{event_type}/{job}"


def envelope(event_id: str, event_type: str, created_at: datetime, data: dict[str, Any]) -> dict[str, Any]:
    """The JSON every delivery of the event carries: its id (receivers de-duplicate by it), type, time and data."""
    return {"id": event_id, "type": str(event_type), "created_at": iso(created_at), "data": data}


def video_data(video: Video) -> dict[str, Any]:
    """What an event says about a video: the owner's own view of it, never its storage keys."""
    return {"id": video.id, "title": video.title, "status": str(video.status), "visibility": str(video.visibility),
            "error": video.error, "retryable": video.retryable, "duration": video.duration, "width": video.width,
            "height": video.height, "created_at": iso(video.created_at), "updated_at": iso(video.updated_at)}


def iso(moment: datetime | None) -> str | None:
    """UTC, ISO 8601, `Z`."""
    return None if moment is None else moment.astimezone(UTC).isoformat().replace("+00:00", "Z")


def _inserted_once(session: Session, event: WebhookEvent) -> bool:
    """Insert the event unless its transition is there already (another transaction's included: PostgreSQL's
    ON CONFLICT waits for it to commit), without aborting the caller's transaction either way."""
    values = {column.key: getattr(event, column.key) for column in WebhookEvent.__table__.columns}
    dialect = session.get_bind().dialect.name
    statement: Insert
    if dialect == "postgresql":
        from sqlalchemy.dialects.postgresql import insert as pg_insert

        statement = pg_insert(WebhookEvent).values(values).on_conflict_do_nothing(index_elements=["transition"])
    else:
        from sqlalchemy.dialects.sqlite import insert as sqlite_insert

        statement = sqlite_insert(WebhookEvent).values(values).on_conflict_do_nothing(index_elements=["transition"])
    return session.execute(statement.returning(WebhookEvent.id)).scalar_one_or_none() is not None
