"""The storage contract: one suite, run unchanged on the local folder (served over HTTP) and on S3 (weed mini)."""

from __future__ import annotations

import hashlib
import os
import time
import uuid
from urllib.parse import urlsplit, urlunsplit

import pytest
import requests

from videoforge import create_app
from videoforge.ports.storage import InvalidParts, NoSuchUpload, ObjectChanged, ObjectStat, get_storage, make_storage

MiB = 1024 * 1024


@pytest.fixture(params=["local", "s3"])
def storage(request, tmp_path, http_server):
    """A Storage adapter whose presigned URLs work over real HTTP."""
    if request.param == "local":
        app = create_app(MODULES=["storage"], INSTANCE_PATH=str(tmp_path / "instance"),
                         STORAGE_PATH=str(tmp_path / "objects"), PUBLIC_URL=http_server.url,
                         TESTING=True, LOG_LEVEL="WARNING", AUTO_MIGRATE=False)
        http_server.serve(app)
        return get_storage(app)
    weed = request.getfixturevalue("weed_s3")
    return make_storage(weed.app_settings())


@pytest.fixture
def prefix():
    """A fresh key prefix per test: the S3 bucket lives for the whole session."""
    return f"t/{uuid.uuid4().hex}/"


def put(storage, key: str, data: bytes, content_type: str = "video/mp4") -> requests.Response:
    signed = storage.presign_put(key, len(data), content_type, 60)
    assert signed.method == "PUT"
    return requests.put(signed.url, data=data, headers=signed.headers, timeout=30)


def with_path(url: str, path: str) -> str:
    parts = urlsplit(url)
    return urlunsplit(parts._replace(path=path))


def test_presigned_put_then_get_round_trips(storage, prefix):
    data = os.urandom(100_000)
    key = prefix + "uploads/u/v/source"
    response = put(storage, key, data)
    assert response.status_code == 200, response.text
    assert response.headers["ETag"] == f'"{hashlib.md5(data).hexdigest()}"'
    assert storage.size_of(key) == len(data)
    got = requests.get(storage.presign_get(key, 60), timeout=30)
    assert got.status_code == 200
    assert got.content == data


def test_a_download_url_answers_with_its_signed_attachment_header(storage, prefix):
    from videoforge.disposition import attachment

    data = os.urandom(1000)
    key = prefix + "uploads/u/v/source"
    assert put(storage, key, data).status_code == 200
    name = 'Café "crème"\r\n; filename=x.exe.mp4'
    url = storage.presign_get(key, 60, download_as=name)
    got = requests.get(url, timeout=30)
    assert got.status_code == 200 and got.content == data
    assert got.headers["Content-Disposition"] == attachment(name)
    plain = requests.get(storage.presign_get(key, 60), timeout=30).headers.get("Content-Disposition", "")
    assert "attachment" not in plain


def test_the_attachment_header_is_part_of_the_signature(storage, prefix):
    key = prefix + "uploads/u/v/source"
    assert put(storage, key, os.urandom(100)).status_code == 200
    url = storage.presign_get(key, 60, download_as="film.mp4")
    assert requests.get(url, timeout=30).status_code == 200
    # Another header (or none) makes the URL invalid: no one turns a download link into an inline page.
    parts = urlsplit(url)
    for changed in (parts.query.replace("attachment", "inline"),
                    "&".join(p for p in parts.query.split("&") if "disposition" not in p)):
        assert requests.get(urlunsplit(parts._replace(query=changed)), timeout=30).status_code == 403


def test_size_of_a_missing_object_is_none(storage, prefix):
    assert storage.size_of(prefix + "nothing/here") is None


def test_range_request_gets_206_with_content_range(storage, prefix):
    data = bytes(range(256)) * 40
    key = prefix + "processed/v/360p/seg_00001.m4s"
    assert put(storage, key, data).status_code == 200
    url = storage.presign_get(key, 60)
    part = requests.get(url, headers={"Range": "bytes=100-199"}, timeout=30)
    assert part.status_code == 206
    assert part.headers["Content-Range"] == f"bytes 100-199/{len(data)}"
    assert part.content == data[100:200]
    tail = requests.get(url, headers={"Range": "bytes=-10"}, timeout=30)
    assert tail.status_code == 206 and tail.content == data[-10:]


