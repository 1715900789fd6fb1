"""Hostile input against every operation: oversized and deeply nested JSON, invalid UTF-8, huge headers, path
traversal in keys, ids and filenames, internal-address URLs -> a 4xx in the one error shape, never a 5xx."""

from __future__ import annotations

import re
import socket

import pytest
import requests

from tests.conftest import token_for
from tests.topologies.harness import Topology, base_env, gunicorn

NESTED_ARRAY = b"[" * 100_000 + b"]" * 100_000
NESTED_OBJECT = b'{"a":' * 50_000 + b"1" + b"}" * 50_000
BODIES = {
    "oversized": b'{"title": "' + b"a" * (2 * 1024 * 1024) + b'"}',
    "nested array": NESTED_ARRAY,
    "nested object": NESTED_OBJECT,
    "invalid utf-8": b'{"title": "\xff\xfe\xfa", "filename": "a.mp4", "size": 1, "content_type": "video/mp4"}',
    "lone surrogate": b'{"title": "\\ud800", "filename": "\\udfff.mp4", "size": 1, "content_type": "video/mp4"}',
    "not json": b"{{{",
    "wrong types": b'{"title": [], "filename": {}, "size": "1e999", "content_type": null, "parts": "x"}',
    "huge numbers": b'{"title": "t", "filename": "a.mp4", "size": 1e400, "content_type": "video/mp4", "parts": '
                    b'[{"number": 99999999999999999999999, "etag": "x"}]}',
}
INTERNAL_URLS = ["http://169.254.169.254/latest/meta-data/", "http://127.0.0.1:5432/", "http://[::1]/",
                 "file:///etc/passwd", "http://10.0.0.1/", "gopher://localhost:6379/_INFO"]


@pytest.fixture
def hostile(make_app):
    app = make_app(RATE_LIMIT_PER_MINUTE=0)
    client = app.test_client()
    owner = {"Authorization": f"Bearer {token_for(app)}"}
    admin = {"Authorization": f"Bearer {token_for(app, groups=['admin'])}"}
    created = client.post("/api/gallery/uploads", headers=owner, json={
        "title": "mine", "filename": "clip.mp4", "size": 1000, "content_type": "video/mp4"})
    assert created.status_code == 201, created.json
    return app, client, owner, admin, created.json["video"]["id"]


def operations(app, video_id: str) -> list[tuple[str, str]]:
    """Every documented (method, path) with its path parameters filled in with a real video id."""
    spec = app.test_client().get("/api/openapi.json").json
    found = []
    for path, item in spec["paths"].items():
        concrete = re.sub(r"\{video_id\}", video_id, path)
        concrete = re.sub(r"\{rung\}", "144p", concrete)
        concrete = re.sub(r"\{track\}", "en", concrete)  # a language to PUT, a track id to DELETE: both refused
        concrete = re.sub(r"\{caption_id\}", "0" * 32, concrete)
        concrete = re.sub(r"\{(endpoint_id|delivery_id|key_id)\}", "0" * 32, concrete)  # webhooks, API keys: none such
        assert "{" not in concrete, f"a path parameter this battery does not fill: {path}"
        for method in item:
            if method in ("get", "post", "put", "patch", "delete"):
                found.append((method.upper(), concrete))
    assert len(found) >= 25
    return found


def assert_refused(response, what: str) -> None:
    assert 400 <= response.status_code < 500, f"{what}: {response.status_code} {response.get_data()[:300]!r}"
    if response.is_json:
        assert response.json["code"] == response.status_code, what


def test_hostile_bodies_get_4xx_on_every_operation(hostile):
    app, client, owner, admin, video_id = hostile
    for method, path in operations(app, video_id):
        for who, headers in (("owner", owner), ("admin", admin)):
            for name, body in BODIES.items():
                response = client.open(path, method=method, data=body,
                                       headers={**headers, "Content-Type": "application/json"})
                if response.status_code < 400:
                    # Operations without a body ignore it (GET, DELETE, POSTs that take none): not an error.
                    assert response.status_code < 300, (method, path, who, name)
                    continue
                assert_refused(response, f"{method} {path} as {who} with {name}")


def test_oversized_json_is_413_and_nested_json_is_400(hostile):
    _app, client, owner, _admin, _video_id = hostile
    too_big = client.post("/api/gallery/uploads", data=BODIES["oversized"],
                          headers={**owner, "Content-Type": "application/json"})
    assert too_big.status_code == 413
    for body in (NESTED_ARRAY, NESTED_OBJECT):
        nested = client.post("/api/gallery/uploads", data=body, headers={**owner, "Content-Type": "application/json"})
        assert nested.status_code == 400 and "nested too deeply" in nested.json["message"]


def test_path_traversal_in_ids_keys_and_filenames_is_refused(hostile, tmp_path):
    app, client, owner, admin, video_id = hostile
    secret = tmp_path / "secret.txt"
    secret.write_text("do not serve")
    traversals = ["../../etc/passwd", "..%2F..%2Fetc%2Fpasswd", "%2e%2e/%2e%2e/etc/passwd", "....//....//etc/passwd",
                  "..\\..\\windows", "/etc/passwd", "%00", "a%00b", ".multipart/x", f"{video_id}/../../{video_id}"]
    for bad in traversals:
        for path in (f"/api/gallery/videos/{bad}", f"/api/streaming/videos/{bad}",
                     f"/api/streaming/videos/{video_id}/{bad}/index.m3u8", f"/api/gallery/uploads/{bad}",
                     f"/api/storage/{bad}?expires=9999999999&sig=" + "0" * 64,
                     f"/api/storage/uploads/{bad}?expires=9999999999&sig=" + "0" * 64):
            for headers in (owner, admin, {}):
                response = client.get(path, headers=headers)
                assert_refused(response, f"GET {path}")
                assert b"do not serve" not in response.data and b"root:" not in response.data
    for filename in ("../../evil.mp4", "..\\evil.mp4", "/etc/passwd.mp4", "a/b.mp4", "..", ".", "\x00.mp4",
                     "evil\u202egpj.mp4", "a" * 300 + ".mp4"):
        response = client.post("/api/gallery/uploads", headers=owner, json={
            "title": "t", "filename": filename, "size": 10, "content_type": "video/mp4"})
        assert response.status_code == 422, (filename, response.json)


