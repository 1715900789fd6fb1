"""Webhook request and response shapes; the URL's address rules are checked in the service (addresses.py)."""

from datetime import datetime

from marshmallow import Schema, fields, post_dump, validate

from videoforge.models import utcnow
from videoforge.webhooks import DeliveryStatus, EventType
from videoforge.webhooks.addresses import MAX_URL_LENGTH
from videoforge.webhooks.endpoint_secret import DEFAULT_OVERLAP_HOURS, MAX_OVERLAP_HOURS

EVENT_TYPES = [event.value for event in EventType]
EVENTS_DESCRIPTION = "The events to receive, at least one of: " + ", ".join(EVENT_TYPES)


class WebhookSchema(Schema):
    """An endpoint as its owner sees it (never a secret: one is shown once, when it is made)."""

    id = fields.String()
    url = fields.String()
    description = fields.String()
    events = fields.List(fields.String(), metadata={"description": EVENTS_DESCRIPTION})
    enabled = fields.Boolean(metadata={"description": "Disabled endpoints receive nothing; pending deliveries "
                                                      "to them fail"})
    previous_secret_expires_at = fields.DateTime(allow_none=True, metadata={
        "description": "After a roll: until when deliveries are also signed with the secret before it (a second "
                       "v1 in VideoForge-Signature); null when only the current secret signs"})
    created_at = fields.DateTime()
    updated_at = fields.DateTime()

    @post_dump
    def _only_while_it_signs(self, data, **kwargs):
        """An old secret past its time no longer signs (the sender forgets it at its next delivery): no time to show."""
        until = data.get("previous_secret_expires_at")
        if until is not None and datetime.fromisoformat(until) <= utcnow():
            data["previous_secret_expires_at"] = None
        return data


class WebhookCreatedSchema(WebhookSchema):
    secret = fields.String(metadata={
        "description": "The signing secret (`whsec_…`), shown this once: keep it with the receiver, which checks "
                       "each delivery's VideoForge-Signature header with it"})


class WebhookSecretRolledSchema(WebhookSchema):
    secret = fields.String(metadata={
        "description": "The new signing secret (`whsec_…`), shown this once: deploy it to the receiver before "
                       "`previous_secret_expires_at`, when deliveries stop carrying the old one's signature"})


class WebhookSecretRollSchema(Schema):
    expire_old_in_hours = fields.Integer(
        load_default=DEFAULT_OVERLAP_HOURS, strict=True, validate=validate.Range(min=0, max=MAX_OVERLAP_HOURS),
        metadata={"description": f"Hours the old secret goes on signing beside the new one, 0 to "
                                 f"{MAX_OVERLAP_HOURS} (default {DEFAULT_OVERLAP_HOURS}); 0 stops it at once"})


class EventListField(fields.List):
    """At least one known event type, each once."""

    def __init__(self, **kwargs):
        super().__init__(fields.String(validate=validate.OneOf(EVENT_TYPES)),
                         validate=[validate.Length(min=1, max=len(EVENT_TYPES))],
                         metadata={"description": EVENTS_DESCRIPTION}, **kwargs)


class WebhookCreateSchema(Schema):
    url = fields.String(required=True, validate=validate.Length(min=1, max=MAX_URL_LENGTH), metadata={
        "description": "https:// URL whose host resolves to public addresses only (http:// on loopback too when "
                       "the server allows it: WEBHOOK_ALLOW_LOOPBACK)"})
    events = EventListField(required=True)
    description = fields.String(load_default="", validate=validate.Length(max=200))


class WebhookPatchSchema(Schema):
    url = fields.String(validate=validate.Length(min=1, max=MAX_URL_LENGTH))
    events = EventListField()
    description = fields.String(validate=validate.Length(max=200))
    enabled = fields.Boolean()


class WebhookAttemptSchema(Schema):
    """One POST of a delivery."""

    started_at = fields.DateTime()
    duration_ms = fields.Integer()
    status_code = fields.Integer(allow_none=True, metadata={"description": "The endpoint's answer; null when "
                                                                          "there was none (see error)"})
    response = fields.String(allow_none=True, metadata={"description": "The answer's first bytes (1 KiB), as text"})
    error = fields.String(allow_none=True, metadata={"description": "Why there was no answer, or it was refused"})


class WebhookDeliverySchema(Schema):
    """A `service.DeliveryView`: one event on its way to one endpoint, with its attempts, oldest first."""

    id = fields.String(attribute="delivery.id")
    endpoint_id = fields.String(attribute="delivery.endpoint_id")
    event_id = fields.String(attribute="delivery.event_id", metadata={
        "description": "The event's id, as in the body and the VideoForge-Event-Id header (the same on a replay)"})
    event_type = fields.String(attribute="delivery.event.type")
    video_id = fields.String(attribute="delivery.event.video_id", allow_none=True)
    status = fields.String(attribute="delivery.status",
                           metadata={"description": ", ".join(status.value for status in DeliveryStatus)})
    attempt_count = fields.Integer(attribute="delivery.attempts")
    next_attempt_at = fields.DateTime(attribute="delivery.next_attempt_at", allow_none=True)
    last_status_code = fields.Integer(attribute="delivery.last_status_code", allow_none=True)
    last_error = fields.String(attribute="delivery.last_error", allow_none=True)
    replay_of = fields.String(attribute="delivery.replay_of", allow_none=True)
    created_at = fields.DateTime(attribute="delivery.created_at")
    delivered_at = fields.DateTime(attribute="delivery.delivered_at", allow_none=True)
    attempts = fields.List(fields.Nested(WebhookAttemptSchema))
