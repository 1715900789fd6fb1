"""Security headers for every answer: nosniff, no referrer, a Content-Security-Policy per kind of answer, and caching.

The app factory installs this in every process (all-in-one, gateway, Lambdas), so every topology answers with
the same policy. A header an answer already carries is kept: a view that knows better (an embed page's
frame-ancestors, a playlist's max-age) and a module answering through the gateway's proxy win.
"""

from __future__ import annotations

import base64
import hashlib
import re
from typing import Any
from urllib.parse import urlsplit

from flask import Flask, Response, g, request

from videoforge.config import ENV_PREFIX, ConfigError

Policy = dict[str, list[str]]

# Signed URLs (storage signatures, playback tokens, Cognito's ?code=) live in query strings, and unlisted
# videos' ids in page paths: no request of ours needs a Referer, so none is sent anywhere.
REFERRER_POLICY = "no-referrer"

# JSON, playlists, media and files load nothing: opened as a document, one may run nothing and be framed by no one.
RESOURCE_POLICY: Policy = {"default-src": ["'none'"], "frame-ancestors": ["'none'"]}

DOCS_BLUEPRINT = "api-docs"  # flask-smorest's blueprint for /api/docs (Swagger UI), /api/redoc and openapi.json
REDOC_ENDPOINT = f"{DOCS_BLUEPRINT}.openapi_redoc"
# An inline <script> without src: Swagger UI's page starts itself with one, allowed by its hash.
_INLINE_SCRIPT = re.compile(rb"<script(?![^>]*\bsrc=)[^>]*>(.*?)</script>", re.S | re.I)
# Not in an operator's extra source: it would end the directive, or add a keyword such as 'unsafe-inline'.
_NOT_A_SOURCE = re.compile(r"[\s;,'\"]")


def origin_of(url: str) -> str:
    """`scheme://host[:port]` of a URL, the form a CSP source names an origin in."""
    parts = urlsplit(url)
    host = parts.hostname or ""
    host = f"[{host}]" if ":" in host else host
    return f"{parts.scheme}://{host}" + (f":{parts.port}" if parts.port else "")


def storage_origins(config: dict[str, Any]) -> list[str]:
    """Where browsers send upload PUTs and fetch posters, sprites and segments, built the way the adapters build URLs.

    Local storage URLs start with PUBLIC_URL, or unset with the page's own origin, which 'self' already names
    (ports/storage/local.py). S3 URLs go to S3_PUBLIC_ENDPOINT_URL, else S3_ENDPOINT_URL, else AWS's regional
    endpoint; virtual-hosted style puts the bucket in front of the host (ports/storage/sigv4.py's QueryPresigner).
    """
    if config["STORAGE_BACKEND"] != "s3":
        return [origin_of(config["PUBLIC_URL"])] if config.get("PUBLIC_URL") else []
    region = config.get("S3_REGION") or "us-east-1"
    endpoint = (config.get("S3_PUBLIC_ENDPOINT_URL") or config.get("S3_ENDPOINT_URL")
                or f"https://s3.{region}.amazonaws.com")
    if (config.get("S3_ADDRESSING_STYLE") or "path") == "virtual":
        parts = urlsplit(endpoint)
        return [origin_of(f"{parts.scheme}://{config['S3_BUCKET']}.{parts.netloc}")]
    return [origin_of(endpoint)]


def delivery_origins(config: dict[str, Any]) -> list[str]:
    """Where players fetch media from besides storage: the CDN in front of the renditions (ports/delivery)."""
    return [origin_of(config["CDN_URL"])] if config.get("MEDIA_DELIVERY") == "cdn" and config.get("CDN_URL") else []


def _unique(*groups: list[str]) -> list[str]:
    return list(dict.fromkeys(source for group in groups for source in group))