def test_a_url_signed_for_one_key_reads_no_other(storage, prefix):
    mine, theirs = prefix + "a/source", prefix + "b/source"
    assert put(storage, mine, b"mine").status_code == 200
    assert put(storage, theirs, b"secret").status_code == 200
    url = storage.presign_get(mine, 60)
    moved = with_path(url, urlsplit(url).path.replace("/a/source", "/b/source"))
    response = requests.get(moved, timeout=30)
    assert response.status_code == 403
    assert b"secret" not in response.content


def test_a_url_signed_for_one_key_writes_no_other(storage, prefix):
    signed = storage.presign_put(prefix + "a/source", 5, "video/mp4", 60)
    moved = with_path(signed.url, urlsplit(signed.url).path.replace("/a/source", "/b/source"))
    assert requests.put(moved, data=b"12345", headers=signed.headers, timeout=30).status_code == 403
    assert storage.size_of(prefix + "b/source") is None


def test_an_altered_signature_is_refused(storage, prefix):
    key = prefix + "x/poster.jpg"
    assert put(storage, key, b"jpeg", "image/jpeg").status_code == 200
    url = storage.presign_get(key, 60)
    flipped = url[:-1] + ("0" if url[-1] != "0" else "1")
    assert requests.get(flipped, timeout=30).status_code == 403


def test_an_expired_url_is_refused(storage, prefix):
    key = prefix + "x/poster.jpg"
    assert put(storage, key, b"jpeg", "image/jpeg").status_code == 200
    url = storage.presign_get(key, 1)
    time.sleep(2.1)
    assert requests.get(url, timeout=30).status_code == 403


@pytest.mark.parametrize("name, content_type", [
    ("master.m3u8", "application/vnd.apple.mpegurl"),
    ("360p/seg_00001.m4s", "video/iso.segment"),
    ("360p/init.mp4", "video/mp4"),
    ("legacy/seg_00001.ts", "video/mp2t"),
    ("poster.jpg", "image/jpeg"),
    ("thumbnails.vtt", "text/vtt"),
])
def test_uploaded_files_are_served_with_their_content_type(storage, prefix, tmp_path, name, content_type):
    source = tmp_path / "payload"
    source.write_bytes(b"payload bytes")
    key = prefix + "processed/v/" + name
    storage.upload_file(key, str(source), content_type)
    got = requests.get(storage.presign_get(key, 60), timeout=30)
    assert got.status_code == 200
    assert got.headers["Content-Type"].split(";")[0] == content_type
    assert got.content == b"payload bytes"


def test_upload_and_download_file(storage, prefix, tmp_path):
    source = tmp_path / "in.bin"
    source.write_bytes(os.urandom(300_000))
    key = prefix + "uploads/u/v/source"
    storage.upload_file(key, str(source), "video/mp4")
    assert storage.size_of(key) == 300_000
    target = tmp_path / "out.bin"
    storage.download_file(key, str(target))
    assert target.read_bytes() == source.read_bytes()
    with pytest.raises(FileNotFoundError):
        storage.download_file(prefix + "missing", str(tmp_path / "none"))


def test_read_bytes_gives_a_small_object_or_file_not_found(storage, prefix, tmp_path):
    playlist = tmp_path / "index.m3u8"
    playlist.write_text("#EXTM3U\n#EXT-X-ENDLIST\n")
    key = prefix + "processed/v/360p/index.m3u8"
    storage.upload_file(key, str(playlist), "application/vnd.apple.mpegurl")
    assert storage.read_bytes(key) == b"#EXTM3U\n#EXT-X-ENDLIST\n"
    with pytest.raises(FileNotFoundError):
        storage.read_bytes(prefix + "missing")


def test_delete_prefix_removes_everything_under_it_and_nothing_else(storage, prefix, tmp_path):
    source = tmp_path / "f"
    source.write_bytes(b"x")
    keep = prefix + "processed/abcd/master.m3u8"
    doomed = [prefix + "processed/abc/master.m3u8", prefix + "processed/abc/360p/index.m3u8",
              prefix + "processed/abc/360p/seg_00001.m4s"]
    for key in doomed + [keep]:
        storage.upload_file(key, str(source), "application/octet-stream")
    assert storage.delete_prefix(prefix + "processed/abc/") == 3
    assert all(storage.size_of(key) is None for key in doomed)
    assert storage.size_of(keep) == 1
    assert storage.delete_prefix(prefix + "processed/abc/") == 0


