"""Personal API keys over HTTP: the owner's `/keys`, and administrators' `/admin/keys`. Every route needs a signed-in
session (`sessions_only`): a key cannot make, list or revoke keys. Registered on the auth blueprint (imported at the
bottom of api.py); served with the local issuer and with Cognito alike, as keys are checked against this database."""

from __future__ import annotations

from flask import current_app
from flask.views import MethodView

from videoforge.db import get_session
from videoforge.identity import current_user, require_group, require_user, sessions_only
from videoforge.modules.auth import keys_service
from videoforge.modules.auth.api import blp
from videoforge.modules.auth.keys_schemas import (
    AdminKeyQueryArgsSchema,
    ApiKeyCreatedSchema,
    ApiKeyCreateSchema,
    ApiKeySchema,
    OwnedApiKeySchema,
)


@blp.route("/keys")
class ApiKeys(MethodView):
    @sessions_only
    @require_user
    @blp.response(200, ApiKeySchema(many=True))
    def get(self):
        """My API keys (never the keys themselves), newest first."""
        return keys_service.mine(get_session(), current_user())

    @sessions_only
    @require_user
    @blp.arguments(ApiKeyCreateSchema, error_status_code=400)
    @blp.response(201, ApiKeyCreatedSchema)
    @blp.alt_response(403, description="The request was made with an API key: sign in to create keys")
    @blp.alt_response(409, description="A key with this name exists, or the most keys a person may have")
    def post(self, data):
        """Create an API key: the answer holds the key, shown this once."""
        return keys_service.create(get_session(), current_app.config, current_user(), data["name"], data["scopes"],
                                   data["expires_in_days"])


@blp.route("/keys/<key_id>")
class ApiKeyById(MethodView):
    @sessions_only
    @require_user
    @blp.response(204)
    @blp.alt_response(404, description="No such live key of yours")
    def delete(self, key_id: str):
        """Revoke one of my API keys: it stops working at once."""
        keys_service.revoke_mine(get_session(), current_user(), key_id)


@blp.route("/admin/keys")
class AdminApiKeys(MethodView):
    @sessions_only
    @require_group("admin")
    @blp.arguments(AdminKeyQueryArgsSchema, location="query", error_status_code=400)
    @blp.response(200, OwnedApiKeySchema(many=True))
    @blp.paginate()
    def get(self, args, pagination_parameters):
        """Everyone's API keys (or one person's: `user`, an email or user id), newest first."""
        keys, pagination_parameters.item_count = keys_service.everyone(
            get_session(), args["user"], pagination_parameters.page, pagination_parameters.page_size)
        return keys


@blp.route("/admin/keys/<key_id>")
class AdminApiKeyById(MethodView):
    @sessions_only
    @require_group("admin")
    @blp.response(204)
    @blp.alt_response(404, description="No such live key")
    def delete(self, key_id: str):
        """Revoke anyone's API key."""
        keys_service.revoke_any(get_session(), current_user(), key_id)