def client_policy(config: dict[str, Any]) -> Policy:
    """The web client's policy: its own scripts only; data from the app, storage and (with Cognito) the hosted UI."""
    if config.get("CONTENT_SECURITY_POLICY"):
        policy = parse_policy(config["CONTENT_SECURITY_POLICY"])
        policy.setdefault("frame-ancestors", ["'none'"])  # framing stays opt-in, per answer
        return policy
    extra = list(config.get("CSP_EXTRA_SOURCES") or [])
    for source in extra:
        if not source or _NOT_A_SOURCE.search(source):
            raise ConfigError(f"{ENV_PREFIX}CSP_EXTRA_SOURCES: {source!r} is not a CSP source "
                              "such as https://cdn.example.com")
    # Playlist and storage URLs are absolute, on PUBLIC_URL: not 'self' when browsers reach the app by another name.
    # Without PUBLIC_URL they are built on the request's own origin: 'self'.
    own = [origin_of(config["PUBLIC_URL"])] if config.get("PUBLIC_URL") else []
    fetched = _unique(own, storage_origins(config), delivery_origins(config), extra)
    cognito = []
    if config.get("AUTH_BACKEND") == "cognito" and config.get("COGNITO_DOMAIN"):
        cognito = [origin_of(config["COGNITO_DOMAIN"])]  # the hosted UI and its /oauth2/token endpoint
    return {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        # React sets style through the CSSOM (element.style), which CSP does not govern: no 'unsafe-inline'.
        "style-src": ["'self'"],
        "img-src": _unique(["'self'", "data:"], fetched),  # data: for the inline favicon
        # blob: is hls.js's MediaSource; data: the `data:,WEBVTT` src hls.js gives each subtitle <track> it adds
        # (refused, a track shows its cues once and never again after being switched off).
        "media-src": _unique(["'self'", "blob:", "data:"], fetched),
        "connect-src": _unique(["'self'"], fetched, cognito),  # playlists, segments, upload PUTs, token exchange
        "worker-src": ["'self'", "blob:"],  # hls.js runs its transmuxer in a worker made from a Blob
        "object-src": ["'none'"],
        "base-uri": ["'none'"],
        "form-action": _unique(["'self'"], cognito),
        "frame-ancestors": ["'none'"],
    }


def docs_policy(endpoint: str | None) -> Policy:
    """The API docs pages: served files only, Swagger UI's inline start-up script allowed by its hash."""
    policy = {
        "default-src": ["'none'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        "img-src": ["'self'", "data:"],  # Swagger UI's and ReDoc's icons
        "connect-src": ["'self'"],  # the spec, and Swagger UI's "Try it out"
        "base-uri": ["'none'"],
        "form-action": ["'self'"],
        "frame-ancestors": ["'none'"],
    }
    if endpoint == REDOC_ENDPOINT:
        # ReDoc writes its styles into <style> elements (styled-components), builds its search index in a worker
        # made from a Blob, and always shows Redocly's logo from their CDN (hidden when that fails, e.g. offline).
        # The page reads nothing secret, so these stay on it and off Swagger UI's, where people paste tokens.
        policy.update({"style-src": ["'self'", "'unsafe-inline'"], "worker-src": ["blob:"],
                       "img-src": ["'self'", "data:", "https://cdn.redoc.ly"]})
    return policy


def parse_policy(text: str) -> Policy:
    """A policy string as directives (the first of a repeated directive wins, as in browsers)."""
    policy: Policy = {}
    for directive in text.split(";"):
        words = directive.split()
        if words:
            policy.setdefault(words[0].lower(), words[1:])
    return policy


def serialise(policy: Policy) -> str:
    """The header value of a policy."""
    return "; ".join(" ".join([name, *values]) for name, values in policy.items())


def inline_script_hashes(html: bytes) -> list[str]:
    """`'sha256-…'` sources for each inline script of a page."""
    return [f"'sha256-{base64.b64encode(hashlib.sha256(body).digest()).decode()}'"
            for body in _INLINE_SCRIPT.findall(html)]


def allow_framing(*sources: str) -> None:
    """Let these origins frame the current answer (an embed page), instead of no one."""
    g.frame_ancestors = list(sources) or ["'none'"]


def install_security_headers(app: Flask) -> None:
    """Add the headers to every answer of `app`; a bad CSP setting stops start-up here."""
    client = client_policy(app.config)

    def content_security_policy(response: Response) -> str:
        if response.mimetype != "text/html":
            policy = RESOURCE_POLICY
        elif request.blueprint == DOCS_BLUEPRINT:
            policy = docs_policy(request.endpoint)
            policy["script-src"] = policy["script-src"] + inline_script_hashes(response.get_data())
        else:
            policy = client
        framing = g.get("frame_ancestors")
        return serialise({**policy, "frame-ancestors": framing} if framing else policy)

    @app.after_request
    def security_headers(response: Response) -> Response:
        headers = response.headers
        headers.setdefault("X-Content-Type-Options", "nosniff")
        headers.setdefault("Referrer-Policy", REFERRER_POLICY)
        if "Content-Security-Policy" not in headers:
            headers["Content-Security-Policy"] = content_security_policy(response)
        if "Cache-Control" not in headers:
            # An answer that does not say how to cache it is per caller (tokens, accounts, libraries with signed
            # URLs) or an error: no cache, not even the browser's disk, keeps it.
            headers["Cache-Control"] = "no-store"
        elif response.cache_control.private:
            # Kept for one caller (playlists, signed objects): a bearer token is part of who that caller is.
            response.vary.add("Authorization")
        return response
