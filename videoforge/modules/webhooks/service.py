"""Owners' webhook endpoints: register (the URL checked, the secret sealed and shown once), list, change, delete,
roll the secret; each endpoint's delivery log; a test event; a replay. Every lookup is by owner: another user's
endpoint is "no such endpoint", like one that does not exist.

The secret is shown once, when it is made (at creation or a roll), as personal API keys are: the server keeps it
sealed (it must sign with it, so it cannot be a hash), and nothing reads it back, so a stolen session or API key
later cannot lift it and forge deliveries. An owner who loses it, or fears it leaked, rolls it: a new one is shown,
and the old one goes on signing beside it for the overlap they choose (videoforge/webhooks/endpoint_secret.py).
"""

from __future__ import annotations

import logging
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from videoforge import sealing
from videoforge.capped import Cap, add_within
from videoforge.errors import Refusal
from videoforge.models import User, WebhookAttempt, WebhookDelivery, WebhookEndpoint, new_id, utcnow
from videoforge.webhooks import DeliveryStatus, EventType, endpoint_secret
from videoforge.webhooks.addresses import TargetRefused, check_target
from videoforge.webhooks.events import iso, queue_delivery, record_test_event

log = logging.getLogger("videoforge.webhooks")


class NoSuchEndpoint(Refusal):
    code = 404
    description = "No such webhook endpoint."


class NoSuchDelivery(Refusal):
    code = 404
    description = "No such webhook delivery."


@dataclass
class DeliveryView:
    """A delivery and its attempts, oldest first (WebhookDeliverySchema)."""

    delivery: WebhookDelivery
    attempts: list[WebhookAttempt] = field(default_factory=list)


def create_endpoint(session: Session, config: dict[str, Any], user: User,
                    data: dict[str, Any]) -> tuple[WebhookEndpoint, str]:
    """A new endpoint and its secret (the one time it is given out); commits."""
    url = checked_url(config, data["url"])
    endpoint = WebhookEndpoint(id=new_id(), owner_id=user.id, url=url, description=data.get("description") or "",
                               events=distinct(data["events"]), enabled=True)
    secret = endpoint_secret.issue(config["SECRET_KEY"], endpoint)
    # Counted after the insert (videoforge/capped.py): endpoints created at once cannot all slip under the cap.
    most = int(config["WEBHOOK_MAX_ENDPOINTS"])
    if add_within(session, endpoint, [Cap(select(WebhookEndpoint.id).where(WebhookEndpoint.owner_id == user.id),
                                          most)]) is not None:
        raise Refusal(409, f"You have {most} webhook endpoints, the most allowed; delete one first.")
    return endpoint, secret


def checked_url(config: dict[str, Any], url: str) -> str:
    """The URL, if webhooks may go there now (422 naming the `url` field otherwise)."""
    try:
        check_target(url, bool(config.get("WEBHOOK_ALLOW_LOOPBACK")))
    except TargetRefused as exc:
        raise Refusal.field(422, "url", f"This URL cannot receive webhooks: {exc.reason}.") from None
    return url


def distinct(events: list[str]) -> list[str]:
    """Each event type once, in the order EventType lists them."""
    return [event.value for event in EventType if event.value in events]


def my_endpoints(session: Session, user: User) -> list[WebhookEndpoint]:
    return list(session.scalars(select(WebhookEndpoint).where(WebhookEndpoint.owner_id == user.id)
                                .order_by(WebhookEndpoint.created_at, WebhookEndpoint.id)).all())


def endpoint_of(session: Session, user: User, endpoint_id: str) -> WebhookEndpoint:
    endpoint = session.get(WebhookEndpoint, endpoint_id)
    if endpoint is None or endpoint.owner_id != user.id:
        raise NoSuchEndpoint()
    return endpoint


def update_endpoint(session: Session, config: dict[str, Any], user: User, endpoint_id: str,
                    changes: dict[str, Any]) -> WebhookEndpoint:
    """Change the URL (checked again), events, description or enabled; commits."""
    endpoint = endpoint_of(session, user, endpoint_id)
    if "url" in changes and changes["url"] != endpoint.url:
        endpoint.url = checked_url(config, changes["url"])
    if "events" in changes:
        endpoint.events = distinct(changes["events"])
    if "description" in changes:
        endpoint.description = changes["description"]
    if "enabled" in changes:
        endpoint.enabled = changes["enabled"]
    session.commit()
    return endpoint


