"""Reverse proxy for modules served elsewhere: same URL prefix, streamed both ways, pooled connections."""

from __future__ import annotations

import logging
import time
from collections.abc import Iterator
from urllib.parse import quote

import urllib3
from flask import Flask, Response, current_app, g, request
from urllib3.exceptions import HTTPError, MaxRetryError, NewConnectionError
from urllib3.exceptions import TimeoutError as UpstreamTimeout
from urllib3.util import Retry, Timeout

from videoforge.errors import error_response

log = logging.getLogger(__name__)

METHODS = ["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"]
CHUNK = 64 * 1024
# RFC 9110 §7.6.1: meaningful for one connection only, never forwarded.
HOP_BY_HOP = frozenset({
    "connection", "keep-alive", "proxy-authenticate", "proxy-authorization", "proxy-connection",
    "te", "trailer", "trailers", "transfer-encoding", "upgrade",
})
# Set again by the proxy for the next hop (host, length, forwarded scheme and host), or answered here (Expect).
_NOT_FORWARDED_REQUEST = HOP_BY_HOP | {"host", "content-length", "expect", "x-forwarded-proto", "x-forwarded-host"}


def make_pool(remote_count: int, pool_size: int) -> urllib3.PoolManager:
    """Keep-alive connections to every remote module, shared by all threads (urllib3's pools are thread-safe).

    urllib3 itself rather than requests: a proxy needs none of requests' conveniences (cookie jar,
    environment proxies and .netrc, which could even rewrite Authorization), and skipping them takes
    about a millisecond off every proxied request.
    """
    # A failed connect sent nothing, so one more try is safe for any method. Read errors are never
    # retried: a slow module would only get the same request twice (urllib3 already skips pooled
    # connections the module has closed).
    retry = Retry(total=1, connect=1, read=False, status=0, redirect=False, other=0, raise_on_status=False)
    return urllib3.PoolManager(num_pools=max(remote_count, 1) * 2, maxsize=pool_size, block=False, retries=retry)


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
    # What the caller used, as far as we can tell: behind TRUSTED_PROXY_HOPS, ProxyFix has already taken these
    # from the trusted proxy's headers; otherwise a caller's own X-Forwarded-Proto/Host are not believed.
    headers["X-Forwarded-Proto"] = request.scheme
    headers["X-Forwarded-Host"] = request.host
    headers["X-Request-Id"] = g.request_id
    return headers


def downstream_headers(raw_headers) -> list[tuple[str, str]]:
    """The remote module's end-to-end headers for the caller (repeated ones such as Set-Cookie kept apart)."""
    # The gateway's own server writes Date and Server; the module's copies would repeat them.
    dropped = HOP_BY_HOP | {"date", "server"} | connection_tokens(raw_headers)
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


def read_chunks(stream) -> Iterator[bytes]:
    """The caller's body, read as the upstream connection sends it."""
    while chunk := stream.read(CHUNK):
        yield chunk


def request_body(headers: dict[str, str]) -> tuple[Iterator[bytes] | None, bool]:
    """The body to send upstream and whether to send it chunked (when the caller gave no length).

    A known length is forwarded as Content-Length: Lambda Function URLs and most servers prefer it.
    """
    length = request.content_length
    if length:
        headers["Content-Length"] = str(length)
        return read_chunks(request.stream), False
    if "chunked" in request.headers.get("Transfer-Encoding", "").lower():
        return read_chunks(request.stream), True
    return None, False


def failure(name: str, url: str, exc: Exception) -> Response:
    """502 when the module cannot be reached or broke the connection, 504 when it was too slow."""
    reason = exc.reason if isinstance(exc, MaxRetryError) and exc.reason is not None else exc
    if isinstance(reason, UpstreamTimeout) and not isinstance(reason, NewConnectionError):
        log.warning("proxy %s: %s timed out: %s", name, url, reason)
        return error_response(504, f"The {name} module did not answer in time.")
    log.warning("proxy %s: %s unreachable: %s", name, url, reason)
    return error_response(502, f"The {name} module is unreachable.")


