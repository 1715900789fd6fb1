"""Webhooks: events about an owner's videos, written in the transaction of the change (events.py), signed
(signing.py) and POSTed to the owner's endpoints (delivery.py) only where the addresses allow it (addresses.py).

This package holds what the processor, the gallery and the worker share; the `webhooks` module (under
videoforge/modules/) is the owners' API. Its names are spelled here once, and import nothing, so models.py may use
them.
"""

from __future__ import annotations

from enum import StrEnum


class EventType(StrEnum):
    """What an endpoint may subscribe to."""

    VIDEO_READY = "video.ready"
    """The video finished processing and plays at every rung."""
    VIDEO_FAILED = "video.failed"
    """Processing failed; the event carries the reason."""
    VIDEO_DELETED = "video.deleted"
    """The video and its files were deleted."""


TEST_EVENT = "webhook.test"
"""The type of the event "send test event" sends: to one endpoint, whatever it subscribes to."""


class DeliveryStatus(StrEnum):
    """Where one event is on its way to one endpoint."""

    PENDING = "pending"
    """Waiting for its next attempt (retried with back-off for WEBHOOK_RETRY_FOR seconds)."""
    DELIVERED = "delivered"
    """The endpoint answered 2xx."""
    FAILED = "failed"
    """Given up: out of time, the endpoint disabled, or its address refused."""