def roll_secret(session: Session, config: dict[str, Any], user: User, endpoint_id: str,
                expire_old_in_hours: int) -> tuple[WebhookEndpoint, str]:
    """A new secret for the endpoint (the one time it is given out), the old one signing beside it for
    `expire_old_in_hours` (0: it stops now; a predecessor from an earlier roll is dropped either way); commits."""
    endpoint = endpoint_of(session, user, endpoint_id)
    secret = endpoint_secret.roll(session, sealing.keys_of(config), endpoint, timedelta(hours=expire_old_in_hours),
                                  utcnow())
    if secret is None:
        session.rollback()
        raise Refusal(409, "This endpoint's secret changed while it was being rolled (another roll at the same "
                           "moment?); this request changed nothing: roll it again.")
    session.commit()
    until = endpoint.previous_secret_expires_at
    log.info("webhook endpoint %s: signing secret rolled; %s", endpoint.id,
             f"the old one signs too until {iso(until)}" if until else "the old one no longer signs")
    return endpoint, secret


def delete_endpoint(session: Session, user: User, endpoint_id: str) -> None:
    """The endpoint, its pending deliveries and its log; commits."""
    session.delete(endpoint_of(session, user, endpoint_id))
    session.commit()


def send_test(session: Session, user: User, endpoint_id: str) -> DeliveryView:
    """A `webhook.test` event for the endpoint, sent by the next dispatcher pass (within a second or two)."""
    endpoint = endpoint_of(session, user, endpoint_id)
    if not endpoint.enabled:
        raise Refusal(409, "This endpoint is disabled: enable it before sending a test event.")
    delivery = record_test_event(session, endpoint)
    session.commit()
    return DeliveryView(delivery)


def deliveries(session: Session, user: User, endpoint_id: str, page: int,
               page_size: int) -> tuple[list[DeliveryView], int]:
    """A page of the endpoint's deliveries, newest first, each with its attempts (two queries per page)."""
    endpoint = endpoint_of(session, user, endpoint_id)
    mine = WebhookDelivery.endpoint_id == endpoint.id
    total = int(session.scalar(select(func.count()).select_from(WebhookDelivery).where(mine)) or 0)
    offset = (page - 1) * page_size
    if offset >= total:
        return [], total
    rows = session.scalars(select(WebhookDelivery).where(mine)
                           .order_by(WebhookDelivery.created_at.desc(), WebhookDelivery.id)
                           .offset(offset).limit(page_size)).all()
    return with_attempts(session, list(rows)), total


def delivery_of(session: Session, user: User, delivery_id: str) -> WebhookDelivery:
    delivery = session.get(WebhookDelivery, delivery_id)
    if delivery is None:
        raise NoSuchDelivery()
    endpoint = session.get(WebhookEndpoint, delivery.endpoint_id)
    if endpoint is None or endpoint.owner_id != user.id:
        raise NoSuchDelivery()
    return delivery


def replay(session: Session, user: User, delivery_id: str) -> DeliveryView:
    """Send a delivery's event to its endpoint again, now: a new delivery of the same event (same id, so a receiver
    that de-duplicates sees it once), or, while the delivery is still being retried, its next attempt brought
    forward."""
    delivery = delivery_of(session, user, delivery_id)
    endpoint = session.get(WebhookEndpoint, delivery.endpoint_id)
    if endpoint is None or not endpoint.enabled:
        raise Refusal(409, "This endpoint is disabled: enable it before replaying a delivery.")
    if delivery.status == DeliveryStatus.PENDING:
        delivery.next_attempt_at = utcnow()
        again = delivery
    else:
        again = queue_delivery(session, delivery.event_id, delivery.endpoint_id, replay_of=delivery.id)
    session.commit()
    return with_attempts(session, [again])[0]


def with_attempts(session: Session, rows: list[WebhookDelivery]) -> list[DeliveryView]:
    by_delivery: dict[str, list[WebhookAttempt]] = defaultdict(list)
    if rows:
        for attempt in session.scalars(select(WebhookAttempt).where(
                WebhookAttempt.delivery_id.in_([row.id for row in rows])).order_by(WebhookAttempt.id)).all():
            by_delivery[attempt.delivery_id].append(attempt)
    return [DeliveryView(row, by_delivery[row.id]) for row in rows]
