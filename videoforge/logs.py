"""Log lines carrying the request id from gateway to module to worker: JSON for services, text for a person."""

from __future__ import annotations

import contextvars
import json
import logging
import re
import secrets
import sys
import time

from flask import Flask, g, request

request_id_var: contextvars.ContextVar[str | None] = contextvars.ContextVar("request_id", default=None)
_VALID_ID = re.compile(r"^[A-Za-z0-9._:-]{1,64}$")
# Terminal colour and style codes (CSI sequences): werkzeug's development server paints its lines with them.
_ANSI = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]")


class JsonFormatter(logging.Formatter):
    """One JSON object per line: time, level, logger, message, request id and any extras."""

    def format(self, record: logging.LogRecord) -> str:
        entry = {
            "ts": round(record.created, 3),
            "level": record.levelname,
            "logger": record.name,
            "msg": _ANSI.sub("", record.getMessage()),  # a log pipeline reads these, not a terminal
        }
        rid = getattr(record, "request_id", None) or request_id_var.get()
        if rid:
            entry["request_id"] = rid
        for key in ("video_id", "job", "method", "path", "status", "duration_ms"):
            if hasattr(record, key):
                entry[key] = getattr(record, key)
        if record.exc_info:
            entry["exc"] = self.formatException(record.exc_info)
        return json.dumps(entry, default=str)


class _RootHandler(logging.StreamHandler):
    """The stderr handler configure_logging installs, found again by its class."""


def configure_logging(fmt: str, level: str) -> None:
    """Install one stderr handler on the root logger (idempotent across app factories)."""
    root = logging.getLogger()
    handler = next((h for h in root.handlers if isinstance(h, _RootHandler)), None)
    if handler is None:
        handler = _RootHandler(sys.stderr)
        root.addHandler(handler)
    handler.setFormatter(JsonFormatter() if fmt == "json" else logging.Formatter(
        "%(asctime)s %(levelname)s %(name)s: %(message)s"))
    root.setLevel(level.upper())
    # Alembic narrates every plugin it loads at INFO; only its warnings are news.
    logging.getLogger("alembic").setLevel(logging.WARNING)


def new_request_id() -> str:
    """A fresh request id."""
    return secrets.token_hex(8)


def valid_request_id(value: str | None) -> str | None:
    """A caller's request id when it is safe to log and echo, else None."""
    return value if value and _VALID_ID.match(value) else None


def install_request_ids(app: Flask) -> None:
    """Take or make `X-Request-Id`, keep it in a context variable for logs, echo it back."""
    access = logging.getLogger("videoforge.access")

    @app.before_request
    def _start():
        rid = valid_request_id(request.headers.get("X-Request-Id")) or new_request_id()
        g.request_id = rid
        g.request_started = time.perf_counter()
        g.request_token = request_id_var.set(rid)

    @app.after_request
    def _finish(response):
        rid = g.get("request_id")
        if rid:
            response.headers["X-Request-Id"] = rid
            access.info("%s %s %s", request.method, request.path, response.status_code, extra={
                "method": request.method, "path": request.path, "status": response.status_code,
                "duration_ms": round((time.perf_counter() - g.request_started) * 1000, 1)})
        return response

    @app.teardown_request
    def _reset(_exc=None):
        token = g.pop("request_token", None)
        if token is not None:
            request_id_var.reset(token)
