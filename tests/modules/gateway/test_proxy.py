"""The proxy forwards method, path, query, body, identity and request id; errors come back as JSON."""

from __future__ import annotations

import gzip
import hashlib
import socket

import requests

from tests.live_server import serving as serve


def test_forwards_method_path_query_and_body(gateway_url):
    body = b'{"title": "holiday"}'
    response = requests.patch(f"{gateway_url}/api/gallery/echo/a%20b/c?tag=x&tag=y&q=%2F", data=body,
                              headers={"Content-Type": "application/json", "Authorization": "Bearer abc.def"})
    assert response.status_code == 200
    seen = response.json()
    assert seen["method"] == "PATCH"
    assert seen["raw_uri"] == "/api/gallery/echo/a%20b/c?tag=x&tag=y&q=%2F"
    assert seen["tags"] == ["x", "y"]
    assert seen["body_sha256"] == hashlib.sha256(body).hexdigest()
    assert seen["headers"]["authorization"] == "Bearer abc.def"
    assert seen["headers"]["content-type"] == "application/json"
    assert seen["headers"]["content-length"] == str(len(body))
    assert seen["headers"]["host"] != gateway_url.split("//")[1]  # the upstream's own host
    assert seen["headers"]["x-forwarded-host"] == gateway_url.split("//")[1]


def test_chunked_body_is_streamed_upstream(gateway_url):
    parts = [b"a" * 70000, b"b" * 5, b"c" * 100000]

    def chunks():
        yield from parts

    response = requests.post(f"{gateway_url}/api/gallery/echo", data=chunks())
    seen = response.json()
    assert seen["chunked"] is True
    assert seen["body_length"] == sum(map(len, parts))
    assert seen["body_sha256"] == hashlib.sha256(b"".join(parts)).hexdigest()


def test_request_id_is_made_forwarded_and_echoed(gateway_url):
    made = requests.get(f"{gateway_url}/api/gallery/echo")
    rid = made.headers["X-Request-Id"]
    assert rid and made.json()["headers"]["x-request-id"] == rid

    given = requests.get(f"{gateway_url}/api/gallery/echo", headers={"X-Request-Id": "trace-42"})
    assert given.headers["X-Request-Id"] == "trace-42"
    assert given.json()["headers"]["x-request-id"] == "trace-42"

    unsafe = requests.get(f"{gateway_url}/api/gallery/echo", headers={"X-Request-Id": "bad id\twith spaces"})
    assert unsafe.headers["X-Request-Id"] != "bad id\twith spaces"
    assert unsafe.json()["headers"]["x-request-id"] == unsafe.headers["X-Request-Id"]


def test_client_address_is_appended_to_x_forwarded_for(gateway_url):
    seen = requests.get(f"{gateway_url}/api/gallery/echo", headers={"X-Forwarded-For": "203.0.113.9"}).json()
    assert seen["headers"]["x-forwarded-for"] == "203.0.113.9, 127.0.0.1"
    alone = requests.get(f"{gateway_url}/api/gallery/echo").json()
    assert alone["headers"]["x-forwarded-for"] == "127.0.0.1"
    assert alone["headers"]["x-forwarded-proto"] == "http"


def test_hop_by_hop_headers_are_dropped_both_ways(gateway_url):
    seen = requests.get(f"{gateway_url}/api/gallery/echo", headers={
        "Connection": "keep-alive, X-Hop-Secret", "X-Hop-Secret": "1", "TE": "trailers",
        "Proxy-Authorization": "Basic Zm9vOmJhcg==", "Upgrade": "websocket", "X-Kept": "yes"}).json()["headers"]
    for name in ("x-hop-secret", "te", "proxy-authorization", "upgrade"):
        assert name not in seen, name
    assert seen["x-kept"] == "yes"

    response = requests.get(f"{gateway_url}/api/gallery/hop")
    assert response.status_code == 200
    assert "X-Private-Hop" not in response.headers
    assert len(response.raw.headers.getlist("Date")) == 1  # the gateway's, not also the module's
    assert response.headers.get("Access-Control-Allow-Origin") != "https://evil.example"


def test_large_response_is_streamed_intact(gateway_url):
    size = 3 * 1024 * 1024 + 17
    response = requests.get(f"{gateway_url}/api/gallery/big", params={"size": size}, stream=True)
    assert response.headers["Content-Length"] == str(size)
    total = sum(len(chunk) for chunk in response.iter_content(65536))
    assert total == size


def test_compressed_bytes_pass_through_unchanged(gateway_url):
    response = requests.get(f"{gateway_url}/api/gallery/gzip", stream=True)
    assert response.headers["Content-Encoding"] == "gzip"
    raw = response.raw.read(decode_content=False)
    assert gzip.decompress(raw) == b'{"compressed": true}'


