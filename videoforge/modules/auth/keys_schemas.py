"""Request and response shapes of personal API keys; the key itself appears in one response only, its creation's."""

from typing import Any

from marshmallow import Schema, fields, pre_dump, validate

from videoforge.identity.api_keys import LEVELS
from videoforge.models import ApiKey
from videoforge.modules.auth.keys_service import NAME_MAX_LENGTH, CreatedKey, KeyWithOwner

SCOPES = [str(scope) for scope in LEVELS]


class ApiKeyCreateSchema(Schema):
    name = fields.String(required=True, validate=validate.Length(min=1, max=NAME_MAX_LENGTH),
                         metadata={"description": "What the key is for, e.g. `nightly upload script`"})
    scopes = fields.List(fields.String(validate=validate.OneOf(SCOPES)), required=True,
                         validate=validate.Length(min=1, max=len(SCOPES)), metadata={
                             "description": "`read` (list, get and play videos), `upload` (also create and confirm "
                                            "uploads), `manage` (also edit and delete); each holds the ones before it"})
    expires_in_days = fields.Integer(load_default=None, allow_none=True, strict=True,
                                     validate=validate.Range(min=1, max=3650), metadata={
                                         "description": "Days until the key stops working; none: it never expires "
                                                        "(unless the server sets API_KEY_MAX_LIFETIME_DAYS)"})


class ApiKeySchema(Schema):
    """A key as lists show it: never the key itself, nor its hash."""

    id = fields.String(required=True)
    name = fields.String(required=True)
    prefix = fields.String(required=True, metadata={"description": "The key's first characters, `vf_` included"})
    scopes = fields.List(fields.String(), required=True, metadata={"description": "Implied scopes included"})
    created_at = fields.DateTime(required=True)
    expires_at = fields.DateTime(allow_none=True)
    last_used_at = fields.DateTime(allow_none=True, metadata={"description": "To the minute"})


def _columns(row: ApiKey) -> dict[str, Any]:
    return {name: getattr(row, name) for name in ApiKeySchema._declared_fields}


class ApiKeyCreatedSchema(ApiKeySchema):
    """A `keys_service.CreatedKey`."""

    key = fields.String(required=True, metadata={
        "description": "The key, shown this once: send it as `Authorization: Bearer vf_…`"})

    @pre_dump
    def _flatten(self, created: CreatedKey, **_kwargs: Any) -> dict[str, Any]:
        return _columns(created.row) | {"key": created.key}


class OwnedApiKeySchema(ApiKeySchema):
    """A `keys_service.KeyWithOwner`: a key as administrators list it, with whose it is."""

    user_id = fields.String(required=True)
    owner_email = fields.String(allow_none=True)

    @pre_dump
    def _flatten(self, item: KeyWithOwner, **_kwargs: Any) -> dict[str, Any]:
        return _columns(item.row) | {"user_id": item.owner.id, "owner_email": item.owner.email}


class AdminKeyQueryArgsSchema(Schema):
    user = fields.String(load_default=None, validate=validate.Length(min=1, max=320),
                         metadata={"description": "Only this person's keys: an email address or a user id"})
