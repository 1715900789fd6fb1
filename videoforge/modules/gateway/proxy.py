"""Reverse proxy for modules served elsewhere: same URL prefix, streamed both ways, pooled connections."""

from __future__ import annotations

import logging
import time
from http.cookiejar import DefaultCookiePolicy
from typing import Iterator
from urllib.parse import quote

import requests
from flask import Flask, Response, current_app, g, jsonify, request
from requests.adapters import HTTPAdapter
from urllib3.util.retry import Retry

from videoforge.errors import error_body

log = logging.getLogger(__name__)

METHODS = ["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"]
CHUNK = 64 * 1024
# RFC 9110 §7.6.1: meaningful for one connection only, never forwarded.
HOP_BY_HOP = frozenset({
    "connection", "keep-alive", "proxy-authenticate", "proxy-authorization", "proxy-connection",
    "te", "trailer", "trailers", "transfer-encoding", "upgrade",
})
# Set again by the proxy for the next hop (host, length) or owned by the gateway (CORS).
_NOT_FORWARDED_REQUEST = HOP_BY_HOP | {"host", "content-length"}


def make_session(remote_count: int, pool_size: int) -> requests.Session:
    """One session shared by every thread: urllib3's pools are thread-safe and nothing else in it changes.

    Its cookie jar refuses everything, so a Set-Cookie meant for one caller is never replayed for another;
    it ignores the environment (proxies, .netrc), which could otherwise rewrite Authorization; and it adds
    no default headers, so upstream sees the caller's own.
    """
    session = requests.Session()
    session.trust_env = False
    session.headers.clear()
    session.cookies.set_policy(DefaultCookiePolicy(allowed_domains=[]))
    # A failed connect sent nothing, so one more try is safe for any method. Read errors are never
    # retried: a slow module would only get the same request twice (urllib3 already skips pooled
    # connections the module has closed).
    retry = Retry(total=1, connect=1, read=False, status=0, redirect=0, other=0, raise_on_status=False)
    adapter = HTTPAdapter(pool_connections=max(remote_count, 1), pool_maxsize=pool_size, max_retries=retry)
    session.mount("http://", adapter)
    session.mount("https://", adapter)
    return session


def connection_tokens(headers) -> set[str]:
    """Header names a `Connection` header declares hop-by-hop for this connection only."""
    return {token.strip().lower() for token in (headers.get("Connection") or "").split(",") if token.strip()}


def upstream_headers(incoming) -> dict[str, str]:
    """The caller's end-to-end headers plus X-Forwarded-* and the request id, for the remote module."""
    dropped = _NOT_FORWARDED_REQUEST | connection_tokens(incoming)
    headers: dict[str, str] = {}
    for name, value in incoming.items():
        if name.lower() not in dropped:
            headers[name] = value if name not in headers else f"{headers[name]}, {value}"
    # The address that connected to us, before any trusted-proxy rewriting, is the hop we append.
    original = request.environ.get("werkzeug.proxy_fix.orig", {})
    peer = original.get("REMOTE_ADDR") or request.environ.get("REMOTE_ADDR") or ""
    prior = incoming.get("X-Forwarded-For")
    headers["X-Forwarded-For"] = f"{prior}, {peer}" if prior else peer
    headers["X-Forwarded-Proto"] = incoming.get("X-Forwarded-Proto") or request.scheme
    headers["X-Forwarded-Host"] = incoming.get("X-Forwarded-Host") or request.host
    headers["X-Request-Id"] = g.request_id
    return headers


def downstream_headers(raw_headers) -> list[tuple[str, str]]:
    """The remote module's end-to-end headers for the caller (repeated ones such as Set-Cookie kept apart)."""
    dropped = HOP_BY_HOP | connection_tokens(raw_headers)
    return [(name, value) for name, value in raw_headers.items()
            if name.lower() not in dropped and not name.lower().startswith("access-control-")]


def upstream_path() -> str:
    """Path and query as the caller sent them (raw, so encoding and repeated keys survive)."""
    raw = request.environ.get("RAW_URI") or request.environ.get("REQUEST_URI")
    if raw and raw.startswith("/"):
        return raw
    path = quote(request.path, safe="/:@!$&'()*+,;=-._~%")
    query = request.query_string.decode("latin-1")
    return f"{path}?{query}" if query else path


class StreamedBody:
    """The caller's body read in chunks as the upstream connection sends them; a length keeps it un-chunked."""

    def __init__(self, stream, length: int | None):
        self.stream = stream
        self.length = length

    def __len__(self) -> int:  # requests sends Content-Length when this is known
        return self.length or 0

    def __bool__(self) -> bool:
        return True

    def __iter__(self) -> Iterator[bytes]:
        while chunk := self.stream.read(CHUNK):
            yield chunk


