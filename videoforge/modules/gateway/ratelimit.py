"""Per-client token buckets: in process memory by default, shared through Redis when configured."""

from __future__ import annotations

import logging
import math
import threading
import time
from collections import OrderedDict

from flask import Flask, request

from videoforge.errors import error_response

log = logging.getLogger(__name__)

EXEMPT_PATHS = ("/healthz", "/readyz")


class MemoryBuckets:
    """Token buckets in this process (each gunicorn worker has its own: the limit is per worker)."""

    def __init__(self, per_minute: int, burst: int, max_clients: int = 100_000, clock=time.monotonic):
        self.rate = per_minute / 60.0
        self.burst = max(burst, 1)
        self.max_clients = max_clients
        self.clock = clock
        self._buckets: OrderedDict[str, tuple[float, float]] = OrderedDict()
        self._lock = threading.Lock()

    def take(self, client: str) -> float:
        """Spend one token: 0.0 when allowed, else seconds until the next token."""
        now = self.clock()
        with self._lock:
            tokens, stamp = self._buckets.pop(client, (float(self.burst), now))
            tokens = min(self.burst, tokens + (now - stamp) * self.rate)
            wait = 0.0
            if tokens >= 1:
                tokens -= 1
            else:
                wait = (1 - tokens) / self.rate
            self._buckets[client] = (tokens, now)  # most recently seen last
            if len(self._buckets) > self.max_clients:  # forget the longest-idle client (its bucket is full by now)
                self._buckets.popitem(last=False)
            return wait


# Atomic refill-and-take in Redis; the server's clock serves every gateway, so they agree on time.
_TAKE_SCRIPT = """
local rate = tonumber(ARGV[1])
local burst = tonumber(ARGV[2])
local t = redis.call('TIME')
local now = tonumber(t[1]) + tonumber(t[2]) / 1000000
local state = redis.call('HMGET', KEYS[1], 'tokens', 'stamp')
local tokens = tonumber(state[1]) or burst
local stamp = tonumber(state[2]) or now
tokens = math.min(burst, tokens + math.max(0, now - stamp) * rate)
local wait = 0
if tokens >= 1 then tokens = tokens - 1 else wait = (1 - tokens) / rate end
redis.call('HSET', KEYS[1], 'tokens', tostring(tokens), 'stamp', tostring(now))
redis.call('EXPIRE', KEYS[1], math.ceil(burst / rate) + 1)
return tostring(wait)
"""


class RedisBuckets:
    """Token buckets shared by every gateway process through one Redis server."""

    def __init__(self, url: str, per_minute: int, burst: int, prefix: str = "videoforge:ratelimit:"):
        import redis  # only when this backend is configured

        self.rate = per_minute / 60.0
        self.burst = max(burst, 1)
        self.prefix = prefix
        self.client = redis.Redis.from_url(url, socket_timeout=0.5, socket_connect_timeout=0.5)
        self._take = self.client.register_script(_TAKE_SCRIPT)

    def take(self, client: str) -> float:
        """Spend one token: 0.0 when allowed, else seconds until the next token."""
        return float(self._take(keys=[self.prefix + client], args=[self.rate, self.burst]))


def make_buckets(config):
    """The configured backend, or None when limiting is off."""
    per_minute, burst = int(config["RATE_LIMIT_PER_MINUTE"]), int(config["RATE_LIMIT_BURST"])
    if per_minute <= 0:
        return None
    backend = config["RATE_LIMIT_BACKEND"]
    if backend == "memory":
        return MemoryBuckets(per_minute, burst)
    if backend == "redis":
        return RedisBuckets(config["RATE_LIMIT_REDIS_URL"], per_minute, burst)
    from videoforge.config import ConfigError

    raise ConfigError(f"VIDEOFORGE_RATE_LIMIT_BACKEND: {backend!r} is not one of memory, redis")


def install_rate_limit(app: Flask) -> None:
    """Answer 429 with Retry-After once a client address has spent its tokens on /api/ requests."""
    buckets = make_buckets(app.config)
    if buckets is None:
        return
    app.extensions["videoforge.gateway.ratelimit"] = buckets

    @app.before_request
    def _limit():
        if not request.path.startswith("/api/") or request.method == "OPTIONS":
            return None
        client = request.remote_addr or "unknown"
        try:
            wait = buckets.take(client)
        except Exception as exc:  # noqa: BLE001 - a shared store being down must not take the API down: let traffic by
            log.warning("rate limit store unavailable, not limiting: %s", exc)
            return None
        if wait <= 0:
            return None
        retry_after = max(1, math.ceil(wait))
        return error_response(429, f"Too many requests from {client}; retry in {retry_after} s.",
                              headers={"Retry-After": str(retry_after)})