def test_url_fields_with_internal_addresses_are_refused(hostile):
    """No request field takes a URL the server would fetch; a URL smuggled in any field is refused, not used."""
    app, client, owner, admin, video_id = hostile
    spec = client.get("/api/openapi.json").json
    for name, schema in spec["components"]["schemas"].items():
        for field, definition in (schema.get("properties") or {}).items():
            # Response schemas carry URLs the server signed; no request schema may take one from the caller, but
            # a webhook's: the server posts to it, only over https to public addresses (attempts below).
            if name.endswith(("RequestSchema", "Patch", "Args", "Confirm", "SignIn", "SignUp", "Refresh")) \
                    and not name.startswith("Webhook"):
                assert "url" not in field.lower() and definition.get("format") != "uri", (name, field)
    for url in INTERNAL_URLS:
        attempts = [
            ("POST", "/api/gallery/uploads", owner, {"title": "t", "filename": "a.mp4", "size": 10,
                                                    "content_type": "video/mp4", "source_url": url}),
            ("POST", "/api/gallery/uploads", owner, {"title": url, "filename": "a.mp4", "size": 10,
                                                    "content_type": url}),
            ("PATCH", f"/api/gallery/videos/{video_id}", owner, {"poster_url": url}),
            ("PATCH", f"/api/gallery/videos/{video_id}", owner, {"visibility": url}),
            ("POST", f"/api/gallery/videos/{video_id}/confirm", owner, {"parts": [{"number": 1, "etag": url}],
                                                                        "callback": url}),
            ("POST", "/api/auth/signup", {}, {"email": url, "password": "long enough password 1"}),
            ("POST", "/api/admin/dead-letters/redrive", admin, {"ids": [url], "webhook": url}),
            ("POST", "/api/webhooks", owner, {"url": url, "events": ["video.ready"]}),
        ]
        for method, path, headers, body in attempts:
            response = client.open(path, method=method, json=body, headers=headers)
            assert_refused(response, f"{method} {path} with {url}")


@pytest.fixture(scope="module")
def served_app(tmp_path_factory, signing_key_pem):
    """The all-in-one under gunicorn (a real HTTP server enforces header limits; the test client does not)."""
    folder = tmp_path_factory.mktemp("hostile")
    server = gunicorn("hostile", "videoforge:create_app()", {}, workers=1, threads=4)
    server.env = base_env(DATABASE_URL=f"sqlite:///{folder}/app.db", INSTANCE_PATH=str(folder / "instance"),
                          STORAGE_PATH=str(folder / "storage"), WORKER_IN_PROCESS="false", PUBLIC_URL=server.url,
                          AUTH_SIGNING_KEY=signing_key_pem, LOG_LEVEL="WARNING", RATE_LIMIT_PER_MINUTE="0")
    with Topology() as topology:
        topology.add(server).start()
        server.wait_ready()
        yield server
    server.log_path.unlink(missing_ok=True)


def raw_request(url: str, request: bytes) -> bytes:
    host, port = url.removeprefix("http://").split(":")
    with socket.create_connection((host, int(port)), timeout=10) as sock:
        sock.sendall(request)
        chunks = []
        try:
            while chunk := sock.recv(65536):
                chunks.append(chunk)
        except (ConnectionResetError, TimeoutError):
            pass
    return b"".join(chunks)


def test_huge_headers_and_raw_bytes_get_4xx_from_the_real_server(served_app):
    url = served_app.url
    for headers in ({"X-Big": "a" * 20_000}, {f"X-H{i}": "v" for i in range(200)},
                    {"Authorization": "Bearer " + "a" * 60_000}, {"Cookie": "c=" + "x" * 30_000}):
        response = requests.get(f"{url}/api/gallery/videos", headers=headers, timeout=10)
        assert 400 <= response.status_code < 500, (list(headers)[0], response.status_code)
    for raw in (b"GET /api/gallery/public\xff\xfe HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",
                b"GET /api/gallery/videos/%ff%fe HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",
                b"GET /api/gallery/public HTTP/1.1\r\nHost: x\r\nConnection: close\r\nX-Bad: \xff\xfe\r\n\r\n",
                b"GET /../../../etc/passwd HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",
                b"POST /api/gallery/uploads HTTP/1.1\r\nHost: x\r\nConnection: close\r\nContent-Type: application/json\r\n"
                b"Content-Length: 5\r\n\r\n\xff\xfe\xfd\xfc\xfb"):
        answer = raw_request(url, raw)
        status = int(answer.split(b" ", 2)[1]) if answer.startswith(b"HTTP/") else 0
        assert 200 <= status < 500 and b"root:" not in answer, (raw[:60], answer[:200])
    assert served_app.process.poll() is None