def request_body():
    """None for a bodiless request; a StreamedBody otherwise (chunked upstream when no length was given)."""
    length = request.content_length
    chunked = "chunked" in request.headers.get("Transfer-Encoding", "").lower()
    if not length and not chunked:
        return None
    if length:
        return StreamedBody(request.stream, length)
    return iter(StreamedBody(request.stream, None))


def gateway_error(code: int, status: str, message: str) -> Response:
    """A 502/504 in the one JSON error shape."""
    response = jsonify(error_body(code, status, message))
    response.status_code = code
    return response


class ModuleProxy:
    """Forwards every request under one module's prefix to the module's base URL."""

    def __init__(self, name: str, base_url: str, session: requests.Session, signer=None):
        self.name = name
        self.base_url = base_url.rstrip("/")
        self.session = session
        self.signer = signer

    def __call__(self, rest: str = "") -> Response:
        config = current_app.config
        url = self.base_url + upstream_path()
        headers = upstream_headers(request.headers)
        body = request_body()
        if self.signer is not None:
            # SigV4 covers the payload hash, so the body is read whole: API bodies are small JSON
            # (MAX_CONTENT_LENGTH bounds them; video bytes go straight to storage).
            body = request.get_data() if body is not None else b""
            self.signer.sign(request.method, url, headers, body)
        started = time.perf_counter()
        try:
            upstream = self.session.request(
                request.method, url, headers=headers, data=body, stream=True, allow_redirects=False,
                timeout=(config["PROXY_CONNECT_TIMEOUT"], config["PROXY_READ_TIMEOUT"]))
        except requests.exceptions.Timeout as exc:
            log.warning("proxy %s: %s timed out: %s", self.name, url, type(exc).__name__)
            return gateway_error(504, "Gateway Timeout", f"The {self.name} module did not answer in time.")
        except requests.exceptions.RequestException as exc:
            log.warning("proxy %s: %s unreachable: %s", self.name, url, exc)
            return gateway_error(502, "Bad Gateway", f"The {self.name} module is unreachable.")
        log.debug("proxy %s: %s %s -> %s in %.1f ms", self.name, request.method, url, upstream.status_code,
                  (time.perf_counter() - started) * 1000)
        response = Response(self._relay(upstream, url), status=upstream.status_code,
                            headers=downstream_headers(upstream.raw.headers), direct_passthrough=True)
        response.call_on_close(upstream.close)
        return response

    def _relay(self, upstream: requests.Response, url: str) -> Iterator[bytes]:
        # Bytes pass as they came (still compressed if they were), so Content-Length and ETag stay true.
        try:
            yield from upstream.raw.stream(CHUNK, decode_content=False)
        except Exception as exc:  # the caller already has the status line: all we can do is log and cut
            log.warning("proxy %s: %s broke off mid-response: %s", self.name, url, exc)
            raise
        finally:
            upstream.close()


def remote_prefix(app: Flask, name: str) -> str:
    """Where a remote module's URLs start: the same prefix it has when mounted locally."""
    return (app.config.get("URL_PREFIXES") or {}).get(name, f"/api/{name}")


def install_proxies(app: Flask) -> dict[str, ModuleProxy]:
    """Route each REMOTE_MODULES prefix to its module's URL."""
    remotes = app.config.get("REMOTE_MODULES") or {}
    if not remotes:
        return {}
    session = make_session(len(remotes), int(app.config["PROXY_POOL_SIZE"]))
    signer = None
    if app.config.get("PROXY_SIGV4"):
        from videoforge.modules.gateway.signing import RequestSigner

        signer = RequestSigner(app.config["PROXY_SIGV4_SERVICE"], app.config.get("PROXY_SIGV4_REGION") or None)
    proxies = {}
    for name, base_url in remotes.items():
        proxy = proxies[name] = ModuleProxy(name, base_url, session, signer)
        prefix = remote_prefix(app, name).rstrip("/")
        endpoint = f"gateway_proxy_{name}"
        app.add_url_rule(prefix, endpoint, proxy, methods=METHODS, provide_automatic_options=False)
        app.add_url_rule(f"{prefix}/", endpoint, proxy, methods=METHODS, provide_automatic_options=False)
        app.add_url_rule(f"{prefix}/<path:rest>", endpoint, proxy, methods=METHODS,
                         provide_automatic_options=False)
    app.extensions["videoforge.gateway.proxies"] = proxies
    return proxies
