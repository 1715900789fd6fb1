"""One JSON error shape for every 4xx and 5xx, whoever raises it."""

from __future__ import annotations

import logging

from flask import Flask, jsonify
from werkzeug.exceptions import HTTPException, InternalServerError

log = logging.getLogger(__name__)


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
        log.exception("unhandled error")
        err = InternalServerError()
        response = jsonify(error_body(500, err.name, "The server hit an unexpected error; it has been logged."))
        response.status_code = 500
        return response
