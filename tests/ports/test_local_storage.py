"""What only the local store promises: exact-size PUTs, never a half object, safe keys, JSON refusals, CORS."""

from __future__ import annotations

from urllib.parse import urlsplit

import pytest
import requests

from videoforge import create_app
from videoforge.ports.storage import get_storage
from videoforge.ports.storage.local import InvalidKey, LocalStorage
from videoforge.ports.storage.signing import SignatureError, UrlSigner


@pytest.fixture(scope="module")
def instance_path(tmp_path_factory):
    """One instance folder for the module: its signing keys are made once (about a second each)."""
    return str(tmp_path_factory.mktemp("instance"))


@pytest.fixture
def app(tmp_path, http_server, instance_path):
    app = create_app(MODULES=["storage"], INSTANCE_PATH=instance_path, STORAGE_PATH=str(tmp_path / "objects"),
                     PUBLIC_URL=http_server.url, CORS_ORIGINS=["https://web.example"], TESTING=True,
                     LOG_LEVEL="WARNING", AUTO_MIGRATE=False)
    http_server.serve(app)
    return app


@pytest.fixture
def storage(app) -> LocalStorage:
    return get_storage(app)


def leftovers(storage: LocalStorage) -> list[str]:
    """Files in the store other than the multipart folder: temp files would show up here."""
    return sorted(p.relative_to(storage.root).as_posix() for p in storage.root.rglob("*")
                  if p.is_file() and ".multipart" not in p.parts)


def test_urls_are_absolute_under_public_url(storage, http_server):
    url = storage.presign_get("processed/v/master.m3u8", 60)
    assert url.startswith(http_server.url + "/api/storage/processed/v/master.m3u8?")


def test_a_put_larger_than_signed_is_refused_and_leaves_nothing(storage):
    signed = storage.presign_put("uploads/u/v/source", 10, "video/mp4", 60)
    response = requests.put(signed.url, data=b"x" * 11, timeout=10)
    assert response.status_code == 400
    assert response.json()["errors"]["size"]
    assert leftovers(storage) == []


def test_a_chunked_put_larger_than_signed_is_cut_off(storage):
    signed = storage.presign_put("uploads/u/v/source", 10, "video/mp4", 60)
    response = requests.put(signed.url, data=iter([b"x" * 6, b"x" * 6]), timeout=10)  # no Content-Length
    assert response.status_code in (400, 413)
    assert storage.size_of("uploads/u/v/source") is None
    assert leftovers(storage) == []


def test_a_short_put_is_refused_and_leaves_nothing(storage):
    signed = storage.presign_put("uploads/u/v/source", 10, "video/mp4", 60)
    response = requests.put(signed.url, data=iter([b"x" * 4]), timeout=10)
    assert response.status_code == 400
    assert storage.size_of("uploads/u/v/source") is None
    assert leftovers(storage) == []


def test_a_failed_put_keeps_the_earlier_object(storage):
    key = "uploads/u/v/source"
    assert requests.put(storage.presign_put(key, 3, "video/mp4", 60).url, data=b"old", timeout=10).ok
    assert requests.put(storage.presign_put(key, 3, "video/mp4", 60).url, data=b"toolong", timeout=10).status_code == 400
    assert storage.path_of(key).read_bytes() == b"old"


def test_a_get_url_cannot_put_and_a_put_url_cannot_get(storage):
    key = "uploads/u/v/source"
    put_url = storage.presign_put(key, 3, "video/mp4", 60).url
    assert requests.put(put_url, data=b"abc", timeout=10).ok
    assert requests.get(put_url, timeout=10).status_code == 403
    assert requests.put(storage.presign_get(key, 60), data=b"abc", timeout=10).status_code == 403


def test_changing_the_signed_size_breaks_the_signature(storage):
    url = storage.presign_put("uploads/u/v/source", 3, "video/mp4", 60).url
    response = requests.put(url.replace("size=3", "size=5"), data=b"abcde", timeout=10)
    assert response.status_code == 403
    body = response.json()
    assert body["code"] == 403 and "signature" in body["message"]


def test_refusals_are_json(storage):
    url = storage.presign_get("processed/v/poster.jpg", 60)
    response = requests.get(url.split("?")[0], timeout=10)
    assert response.status_code == 403
    assert response.headers["Content-Type"] == "application/json"
    assert response.json()["message"].startswith("Storage URL refused")


