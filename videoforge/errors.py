"""One refusal type for every module, and one JSON error shape for every 4xx and 5xx, whoever raises it.

Services raise `Refusal` (status, message, field errors, headers); views raise flask-smorest's `abort()`; webargs
raises its validation errors; anything else is an outage (503) or a bug (500). One handler renders them all as
`{"code", "status", "message", "errors"}`.
"""

from __future__ import annotations

import logging
import sys
from typing import Any

from flask import Flask, Response, jsonify, request
from werkzeug.exceptions import HTTPException
from werkzeug.http import HTTP_STATUS_CODES

log = logging.getLogger(__name__)

RETRY_AFTER_SECONDS = 5
"""What a 503 asks clients to wait while a dependency (database, object store, queue) is unreachable."""


class Refusal(HTTPException):
    """A request refused for a reason its caller can act on: an HTTP status, a message for people, the request
    fields at fault (`errors`, in the shape webargs gives validation errors) and response headers (Retry-After).

    Raised by every module's services, never caught by their views. A subclass names one refusal with its code
    and description (invenio-files-rest's errors.py). It is a werkzeug HTTPException carrying flask-smorest's
    `data`, so it takes the same road as `abort()`; services stay free of `flask.request`, and the CLI prints
    `message`.
    """

    code = 400
    description = "The request was refused."

    def __init__(self, status: int | None = None, message: str | None = None,
                 errors: dict[str, Any] | None = None, headers: dict[str, str] | None = None):
        super().__init__(description=message or self.description)
        if status is not None:
            self.code = status
        self.errors = errors
        self.data = {"message": self.description, "errors": errors, "headers": dict(headers or {})}

    @property
    def message(self) -> str:
        return self.description or ""

    @classmethod
    def field(cls, status: int, name: str, message: str) -> Refusal:
        """A refusal naming one request field: `errors` is `{"json": {name: [message]}}`, as webargs gives."""
        return cls(status, message, {"json": {name: [message]}})


class NoSuchVideo(Refusal):
    """No such video for this caller: missing, or not theirs to see (the same answer, so private videos never
    leak). Gallery, streaming and the admin API refuse with it."""

    code = 404
    description = "No such video."


def error_body(code: int, status: str, message: str, errors: dict | None = None) -> dict:
    """The shape every error response has: `{code, status, message, errors}`."""
    body = {"code": code, "status": status, "message": message}
    if errors:
        body["errors"] = errors
    return body


def error_response(code: int, message: str, errors: dict | None = None,
                   headers: dict[str, str] | None = None) -> Response:
    """An error response in the one shape; every 401 says how to authenticate (RFC 9110 requires it)."""
    response = jsonify(error_body(code, HTTP_STATUS_CODES.get(code, "Error"), message, errors))
    response.status_code = code
    response.headers.update(headers or {})
    if code == 401:
        response.headers.setdefault("WWW-Authenticate", "Bearer")
    return response


def fields_at_fault(messages: object) -> str | None:
    """'Check these fields: a, b.' for webargs' validation errors (by location, then field); else None."""
    if not isinstance(messages, dict):
        return None
    names = sorted({name for location in messages.values() if isinstance(location, dict) for name in location})
    return f"Check these fields: {', '.join(names)}." if names else None