def test_every_set_cookie_is_relayed_and_none_is_kept_for_the_next_caller(gateway_url):
    first = requests.get(f"{gateway_url}/api/gallery/cookies")
    assert sorted(c.name for c in first.cookies) == ["first", "second"]
    assert len(first.raw.headers.getlist("Set-Cookie")) == 2
    # The pooled upstream session must not replay one caller's cookies for another.
    second = requests.get(f"{gateway_url}/api/gallery/echo").json()
    assert "cookie" not in second["headers"]


def test_redirects_go_back_to_the_caller(gateway_url):
    response = requests.get(f"{gateway_url}/api/gallery/moved", allow_redirects=False)
    assert response.status_code == 302
    assert response.headers["Location"].endswith("/api/gallery/echo")


def test_module_down_is_a_502_json_error(make_gateway):
    with socket.socket() as sock:  # a port nobody listens on
        sock.bind(("127.0.0.1", 0))
        dead = f"http://127.0.0.1:{sock.getsockname()[1]}"
    client = make_gateway(dead).test_client()
    response = client.get("/api/gallery/videos", headers={"X-Request-Id": "down-1"})
    assert response.status_code == 502
    assert response.json == {"code": 502, "status": "Bad Gateway", "message": "The gallery module is unreachable."}
    assert response.headers["X-Request-Id"] == "down-1"
    assert dead not in response.get_data(as_text=True)  # internal addresses stay internal


def test_module_too_slow_is_a_504_json_error(make_gateway, upstream):
    client = make_gateway(upstream, PROXY_READ_TIMEOUT=0.3).test_client()
    response = client.get("/api/gallery/slow?seconds=1.5")
    assert response.status_code == 504
    assert response.json["status"] == "Gateway Timeout"
    assert "gallery" in response.json["message"]


def test_local_routes_are_not_proxied(make_gateway, upstream):
    client = make_gateway(upstream).test_client()
    assert client.get("/healthz").json == {"status": "ok"}
    # streaming is neither local nor remote here: plain 404 from the gateway itself
    assert client.get("/api/streaming/videos/1").status_code == 404


def test_prefix_root_and_trailing_slash_are_proxied(make_gateway):
    from flask import Flask, request

    upstream = Flask("root")

    @upstream.route("/api/gallery", defaults={"rest": ""})
    @upstream.route("/api/gallery/", defaults={"rest": "/"})
    def root(rest):
        return {"path": request.path}

    with serve(upstream) as url:
        client = make_gateway(url).test_client()
        assert client.get("/api/gallery").json == {"path": "/api/gallery"}
        assert client.get("/api/gallery/").json == {"path": "/api/gallery/"}


SLOW_UPSTREAM = """
import json, time

def app(environ, start_response):
    number = int(environ["PATH_INFO"].rsplit("/", 1)[1])
    body = json.dumps({"number": number, "padding": "x" * 30000}).encode()
    start_response("200 OK", [("Content-Type", "application/json"), ("Content-Length", str(len(body)))])
    yield body[:1000]
    time.sleep(0.01)  # the rest later, so other requests arrive while this body is half-read
    yield body[1000:]
"""


def test_pooled_connections_under_concurrent_load(make_gateway, tmp_path):
    """Kept-alive upstream connections (gunicorn, like a real module) are shared by many threads; no
    response is ever cut or mixed up. Werkzeug's server closes every connection, so it cannot show this."""
    import subprocess
    import sys
    import time
    from concurrent.futures import ThreadPoolExecutor
    from pathlib import Path

    from tests.servers import free_ports

    (tmp_path / "slow_upstream.py").write_text(SLOW_UPSTREAM)
    (port,) = free_ports(1)
    gunicorn = Path(sys.executable).parent / "gunicorn"
    server = subprocess.Popen([str(gunicorn), "-k", "gthread", "--threads", "8", "--keep-alive", "75",
                               "-b", f"127.0.0.1:{port}", "--chdir", str(tmp_path), "--no-control-socket",
                               "slow_upstream:app"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                requests.get(f"{url}/api/gallery/item/1", timeout=1)
                break
            except requests.ConnectionError:
                assert time.monotonic() < deadline, "upstream gunicorn did not start"
                time.sleep(0.1)
        with serve(make_gateway(url, RATE_LIMIT_PER_MINUTE=0)) as gateway:

            def fetch(worker: int) -> list[str]:
                problems = []
                with requests.Session() as session:
                    for number in range(worker * 100, worker * 100 + 15):
                        response = session.get(f"{gateway}/api/gallery/item/{number}", timeout=10)
                        if response.status_code != 200 or response.json()["number"] != number:
                            problems.append(f"{number}: {response.status_code} {response.text[:80]}")
                return problems

            with ThreadPoolExecutor(8) as pool:
                problems = [p for batch in pool.map(fetch, range(8)) for p in batch]
    finally:
        server.terminate()
        server.wait(10)
    assert problems == []
