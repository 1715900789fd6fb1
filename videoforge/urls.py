"""Where browsers reach this app: PUBLIC_URL when the operator set it, else the address of the request being answered.

Unset, every URL the app hands out (upload and storage URLs, playlists, the Cognito callback) is built from the
scheme and host the caller used, so `make run PORT=8080`, `localhost` and a phone on the LAN all get URLs they can
reach. Proxy headers (X-Forwarded-Proto/-Host) count only behind TRUSTED_PROXY_HOPS proxies: the app factory
installs ProxyFix then, and only then. The worker answers no requests and hands out no URLs.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from flask import current_app, has_request_context, request


class NoPublicUrl(RuntimeError):
    """A URL was asked for outside a request while PUBLIC_URL is unset: there is no address to build it on."""


def public_url(config: Mapping[str, Any] | None = None) -> str:
    """The base URL, without a trailing slash: PUBLIC_URL, else the current request's scheme, host and root path."""
    configured = (current_app.config if config is None else config).get("PUBLIC_URL")
    if configured:
        return configured.rstrip("/")
    if not has_request_context():
        raise NoPublicUrl("PUBLIC_URL is unset and no request is being answered: set VIDEOFORGE_PUBLIC_URL "
                          "to hand out URLs from here")
    return request.root_url.rstrip("/")
