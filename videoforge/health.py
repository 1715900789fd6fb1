"""Liveness and readiness endpoints for the load balancer and container health checks."""

from __future__ import annotations

from flask import Blueprint, current_app, jsonify

health = Blueprint("health", __name__)


@health.get("/healthz")
def healthz():
    """Alive: the process answers."""
    return jsonify(status="ok")


@health.get("/readyz")
def readyz():
    """Ready: the database answers; otherwise 503 so traffic goes elsewhere."""
    db = current_app.extensions.get("videoforge.db")
    if db is not None:
        try:
            db.ping()
        except Exception as exc:  # noqa: BLE001 - any failure to answer means not ready; the probe says 503, never 500
            current_app.logger.warning("readiness: database unreachable: %s", type(exc).__name__)
            response = jsonify(code=503, status="Service Unavailable", message="database unreachable")
            response.status_code = 503
            response.headers["Retry-After"] = "5"
            return response
    return jsonify(status="ready")