def test_multipart_upload_lists_parts_and_completes(storage, prefix):
    key = prefix + "uploads/u/v/source"
    first, second = os.urandom(5 * MiB), os.urandom(123_456)
    upload_id = storage.create_multipart(key, "video/mp4")
    assert storage.list_parts(key, upload_id) == []
    etags = {}
    for number, body in ((1, first), (2, second)):
        response = requests.put(storage.presign_part(key, upload_id, number, len(body), 60), data=body, timeout=60)
        assert response.status_code == 200, response.text
        etags[number] = response.headers["ETag"]
        assert etags[number] == f'"{hashlib.md5(body).hexdigest()}"'
    listed = storage.list_parts(key, upload_id)
    assert [(p.number, p.etag, p.size) for p in listed] == [(1, etags[1], len(first)), (2, etags[2], len(second))]
    assert storage.size_of(key) is None  # nothing visible until completed
    storage.complete_multipart(key, upload_id, [(1, etags[1]), (2, etags[2])])
    assert storage.size_of(key) == len(first) + len(second)
    got = requests.get(storage.presign_get(key, 60), headers={"Range": f"bytes={5 * MiB - 2}-{5 * MiB + 1}"}, timeout=30)
    assert got.status_code == 206 and got.content == first[-2:] + second[:2]
    with pytest.raises(NoSuchUpload):
        storage.list_parts(key, upload_id)


def test_a_reuploaded_part_replaces_the_first_try(storage, prefix):
    key = prefix + "uploads/u/v/source"
    upload_id = storage.create_multipart(key, "video/mp4")
    requests.put(storage.presign_part(key, upload_id, 1, 9, 60), data=b"first try", timeout=30)
    # SeaweedFS keeps both tries and tells them apart only by a LastModified of whole seconds.
    time.sleep(1.1)
    etag = requests.put(storage.presign_part(key, upload_id, 1, 10, 60), data=b"second try", timeout=30).headers["ETag"]
    assert [(p.number, p.etag, p.size) for p in storage.list_parts(key, upload_id)] == [(1, etag, 10)]
    storage.complete_multipart(key, upload_id, [(1, etag)])
    assert requests.get(storage.presign_get(key, 60), timeout=30).content == b"second try"


def test_completing_with_a_wrong_etag_fails_and_keeps_the_upload(storage, prefix):
    key = prefix + "uploads/u/v/source"
    upload_id = storage.create_multipart(key, "video/mp4")
    requests.put(storage.presign_part(key, upload_id, 1, 8, 60), data=b"part one", timeout=30)
    with pytest.raises(InvalidParts):
        storage.complete_multipart(key, upload_id, [(1, '"' + "0" * 32 + '"')])
    assert [p.number for p in storage.list_parts(key, upload_id)] == [1]  # still resumable


def test_a_part_url_writes_only_its_own_upload(storage, prefix):
    key = prefix + "uploads/u/v/source"
    upload_id = storage.create_multipart(key, "video/mp4")
    other_id = storage.create_multipart(key, "video/mp4")
    url = storage.presign_part(key, upload_id, 1, 6, 60)
    swapped = url.replace(upload_id, other_id)
    assert requests.put(swapped, data=b"sneaky", timeout=30).status_code == 403
    assert storage.list_parts(key, other_id) == []
    storage.abort_multipart(key, other_id)
    storage.abort_multipart(key, upload_id)


def test_abort_discards_the_parts_and_is_idempotent(storage, prefix):
    key = prefix + "uploads/u/v/source"
    upload_id = storage.create_multipart(key, "video/mp4")
    requests.put(storage.presign_part(key, upload_id, 1, 5, 60), data=b"bytes", timeout=30)
    storage.abort_multipart(key, upload_id)
    with pytest.raises(NoSuchUpload):
        storage.list_parts(key, upload_id)
    storage.abort_multipart(key, upload_id)
    assert storage.size_of(key) is None


# --- upload URLs are bound to what was planned; the confirmed object is recognisable ----------------