def register_error_handlers(app: Flask) -> None:
    """The one handler: refusals, abort(), webargs' and werkzeug's errors, outages and bugs, all in one shape.

    Registered for HTTPException too, so it replaces the handler flask-smorest's Api installs for those.
    """

    @app.errorhandler(HTTPException)
    @app.errorhandler(Exception)
    def render_error(exc: Exception):
        if isinstance(exc, HTTPException):  # Refusal, abort(), webargs' validation errors, werkzeug's own
            if isinstance(exc, Refusal):
                log.info("request refused: %s %s", exc.code, exc.message[:300])
            data = getattr(exc, "data", None) or {}
            messages = data.get("messages")
            message = data.get("message") or fields_at_fault(messages) or exc.description or exc.name
            headers = {name: value for name, value in (exc.get_headers() if exc.response is None
                                                       else exc.response.headers.items())
                       if name.lower() not in ("content-type", "content-length")}
            headers.update(data.get("headers") or {})
            return error_response(exc.code or 500, message, data.get("errors") or messages, headers)
        if isinstance(exc, RecursionError) and request.is_json:
            # The JSON parsers (Flask's, webargs') only turn ValueError into 400; a deeply nested body recurses.
            return error_response(400, "The JSON body is nested too deeply.", {"json": ["Nested too deeply."]})
        unstorable = unstorable_input(exc)
        if unstorable is not None:
            log.info("request refused: %s: %s", type(exc).__name__, str(exc)[:300])
            return error_response(400, unstorable)
        if write_conflict(exc):
            # Two requests changed the same rows in opposite orders and the database rolled this one back whole.
            log.warning("write conflict, rolled back: %s", str(exc.__cause__ or exc).splitlines()[0][:200])
            return error_response(503, "This request collided with another change to the same data and was undone; "
                                       "try again.", headers={"Retry-After": "1"})
        dependency = unreachable_dependency(exc)
        if dependency is not None:
            # Nothing was half-done: the request's transaction rolls back with its session. Try again soon.
            log.warning("%s unreachable: %s: %s", dependency, type(exc).__name__, str(exc)[:300])
            return error_response(503, f"The {dependency} is unreachable for a moment; try again shortly.",
                                  headers={"Retry-After": str(RETRY_AFTER_SECONDS)})
        log.error("unhandled error", exc_info=exc)
        return error_response(500, "The server hit an unexpected error; it has been logged.")


def unreachable_dependency(exc: BaseException) -> str | None:
    """'database' or 'object store or job queue' when `exc` means that service cannot be reached; else None.

    Only connection-level failures count (a refused connection, a dropped one, a timeout), never a refused
    statement or request: those are bugs and stay 500. Driver modules are looked up, not imported, so the
    gallery Lambda does not pay for boto3 just to map errors.
    """
    sqlalchemy_exc = sys.modules.get("sqlalchemy.exc")
    if sqlalchemy_exc is not None and isinstance(exc, sqlalchemy_exc.DBAPIError):
        if exc.connection_invalidated:
            return "database"
        if type(exc.orig).__module__.startswith("sqlite3"):  # its OperationalError also means "no such table"
            return "database" if any(s in str(exc.orig) for s in ("locked", "unable to open")) else None
        return "database" if isinstance(exc, (sqlalchemy_exc.OperationalError, sqlalchemy_exc.InterfaceError)) else None
    if sqlalchemy_exc is not None and isinstance(exc, sqlalchemy_exc.TimeoutError):  # pool exhausted
        return "database"
    botocore_exc = sys.modules.get("botocore.exceptions")
    if botocore_exc is not None and isinstance(exc, (botocore_exc.ConnectionError, botocore_exc.HTTPClientError)):
        return "object store or job queue"  # botocore's error does not say which service it was talking to
    return None


def write_conflict(exc: BaseException) -> bool:
    """True when PostgreSQL rolled the transaction back for a deadlock or a serialization failure (SQLSTATE class
    40): nothing of it was kept, and the same request sent again normally goes through."""
    sqlalchemy_exc = sys.modules.get("sqlalchemy.exc")
    if sqlalchemy_exc is None or not isinstance(exc, sqlalchemy_exc.DBAPIError):
        return False
    return getattr(exc.orig, "sqlstate", None) in ("40P01", "40001")


def unstorable_input(exc: BaseException) -> str | None:
    """A message for input the database cannot hold (a NUL byte or lone surrogate in text, a number out of
    range), which only shows when the value reaches the driver; None for anything else."""
    if isinstance(exc, UnicodeEncodeError) and "surrogate" in str(exc):
        return "The request holds text that is not valid Unicode (a lone surrogate)."
    sqlalchemy_exc = sys.modules.get("sqlalchemy.exc")
    if sqlalchemy_exc is not None and isinstance(exc, sqlalchemy_exc.DataError):
        return "A value in the request cannot be stored: it holds a NUL character or is out of range."
    return None
