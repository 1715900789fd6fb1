"""Webhooks HTTP API: an owner's endpoints, their secrets' rolls, delivery logs, test events and replays."""

from __future__ import annotations

from flask import current_app
from flask.views import MethodView
from flask_smorest import Blueprint

from videoforge.db import get_session
from videoforge.identity import current_user, require_user
from videoforge.models import WebhookEndpoint
from videoforge.modules.webhooks import schemas, service

blp = Blueprint("webhooks", __name__, description="Signed POSTs to your URLs when your videos are ready, fail or are "
                                                  "deleted (the VideoForge-Signature header: docs/webhooks.md)")
NOT_YOURS = "No such endpoint of yours (another owner's is the same 404)"
SHOWN_ONCE = {"Cache-Control": "no-store"}
"""An answer that holds a secret: no cache keeps it (the app's default too, said here where it matters)."""


def with_secret(endpoint: WebhookEndpoint, secret: str) -> dict:
    """The endpoint as WebhookSchema shows it, and the secret just made."""
    return {**{name: getattr(endpoint, name) for name in schemas.WebhookSchema().fields}, "secret": secret}


@blp.route("")
class Endpoints(MethodView):
    @require_user
    @blp.response(200, schemas.WebhookSchema(many=True))
    def get(self):
        """My webhook endpoints"""
        return service.my_endpoints(get_session(), current_user())

    @require_user
    @blp.arguments(schemas.WebhookCreateSchema)
    @blp.response(201, schemas.WebhookCreatedSchema)
    @blp.alt_response(409, description="Too many endpoints (WEBHOOK_MAX_ENDPOINTS)")
    @blp.alt_response(422, description="The URL is refused: not https, or not a public address")
    def post(self, data):
        """Register an endpoint; its signing secret is in this answer only"""
        endpoint, secret = service.create_endpoint(get_session(), current_app.config, current_user(), data)
        return with_secret(endpoint, secret), SHOWN_ONCE


@blp.route("/<endpoint_id>")
class EndpointById(MethodView):
    @require_user
    @blp.response(200, schemas.WebhookSchema)
    @blp.alt_response(404, description=NOT_YOURS)
    def get(self, endpoint_id: str):
        """One of my endpoints"""
        return service.endpoint_of(get_session(), current_user(), endpoint_id)

    @require_user
    @blp.arguments(schemas.WebhookPatchSchema)
    @blp.response(200, schemas.WebhookSchema)
    @blp.alt_response(404, description=NOT_YOURS)
    def patch(self, data, endpoint_id: str):
        """Change an endpoint's URL, events or description, or enable or disable it"""
        return service.update_endpoint(get_session(), current_app.config, current_user(), endpoint_id, data)

    @require_user
    @blp.response(204)
    @blp.alt_response(404, description=NOT_YOURS)
    def delete(self, endpoint_id: str):
        """Delete an endpoint with its delivery log"""
        service.delete_endpoint(get_session(), current_user(), endpoint_id)


@blp.route("/<endpoint_id>/secret")
class EndpointSecret(MethodView):
    @require_user
    @blp.arguments(schemas.WebhookSecretRollSchema)
    @blp.response(200, schemas.WebhookSecretRolledSchema)
    @blp.alt_response(404, description=NOT_YOURS)
    @blp.alt_response(409, description="Another roll changed the secret at the same moment")
    def post(self, data, endpoint_id: str):
        """Roll the signing secret: a new one, in this answer only; the old one signs beside it until it expires"""
        endpoint, secret = service.roll_secret(get_session(), current_app.config, current_user(), endpoint_id,
                                               data["expire_old_in_hours"])
        return with_secret(endpoint, secret), SHOWN_ONCE


@blp.route("/<endpoint_id>/test")
class TestEvent(MethodView):
    @require_user
    @blp.response(202, schemas.WebhookDeliverySchema)
    @blp.alt_response(404, description=NOT_YOURS)
    @blp.alt_response(409, description="The endpoint is disabled")
    def post(self, endpoint_id: str):
        """Send a webhook.test event to the endpoint (the worker sends it within seconds)"""
        return service.send_test(get_session(), current_user(), endpoint_id)


@blp.route("/<endpoint_id>/deliveries")
class Deliveries(MethodView):
    @require_user
    @blp.response(200, schemas.WebhookDeliverySchema(many=True))
    @blp.paginate()
    @blp.alt_response(404, description=NOT_YOURS)
    def get(self, endpoint_id: str, pagination_parameters):
        """The endpoint's deliveries, newest first, each with its attempts"""
        rows, pagination_parameters.item_count = service.deliveries(
            get_session(), current_user(), endpoint_id, pagination_parameters.page, pagination_parameters.page_size)
        return rows


@blp.route("/deliveries/<delivery_id>/replay")
class Replay(MethodView):
    @require_user
    @blp.response(202, schemas.WebhookDeliverySchema)
    @blp.alt_response(404, description="No such delivery to an endpoint of yours")
    @blp.alt_response(409, description="The endpoint is disabled")
    def post(self, delivery_id: str):
        """Send a delivery's event again now (the same event id)"""
        return service.replay(get_session(), current_user(), delivery_id)
