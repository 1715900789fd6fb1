"""AWS Lambda handlers for the Flask app: Mangum over a2wsgi, fed events that say how long their body is.

Why Mangum over a2wsgi: it understands every event our topologies produce (API Gateway HTTP API v2,
Function URLs, ALB with multi-value headers), returns several Set-Cookie headers the way each
event kind needs them, and lets us declare which content types go back as text.

Why events are normalised first: a2wsgi builds the WSGI environ from the request's headers, and
Werkzeug, rightly, will not read a body whose length nobody stated (it could be endless). A client
that sent its request chunked arrives with no content-length header, so Flask saw an empty body.
In Lambda the whole body is already inside the event, so its length is a fact; the event is where
that fact is known, and the one place that repairs it for every route and adapter.

Under SnapStart, `make_handler` also registers the hooks that make a restored snapshot safe (videoforge/snapstart.py).
"""

from __future__ import annotations

import base64
from collections.abc import Callable
from typing import TYPE_CHECKING

from a2wsgi import WSGIMiddleware
from mangum import Mangum

if TYPE_CHECKING:
    from flask import Flask
    from mangum.types import LambdaContext

# Playlists must reach players as text, not base64 (text/* and JSON are text already).
TEXT_MIME_TYPES = [
    "text/", "application/json", "application/problem+json", "application/javascript", "application/xml",
    "application/vnd.oai.openapi", "application/vnd.apple.mpegurl", "application/x-mpegurl",
    "audio/mpegurl", "audio/x-mpegurl", "image/svg+xml",
]
# The header a SigV4-signing gateway moves the caller's bearer token to (see modules/gateway/signing.py).
FORWARDED_AUTHORIZATION = "x-forwarded-authorization"

LambdaHandler = Callable[[dict, "LambdaContext"], dict]


def body_length(event: dict) -> int:
    """Bytes in the event's body once decoded."""
    body = event.get("body") or ""
    if event.get("isBase64Encoded"):
        return len(base64.b64decode(body))
    return len(body.encode("utf-8")) if isinstance(body, str) else len(body)


def _fix_headers(headers: dict, length: int | None, multi: bool) -> dict:
    lowered = {name.lower(): name for name in headers}
    fixed = dict(headers)
    if length is not None:
        for name in ("content-length", "transfer-encoding"):  # the body is whole now, no longer chunked
            fixed.pop(lowered.get(name, name), None)
        fixed["content-length"] = [str(length)] if multi else str(length)
    auth_name = lowered.get("authorization")
    if auth_name is not None:
        value = fixed[auth_name][0] if multi else fixed[auth_name]
        if value.startswith("AWS4-HMAC-SHA256 "):
            # AWS checked this signature for the Function URL; the app wants the caller's own token.
            fixed.pop(auth_name)
            forwarded = lowered.get(FORWARDED_AUTHORIZATION)
            if forwarded is not None:
                fixed["authorization"] = fixed.pop(forwarded)
    return fixed


def normalise_event(event: dict) -> dict:
    """A copy of the event whose headers state the body's true length, and carry the caller's bearer token."""
    length = body_length(event) if event.get("body") else None
    event = dict(event)
    if "multiValueHeaders" in event:  # ALB in multi-value mode (and API Gateway REST)
        event["multiValueHeaders"] = _fix_headers(event.get("multiValueHeaders") or {}, length, multi=True)
    else:
        event["headers"] = _fix_headers(event.get("headers") or {}, length, multi=False)
    return event


def make_handler(app: Flask) -> LambdaHandler:
    """A Lambda handler serving `app` for HTTP API v2, Function URL and ALB events."""
    # One request at a time per Lambda instance: one worker thread is all a2wsgi needs.
    # (a2wsgi types its ASGI messages as TypedDicts, Mangum as plain mappings: one protocol, two spellings.)
    asgi = Mangum(WSGIMiddleware(app, workers=1), lifespan="off",  # type: ignore[arg-type]
                  text_mime_types=TEXT_MIME_TYPES)

    def handler(event: dict, context: LambdaContext) -> dict:
        return asgi(normalise_event(event), context)

    handler.app = app  # type: ignore[attr-defined]  # for tests and tools that want the Flask app behind it
    # Only a VideoForge app has snapshot state to renew; a plain Flask app (the cold-start benchmark's baseline)
    # must not load the videoforge package through it.
    if "videoforge.modules" in app.extensions:
        _prepare_for_snapshots(app)
    return handler


def _prepare_for_snapshots(app: Flask) -> None:
    """Give the execution environment its id; under SnapStart, hooks that make it anew after each restore."""
    from videoforge import snapstart

    app.extensions[snapstart.INSTANCE_ID] = snapstart.new_instance_id()
    if snapstart.snapshot_init():
        snapstart.register_hooks(app)
