"""Rate limits answer 429 with Retry-After per client; CORS lets the configured origins in, and no other."""

from __future__ import annotations

import os
import uuid

import pytest

from tests.need import need
from videoforge.config import ConfigError
from videoforge.modules.gateway.ratelimit import MemoryBuckets, RedisBuckets


class FakeClock:
    def __init__(self):
        self.now = 1000.0

    def __call__(self):
        return self.now


def test_token_bucket_allows_a_burst_then_the_rate():
    clock = FakeClock()
    buckets = MemoryBuckets(per_minute=60, burst=3, clock=clock)
    assert [buckets.take("a") for _ in range(3)] == [0.0, 0.0, 0.0]
    assert buckets.take("a") == pytest.approx(1.0)
    assert buckets.take("b") == 0.0  # each client has its own bucket
    clock.now += 1.0
    assert buckets.take("a") == 0.0
    clock.now += 100
    assert [buckets.take("a") for _ in range(4)][-1] > 0  # refills only up to the burst


def test_memory_buckets_forget_the_longest_idle_client():
    buckets = MemoryBuckets(per_minute=60, burst=1, max_clients=2, clock=FakeClock())
    for client in ("a", "b", "c"):
        buckets.take(client)
    assert list(buckets._buckets) == ["b", "c"]


def test_429_with_retry_after_once_the_burst_is_spent(make_gateway, upstream):
    client = make_gateway(upstream, RATE_LIMIT_PER_MINUTE=6, RATE_LIMIT_BURST=2).test_client()
    assert client.get("/api/gallery/echo").status_code == 200
    assert client.get("/api/gallery/echo").status_code == 200
    limited = client.get("/api/gallery/echo", headers={"X-Request-Id": "limited-1"})
    assert limited.status_code == 429
    assert limited.json["code"] == 429 and limited.json["status"] == "Too Many Requests"
    assert 1 <= int(limited.headers["Retry-After"]) <= 10
    assert limited.headers["X-Request-Id"] == "limited-1"
    # another client address still gets through; health checks are never limited
    other = client.get("/api/gallery/echo", environ_base={"REMOTE_ADDR": "198.51.100.7"})
    assert other.status_code == 200
    assert client.get("/healthz").status_code == 200


def test_forwarded_for_is_believed_only_behind_trusted_proxies(make_gateway, upstream):
    spoof = {"X-Forwarded-For": "203.0.113.1"}
    untrusted = make_gateway(upstream, RATE_LIMIT_PER_MINUTE=6, RATE_LIMIT_BURST=1).test_client()
    assert untrusted.get("/api/gallery/echo", headers=spoof).status_code == 200
    # a new spoofed address does not buy a new bucket
    assert untrusted.get("/api/gallery/echo", headers={"X-Forwarded-For": "203.0.113.2"}).status_code == 429

    trusted = make_gateway(upstream, RATE_LIMIT_PER_MINUTE=6, RATE_LIMIT_BURST=1, TRUSTED_PROXY_HOPS=1).test_client()
    assert trusted.get("/api/gallery/echo", headers=spoof).status_code == 200
    assert trusted.get("/api/gallery/echo", headers={"X-Forwarded-For": "203.0.113.2"}).status_code == 200
    assert trusted.get("/api/gallery/echo", headers=spoof).status_code == 429
    # behind a trusted proxy the upstream still sees the whole chain, ending with the proxy's address
    seen = trusted.get("/api/gallery/echo", headers={"X-Forwarded-For": "203.0.113.3", "X-Forwarded-Proto": "https",
                                                     "X-Forwarded-Host": "videos.example"}).json
    assert seen["headers"]["x-forwarded-for"] == "203.0.113.3, 127.0.0.1"
    assert seen["headers"]["x-forwarded-proto"] == "https"
    assert seen["headers"]["x-forwarded-host"] == "videos.example"
    # without trusted proxies a caller's own claims about scheme and host are not passed on
    spoofed = untrusted.get("/api/gallery/echo", headers={"X-Forwarded-Proto": "https",
                                                          "X-Forwarded-Host": "evil.example"},
                            environ_base={"REMOTE_ADDR": "192.0.2.50"}).json
    assert spoofed["headers"]["x-forwarded-proto"] == "http"
    assert spoofed["headers"]["x-forwarded-host"] == "localhost"


def test_unknown_backend_stops_start_up(make_gateway, upstream):
    with pytest.raises(ConfigError, match="RATE_LIMIT_BACKEND"):
        make_gateway(upstream, RATE_LIMIT_BACKEND="carrier-pigeon")


