"""What only the local store promises: exact-size PUTs, never a half object, safe keys, JSON refusals, CORS."""

from __future__ import annotations

import json
import time
from concurrent.futures import ThreadPoolExecutor
from urllib.parse import urlsplit

import pytest
import requests

from videoforge import create_app
from videoforge.ports.storage import get_storage, local_files
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


# --- upload URLs bound to what was planned ------------------------------------------------------


def test_a_part_url_refuses_a_body_larger_than_its_part_with_json_and_keeps_nothing(storage):
    key = "uploads/u/v/source"
    upload_id = storage.create_multipart(key, "video/mp4")
    url = storage.presign_part(key, upload_id, 1, 10, 60)
    assert "size=10&" in url  # the size is in the URL, and the signature binds it
    larger = requests.put(url, data=b"x" * 11, timeout=10)
    assert larger.status_code == 400
    assert larger.headers["Content-Type"] == "application/json"
    assert "exactly 10 bytes" in larger.json()["message"] and larger.json()["errors"]["size"]
    chunked = requests.put(url, data=iter([b"x" * 6, b"x" * 6]), timeout=10)  # no Content-Length: cut off at 11
    assert chunked.status_code in (400, 413)
    assert requests.put(url.replace("size=10&", "size=12&"), data=b"x" * 12, timeout=10).status_code == 403
    assert storage.list_parts(key, upload_id) == []
    assert sorted(p.name for p in (storage.root / ".multipart" / upload_id).iterdir()) == ["key"]


def test_a_part_url_without_a_signed_size_is_refused(storage):
    key = "uploads/u/v/source"
    upload_id = storage.create_multipart(key, "video/mp4")
    # As part URLs were signed before sizes were bound: they could take up to 5 GiB.
    legacy = f"{storage.base_url}/{key}?{storage.signer.query('PUT', key, 60, upload=upload_id, part=1)}"
    response = requests.put(legacy, data=b"x" * 100, timeout=10)
    assert response.status_code == 403 and "size" in response.json()["message"]
    assert storage.list_parts(key, upload_id) == []


def test_a_sealed_object_refuses_a_new_body_while_before_the_seal_a_resend_works(storage):
    key = "uploads/u/v/source"
    signed = storage.presign_put(key, 5, "video/mp4", 60)
    assert requests.put(signed.url, data=b"first", timeout=10).status_code == 200
    assert requests.put(signed.url, data=b"again", timeout=10).status_code == 200  # resume: not sealed yet
    held = storage.seal(key)
    assert held == storage.stat(key) and held.size == 5
    refused = requests.put(signed.url, data=b"swap!", timeout=10)
    assert refused.status_code == 409
    assert "confirmed" in refused.json()["message"]
    fresh = storage.presign_put(key, 5, "video/mp4", 60)  # a newly signed URL fares no better
    assert requests.put(fresh.url, data=b"swap!", timeout=10).status_code == 409
    assert storage.path_of(key).read_bytes() == b"again"
    assert leftovers(storage) == ["uploads/u/v/.source.etag", "uploads/u/v/.source.sealed", "uploads/u/v/source"]


def test_a_seal_during_an_upload_refuses_its_rename(storage, monkeypatch):
    key = "uploads/u/v/source"
    assert requests.put(storage.presign_put(key, 3, "video/mp4", 60).url, data=b"old", timeout=10).ok
    original = local_files.install

    def seal_first(tmp, target, etag):  # the confirm's seal lands after the bytes arrived, before the rename
        storage.seal(key)
        original(tmp, target, etag)

    monkeypatch.setattr(local_files, "install", seal_first)
    response = requests.put(storage.presign_put(key, 3, "video/mp4", 60).url, data=b"new", timeout=10)
    assert response.status_code == 409
    assert storage.path_of(key).read_bytes() == b"old"
    assert [name for name in leftovers(storage) if name.endswith(".tmp")] == []


@pytest.mark.parametrize("hidden", [".source.sealed", ".source.etag"])
def test_seal_and_etag_records_are_not_keys(storage, hidden):
    with pytest.raises(InvalidKey):
        storage.presign_put(f"uploads/u/v/{hidden}", 5, "video/mp4", 60)
    # Even a signature made for such a key (the app never signs one) does not write it.
    query = storage.signer.query("PUT", f"uploads/u/v/{hidden}", 60, size=2)
    assert requests.put(f"{storage.base_url}/uploads/u/v/{hidden}?{query}", data=b"{}", timeout=10).status_code == 403


def test_stat_reads_the_etag_record_and_rehashes_when_the_file_changed_behind_it(storage):
    key = "uploads/u/v/source"
    requests.put(storage.presign_put(key, 5, "video/mp4", 60).url, data=b"hello", timeout=10)
    record = storage.root / "uploads/u/v/.source.etag"
    written = json.loads(record.read_text())
    assert written["etag"] == '"5d41402abc4b2a76b9719d911017c592"' and written["size"] == 5
    record.write_text(json.dumps({**written, "etag": '"' + "0" * 32 + '"'}))
    assert storage.stat(key).etag == '"' + "0" * 32 + '"'  # the record is trusted while it names these bytes...
    storage.path_of(key).write_bytes(b"HELLO")  # ...and not once the file changed outside the store
    assert storage.stat(key).etag == '"eb61eead90e3b899c6bcbe27ac581660"'


def test_delete_prefix_takes_the_records_with_the_objects(storage):
    key = "uploads/u/v/source"
    requests.put(storage.presign_put(key, 5, "video/mp4", 60).url, data=b"hello", timeout=10)
    storage.seal(key)
    assert storage.delete_prefix("uploads/u/v/") == 1
    assert leftovers(storage) == [] and not (storage.root / "uploads/u/v").exists()


def test_a_deletion_waits_for_a_seal_in_its_folder_and_a_seal_after_it_finds_nothing(storage):
    """A confirm's seal racing the video's deletion: the delete takes the folder's lock, so the seal lands wholly
    before it (and goes with the folder) or finds the object gone; never a seal in a folder being removed."""
    key = "uploads/u/v/source"
    requests.put(storage.presign_put(key, 5, "video/mp4", 60).url, data=b"hello", timeout=10)
    folder = storage.path_of(key).parent
    with ThreadPoolExecutor(max_workers=1) as pool:
        with local_files.locked(folder):  # a seal in progress holds this
            deleting = pool.submit(storage.delete_prefix, "uploads/u/v/")
            time.sleep(0.3)
            assert not deleting.done() and storage.path_of(key).exists()
            (folder / ".source.sealed").touch()  # the seal's mark, written while it holds the lock
        assert deleting.result(timeout=10) == 1
    assert leftovers(storage) == [] and not folder.exists()
    assert storage.seal(key) is None  # the confirm that comes second: nothing to seal, nothing left behind
    assert not folder.exists()