def test_an_unsatisfiable_range_gets_416(storage):
    key = "processed/v/360p/seg_00001.m4s"
    requests.put(storage.presign_put(key, 10, "video/iso.segment", 60).url, data=b"0123456789", timeout=10)
    url = storage.presign_get(key, 60)
    assert requests.get(url, headers={"Range": "bytes=20-30"}, timeout=10).status_code == 416
    opened = requests.get(url, headers={"Range": "bytes=7-"}, timeout=10)
    assert opened.status_code == 206 and opened.content == b"789"
    head = requests.head(url, timeout=10)
    assert head.status_code == 200 and head.headers["Content-Length"] == "10"
    assert head.headers["Accept-Ranges"] == "bytes"


def test_a_missing_object_is_404(storage):
    assert requests.get(storage.presign_get("processed/v/none.m4s", 60), timeout=10).status_code == 404


@pytest.mark.parametrize("key", ["../etc/passwd", "a/../../b", "/abs", "a//b", ".multipart/x", "a/.hidden",
                                 "a\\b", "a/b\n", "a/\x00b", ""])
def test_unsafe_keys_are_refused(tmp_path, key):
    storage = LocalStorage(tmp_path, "http://127.0.0.1:5000/api/storage", "secret")
    with pytest.raises(InvalidKey):
        storage.path_of(key)
    with pytest.raises(InvalidKey):
        storage.presign_get(key, 60)


def test_a_traversal_path_in_the_url_is_refused(storage, http_server):
    # Even a signature made for a traversal key (the app never signs one) does not open it.
    query = storage.signer.query("GET", "../secret_key", 60)
    response = requests.get(f"{http_server.url}/api/storage/%2E%2E/secret_key?{query}", timeout=10)
    assert response.status_code in (403, 404)


def test_cors_for_configured_origins_only(storage):
    key = "uploads/u/v/source"
    url = storage.presign_put(key, 3, "video/mp4", 60).url
    preflight = requests.options(url, headers={"Origin": "https://web.example", "Access-Control-Request-Method": "PUT"},
                                 timeout=10)
    assert preflight.headers["Access-Control-Allow-Origin"] == "https://web.example"
    assert "PUT" in preflight.headers["Access-Control-Allow-Methods"]
    put = requests.put(url, data=b"abc", headers={"Origin": "https://web.example"}, timeout=10)
    assert "ETag" in put.headers["Access-Control-Expose-Headers"]
    other = requests.put(url, data=b"abc", headers={"Origin": "https://evil.example"}, timeout=10)
    assert "Access-Control-Allow-Origin" not in other.headers


def test_the_blueprint_serves_nothing_when_storage_is_s3(instance_path):
    app = create_app(MODULES=["storage"], INSTANCE_PATH=instance_path, STORAGE_BACKEND="s3", S3_BUCKET="b",
                     S3_ENDPOINT_URL="http://127.0.0.1:9", S3_ACCESS_KEY_ID="k", S3_SECRET_ACCESS_KEY="s",
                     TESTING=True, LOG_LEVEL="WARNING", AUTO_MIGRATE=False)
    query = UrlSigner(app.config["SECRET_KEY"]).query("GET", "processed/v/master.m3u8", 60)
    response = app.test_client().get(f"/api/storage/processed/v/master.m3u8?{query}")
    assert response.status_code == 404


def test_signer_rejects_expired_and_foreign_signatures():
    signer = UrlSigner("secret")
    query = dict(pair.split("=") for pair in signer.query("GET", "k", 10, now=1000).split("&"))
    assert signer.verify("GET", "k", query, now=1005) == {}
    with pytest.raises(SignatureError, match="expired"):
        signer.verify("GET", "k", query, now=1011)
    with pytest.raises(SignatureError, match="signature"):
        UrlSigner("other").verify("GET", "k", query, now=1005)
    with pytest.raises(SignatureError, match="not signed"):
        signer.verify("GET", "k", {}, now=1005)
    assert urlsplit("http://x/?" + signer.query("PUT", "k", 10, size=5)).query.startswith("size=5&")