def _redis_url():
    """The test Redis (database 15): `make test` installs and starts redis-server; on CI it must answer."""
    import redis

    url = os.environ.get("VIDEOFORGE_TEST_REDIS", "redis://127.0.0.1:6379/15")
    try:
        redis.Redis.from_url(url, socket_connect_timeout=0.5).ping()
        reason = ""
    except redis.RedisError as exc:
        reason = f"Redis at {url} unreachable: {exc}"
    need(not reason, reason)
    return url


def test_redis_buckets_are_shared_between_gateways(make_gateway, upstream):
    url = _redis_url()
    prefix = f"videoforge:test:{uuid.uuid4().hex}:"
    first, second = RedisBuckets(url, 60, 2, prefix=prefix), RedisBuckets(url, 60, 2, prefix=prefix)
    assert first.take("c") == 0.0
    assert second.take("c") == 0.0
    wait = first.take("c")
    assert 0 < wait <= 1.0
    assert first.take("d") == 0.0


def test_redis_backend_through_the_app(make_gateway, upstream):
    url = _redis_url()
    import redis

    redis.Redis.from_url(url).delete("videoforge:ratelimit:127.0.0.1")
    apps = [make_gateway(upstream, RATE_LIMIT_BACKEND="redis", RATE_LIMIT_REDIS_URL=url,
                         RATE_LIMIT_PER_MINUTE=6, RATE_LIMIT_BURST=2).test_client() for _ in range(2)]
    assert [apps[0].get("/api/gallery/echo").status_code, apps[1].get("/api/gallery/echo").status_code] == [200, 200]
    assert apps[1].get("/api/gallery/echo").status_code == 429


def test_a_down_redis_lets_traffic_through(make_gateway, upstream):
    client = make_gateway(upstream, RATE_LIMIT_BACKEND="redis", RATE_LIMIT_REDIS_URL="redis://127.0.0.1:1/0",
                          RATE_LIMIT_BURST=1).test_client()
    assert [client.get("/api/gallery/echo").status_code for _ in range(2)] == [200, 200]


ORIGIN = "https://app.example"


def test_preflight_is_answered_for_allowed_origins(make_gateway, upstream):
    client = make_gateway(upstream, CORS_ORIGINS=[ORIGIN], RATE_LIMIT_BURST=1).test_client()
    headers = {"Origin": ORIGIN, "Access-Control-Request-Method": "PATCH",
               "Access-Control-Request-Headers": "authorization, content-type"}
    for _ in range(3):  # preflights do not spend rate-limit tokens
        response = client.options("/api/gallery/videos/5", headers=headers)
        assert response.status_code == 204
    assert response.headers["Access-Control-Allow-Origin"] == ORIGIN
    assert "PATCH" in response.headers["Access-Control-Allow-Methods"]
    assert response.headers["Access-Control-Allow-Headers"] == "authorization, content-type"
    assert "Origin" in response.headers["Vary"]


def test_actual_requests_carry_cors_headers_even_when_limited(make_gateway, upstream):
    client = make_gateway(upstream, CORS_ORIGINS=[ORIGIN], RATE_LIMIT_PER_MINUTE=6,
                          RATE_LIMIT_BURST=1).test_client()
    ok = client.get("/api/gallery/echo", headers={"Origin": ORIGIN})
    assert ok.headers["Access-Control-Allow-Origin"] == ORIGIN
    exposed = {h.strip() for h in ok.headers["Access-Control-Expose-Headers"].split(",")}
    assert {"X-Request-Id", "X-Pagination", "ETag"} <= exposed
    limited = client.get("/api/gallery/echo", headers={"Origin": ORIGIN})
    assert limited.status_code == 429
    assert limited.headers["Access-Control-Allow-Origin"] == ORIGIN  # so the browser app can read the 429


def test_other_origins_get_no_cors_headers(make_gateway, upstream):
    client = make_gateway(upstream, CORS_ORIGINS=[ORIGIN]).test_client()
    response = client.get("/api/gallery/echo", headers={"Origin": "https://evil.example"})
    assert "Access-Control-Allow-Origin" not in response.headers
    preflight = client.options("/api/gallery/echo", headers={
        "Origin": "https://evil.example", "Access-Control-Request-Method": "DELETE"})
    assert "Access-Control-Allow-Origin" not in preflight.headers
