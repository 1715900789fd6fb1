"""One JSON error shape for every 4xx and 5xx, whoever raises it."""

from __future__ import annotations

import logging
import sys

from flask import Flask, jsonify, request
from werkzeug.exceptions import HTTPException, InternalServerError

log = logging.getLogger(__name__)

RETRY_AFTER_SECONDS = 5
"""What a 503 asks clients to wait while a dependency (database, object store, queue) is unreachable."""


def error_body(code: int, status: str, message: str, errors: dict | None = None) -> dict:
    """The shape every error response has: `{code, status, message, errors}`."""
    body = {"code": code, "status": status, "message": message}
    if errors:
        body["errors"] = errors
    return body


def register_error_handlers(app: Flask) -> None:
    """Make werkzeug's, webargs' and unexpected errors answer in the one JSON shape."""

    @app.errorhandler(HTTPException)
    def http_error(exc: HTTPException):
        data = getattr(exc, "data", None) or {}
        message = data.get("message") or exc.description or exc.name
        errors = data.get("errors") or data.get("messages")
        response = jsonify(error_body(exc.code or 500, exc.name, message, errors))
        response.status_code = exc.code or 500
        for name, value in (exc.get_headers() if exc.response is None else exc.response.headers):
            if name.lower() not in ("content-type", "content-length"):
                response.headers[name] = value
        for name, value in (data.get("headers") or {}).items():
            response.headers[name] = value
        return response

    @app.errorhandler(Exception)
    def unexpected_error(exc: Exception):
        if isinstance(exc, HTTPException):
            return http_error(exc)
        if isinstance(exc, RecursionError) and request.is_json:
            # The JSON parsers (Flask's, webargs') only turn ValueError into 400; a deeply nested body recurses.
            response = jsonify(error_body(400, "Bad Request", "The JSON body is nested too deeply.",
                                          {"json": ["Nested too deeply."]}))
            response.status_code = 400
            return response
        refusal = unstorable_input(exc)
        if refusal is not None:
            log.info("request refused: %s: %s", type(exc).__name__, str(exc)[:300])
            response = jsonify(error_body(400, "Bad Request", refusal))
            response.status_code = 400
            return response
        dependency = unreachable_dependency(exc)
        if dependency is not None:
            # Nothing was half-done: the request's transaction rolls back with its session. Try again soon.
            log.warning("%s unreachable: %s: %s", dependency, type(exc).__name__, str(exc)[:300])
            response = jsonify(error_body(503, "Service Unavailable",
                                          f"The {dependency} is unreachable for a moment; try again shortly."))
            response.status_code = 503
            response.headers["Retry-After"] = str(RETRY_AFTER_SECONDS)
            return response
        log.exception("unhandled error")
        err = InternalServerError()
        response = jsonify(error_body(500, err.name, "The server hit an unexpected error; it has been logged."))
        response.status_code = 500
        return response


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


def unstorable_input(exc: BaseException) -> str | None:
    """A message for input the database cannot hold (a NUL byte or lone surrogate in text, a number out of
    range), which only shows when the value reaches the driver; None for anything else."""
    if isinstance(exc, UnicodeEncodeError) and "surrogate" in str(exc):
        return "The request holds text that is not valid Unicode (a lone surrogate)."
    sqlalchemy_exc = sys.modules.get("sqlalchemy.exc")
    if sqlalchemy_exc is not None and isinstance(exc, sqlalchemy_exc.DataError):
        return "A value in the request cannot be stored: it holds a NUL character or is out of range."
    return None
