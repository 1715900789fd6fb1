"""Resolve `secretsmanager:<id>[#<json-key>]` config values through AWS Secrets Manager, once per process."""

from __future__ import annotations

import json
import logging
import threading
from typing import Any

from videoforge.config import ConfigError

PREFIX = "secretsmanager:"
_cache: dict[str, str] = {}
_lock = threading.Lock()


def resolve_secrets(config: dict[str, Any], client_factory=None) -> dict[str, str]:
    """Replace every secret reference in place; the values are never logged.

    Returns the references replaced (key -> reference), so a process restored from a SnapStart snapshot can fetch
    them again (videoforge/snapstart.py).
    """
    if client_factory is None:
        def client_factory():
            return _default_client(config.get("SECRETS_ENDPOINT_URL") or None, config.get("SECRETS_REGION") or None)
    references = {key: value[len(PREFIX):] for key, value in config.items()
                  if isinstance(value, str) and value.startswith(PREFIX)}
    for key, reference in references.items():
        config[key] = resolve(key, reference, client_factory)
    return references


def resolve(key: str, reference: str, client_factory=None) -> str:
    """One reference: `secret-id` for a plain string, `secret-id#field` for a JSON secret's field."""
    secret_id, _, field = reference.partition("#")
    if not secret_id:
        raise ConfigError(f"VIDEOFORGE_{key}: empty Secrets Manager reference")
    raw = _secret_string(key, secret_id, client_factory)
    if not field:
        return raw
    try:
        value = json.loads(raw)[field]
    except (ValueError, KeyError, TypeError):
        raise ConfigError(f"VIDEOFORGE_{key}: secret {secret_id!r} has no JSON field {field!r}") from None
    return value if isinstance(value, str) else json.dumps(value)


def _secret_string(key: str, secret_id: str, client_factory) -> str:
    with _lock:
        if secret_id not in _cache:
            client = (client_factory or _default_client)()
            try:
                _cache[secret_id] = client.get_secret_value(SecretId=secret_id)["SecretString"]
            except Exception as exc:  # noqa: BLE001 - botocore raises many kinds; the operator needs the key and the id
                raise ConfigError(
                    f"VIDEOFORGE_{key}: cannot read secret {secret_id!r} ({type(exc).__name__})") from None
        return _cache[secret_id]


def _default_client(endpoint_url: str | None = None, region: str | None = None):
    import boto3  # only processes that use secrets pay for boto3's import

    _hide_response_bodies()
    # With no endpoint given, boto3 itself honours AWS_ENDPOINT_URL_SECRETS_MANAGER / AWS_ENDPOINT_URL.
    return boto3.client("secretsmanager", endpoint_url=endpoint_url, region_name=region)


def _hide_response_bodies() -> None:
    """botocore logs whole response bodies at DEBUG, secret values included: drop those records."""
    parsers = logging.getLogger("botocore.parsers")
    if not any(isinstance(f, _NoBodies) for f in parsers.filters):
        parsers.addFilter(_NoBodies())


class _NoBodies(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        return not str(record.msg).startswith("Response body")


def clear_cache() -> None:
    """Forget resolved secrets (tests; rotation on restart; a SnapStart snapshot keeps none)."""
    with _lock:
        _cache.clear()