def md5_etag(data: bytes) -> str:
    return f'"{hashlib.md5(data).hexdigest()}"'


def test_a_part_url_takes_exactly_its_part_size(storage, prefix):
    key = prefix + "uploads/u/v/source"
    upload_id = storage.create_multipart(key, "video/mp4")
    url = storage.presign_part(key, upload_id, 1, 1000, 60)
    for wrong in (1001, 999, 5 * MiB):
        response = requests.put(url, data=b"x" * wrong, timeout=30)
        assert 400 <= response.status_code < 500, (wrong, response.status_code)
    assert storage.list_parts(key, upload_id) == []  # nothing of the refused bodies kept
    exact = requests.put(url, data=b"x" * 1000, timeout=30)
    assert exact.status_code == 200, exact.text
    assert [(p.number, p.size) for p in storage.list_parts(key, upload_id)] == [(1, 1000)]
    storage.abort_multipart(key, upload_id)


def test_a_put_url_takes_exactly_its_size(storage, prefix):
    key = prefix + "uploads/u/v/source"
    signed = storage.presign_put(key, 10, "video/mp4", 60)
    for wrong in (11, 9):
        response = requests.put(signed.url, data=b"y" * wrong, headers=signed.headers, timeout=30)
        assert 400 <= response.status_code < 500, (wrong, response.status_code)
    assert storage.size_of(key) is None
    assert requests.put(signed.url, data=b"y" * 10, headers=signed.headers, timeout=30).status_code == 200


def test_stat_gives_size_and_etag(storage, prefix, tmp_path):
    key = prefix + "uploads/u/v/source"
    assert storage.stat(key) is None
    data = os.urandom(10_000)
    put(storage, key, data)
    assert storage.stat(key) == ObjectStat(size=len(data), etag=md5_etag(data))
    output = tmp_path / "poster.jpg"
    output.write_bytes(b"jpeg bytes")
    storage.upload_file(prefix + "processed/v/poster.jpg", str(output), "image/jpeg")
    assert storage.stat(prefix + "processed/v/poster.jpg") == ObjectStat(size=10, etag=md5_etag(b"jpeg bytes"))


def test_stat_of_a_completed_multipart_object_changes_with_its_bytes(storage, prefix):
    key = prefix + "uploads/u/v/source"
    upload_id = storage.create_multipart(key, "video/mp4")
    first, second = os.urandom(5 * MiB), b"tail"
    etags = [requests.put(storage.presign_part(key, upload_id, n, len(body), 60), data=body, timeout=60)
             .headers["ETag"] for n, body in ((1, first), (2, second))]
    storage.complete_multipart(key, upload_id, [(1, etags[0]), (2, etags[1])])
    held = storage.stat(key)
    assert held.size == len(first) + len(second) and held.etag.startswith('"') and len(held.etag) > 2
    assert storage.seal(key) == held  # sealing reports the object as it stands (and changes nothing on it)
    assert storage.stat(key) == held  # and stays the same while the bytes do


def test_seal_of_a_missing_object_is_none(storage, prefix):
    assert storage.seal(prefix + "uploads/u/v/source") is None


@pytest.mark.parametrize("size", [100_000, 9 * MiB])  # within one 1 MiB chunk, and across many
def test_download_with_expect_gets_that_object_or_refuses(storage, prefix, tmp_path, size):
    key = prefix + "uploads/u/v/source"
    data = os.urandom(size)
    assert put(storage, key, data).status_code == 200
    confirmed = storage.stat(key)
    target = tmp_path / "copy"
    storage.download_file(key, str(target), expect=confirmed)
    assert target.read_bytes() == data
    with pytest.raises(ObjectChanged):  # same size, other bytes: only the ETag tells
        storage.download_file(key, str(tmp_path / "other"), expect=ObjectStat(size, md5_etag(b"something else")))
    swapped = tmp_path / "swapped"
    swapped.write_bytes(os.urandom(size))
    storage.upload_file(key, str(swapped), "video/mp4")
    with pytest.raises(ObjectChanged):
        storage.download_file(key, str(tmp_path / "after-swap"), expect=confirmed)
    with pytest.raises(FileNotFoundError):
        storage.download_file(prefix + "missing", str(tmp_path / "none"), expect=confirmed)