class ModuleProxy:
    """Forwards every request under one module's prefix to the module's base URL."""

    def __init__(self, name: str, base_url: str, pool: urllib3.PoolManager, signer=None):
        self.name = name
        self.base_url = base_url.rstrip("/")
        self.pool = pool
        self.signer = signer

    def __call__(self, rest: str = "") -> Response:
        config = current_app.config
        url = self.base_url + upstream_path()
        headers = upstream_headers(request.headers)
        body: Iterator[bytes] | bytes | None
        body, chunked = request_body(headers)
        if self.signer is not None:
            # SigV4 covers the payload hash, so the body is read whole: API bodies are small JSON
            # (MAX_CONTENT_LENGTH bounds them; video bytes go straight to storage).
            payload, chunked = b"".join(body or ()), False
            body = payload or None
            if payload:
                headers["Content-Length"] = str(len(payload))
            self.signer.sign(request.method, url, headers, payload)
        started = time.perf_counter()
        try:
            # release_conn=False: the connection returns to the pool in _relay, after the body is read;
            # with True urllib3 returns it at once and another thread's request interleaves with this body.
            upstream = self.pool.urlopen(
                request.method, url, body=body, headers=headers, chunked=chunked, redirect=False,
                preload_content=False, decode_content=False, release_conn=False,
                timeout=Timeout(connect=config["PROXY_CONNECT_TIMEOUT"], read=config["PROXY_READ_TIMEOUT"]))
        except HTTPError as exc:
            return failure(self.name, url, exc)
        log.debug("proxy %s: %s %s -> %s in %.1f ms", self.name, request.method, url, upstream.status,
                  (time.perf_counter() - started) * 1000)
        response = Response(self._relay(upstream, url), status=upstream.status,
                            headers=downstream_headers(upstream.headers), direct_passthrough=True)
        return response

    def _relay(self, upstream, url: str) -> Iterator[bytes]:
        # Bytes pass as they came (still compressed if they were), so Content-Length and ETag stay true.
        finished = False
        try:
            yield from upstream.stream(CHUNK, decode_content=False)
            finished = True
        except Exception as exc:  # the caller already has the status line: all we can do is log and cut
            log.warning("proxy %s: %s broke off mid-response: %s", self.name, url, exc, exc_info=True)
            raise
        finally:
            if not finished:  # a half-read connection must not go back to the pool
                upstream.close()
            upstream.release_conn()


def remote_prefix(app: Flask, name: str) -> str:
    """Where a remote module's URLs start: the same prefix it has when mounted locally."""
    return (app.config.get("URL_PREFIXES") or {}).get(name, f"/api/{name}")


def install_proxies(app: Flask) -> dict[str, ModuleProxy]:
    """Route each REMOTE_MODULES prefix to its module's URL."""
    remotes = app.config.get("REMOTE_MODULES") or {}
    if not remotes:
        return {}
    pool = make_pool(len(remotes), int(app.config["PROXY_POOL_SIZE"]))
    signer = None
    if app.config.get("PROXY_SIGV4"):
        from videoforge.modules.gateway.signing import RequestSigner

        signer = RequestSigner(app.config["PROXY_SIGV4_SERVICE"], app.config.get("PROXY_SIGV4_REGION") or None)
    proxies = {}
    for name, base_url in remotes.items():
        proxy = proxies[name] = ModuleProxy(name, base_url, pool, signer)
        prefix = remote_prefix(app, name).rstrip("/")
        endpoint = f"gateway_proxy_{name}"
        app.add_url_rule(prefix, endpoint, proxy, methods=METHODS, provide_automatic_options=False)
        app.add_url_rule(f"{prefix}/", endpoint, proxy, methods=METHODS, provide_automatic_options=False)
        app.add_url_rule(f"{prefix}/<path:rest>", endpoint, proxy, methods=METHODS,
                         provide_automatic_options=False)
    app.extensions["videoforge.gateway.proxies"] = proxies
    return proxies
