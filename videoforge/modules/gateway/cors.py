"""CORS for the configured client origins: preflights answered for /api/*, headers on every API answer."""

from __future__ import annotations

from flask import Flask, Response, request

ALLOWED_METHODS = "GET, HEAD, POST, PUT, PATCH, DELETE, OPTIONS"
ALLOWED_HEADERS = "Authorization, Content-Type, If-Match, If-None-Match, Range, X-Request-Id"
EXPOSED_HEADERS = "X-Request-Id, X-Pagination, ETag, Location, Retry-After, Content-Range"
PREFLIGHT_MAX_AGE = "600"


def install_cors(app: Flask) -> None:
    """Allow the origins in CORS_ORIGINS (`*` allows any) to call the API from a browser."""
    origins = {o.rstrip("/") for o in app.config.get("CORS_ORIGINS") or ()}
    if not origins:
        return
    any_origin = "*" in origins

    def allowed(origin: str | None) -> bool:
        return bool(origin) and (any_origin or origin in origins)

    @app.before_request
    def _preflight():
        origin = request.headers.get("Origin")
        if (request.method == "OPTIONS" and request.path.startswith("/api/")
                and request.headers.get("Access-Control-Request-Method") and allowed(origin)):
            response = Response(status=204)
            response.headers["Access-Control-Allow-Methods"] = ALLOWED_METHODS
            response.headers["Access-Control-Allow-Headers"] = (
                request.headers.get("Access-Control-Request-Headers") or ALLOWED_HEADERS)
            response.headers["Access-Control-Max-Age"] = PREFLIGHT_MAX_AGE
            return response
        return None

    @app.after_request
    def _headers(response: Response) -> Response:
        if not request.path.startswith("/api/"):
            return response
        response.vary.add("Origin")  # caches must not hand one origin's answer to another
        origin = request.headers.get("Origin")
        if allowed(origin):
            response.headers["Access-Control-Allow-Origin"] = origin
            response.headers["Access-Control-Expose-Headers"] = EXPOSED_HEADERS
        return response
