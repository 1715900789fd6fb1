"""QueryPresigner: byte-identical to botocore's presigned URLs, and accepted (or refused) by a real S3 server."""

from __future__ import annotations

import datetime as dt
import sys
import threading
import time
import uuid

import boto3
import botocore.auth
import pytest
import requests
from botocore.config import Config
from botocore.credentials import Credentials, RefreshableCredentials

from videoforge.ports.storage.sigv4 import MAX_EXPIRES, QueryPresigner, signing_key

FROZEN = dt.datetime(2025, 3, 4, 5, 6, 7)

KEYS = [
    "seg_00001.m4s",
    "processed/0f8fad5b-d9cb-469f-a165-70867728950e/720p/index.m3u8",
    "uploads/7/42/source",
    "a b/c d.mp4",
    "plus+sign/a+b.ts",
    "tilde~/~file~.m4s",
    "deep/nested/path/with/many/levels/x.m4s",
    "trailing/slash/",
    "/leading/slash",
    "double//slash",
    "dots/./and/../segments",
    "vidéo/été.mp4",
    "日本語/動画 1.mp4",
    "emoji 🎬.mp4",
    "reserved ?#&=;:@$!'()*,[]%.bin",
    "percent%2Fencoded%20already",
    "UPPER/Mixed-Case_under.score",
]

# (endpoint_url, addressing_style, region): path-style loopback with port, AWS virtual-hosted in another
# region, a custom virtual-hosted endpoint with a port (and URL case botocore keeps), and default ports.
ENDPOINTS = [
    ("http://127.0.0.1:8333", "path", "us-east-1"),
    ("https://s3.eu-west-1.amazonaws.com", "virtual", "eu-west-1"),
    ("https://minio.example.com:9000", "virtual", "us-east-1"),
    ("https://minio.example.com:9000", "path", "ap-southeast-2"),
    ("HTTPS://S3.Example.COM:443/", "virtual", "us-east-1"),
    ("http://localhost:80", "path", "eu-central-1"),
]

TOKENS = [None, "FwoGZXIvYXdzEJr//////////wEaDK+token/with+plus=="]

OPERATIONS = [
    # (botocore client method, its extra Params, our method, our query params in botocore's order)
    ("get_object", {}, "GET", None),
    ("put_object", {}, "PUT", None),
    ("upload_part", {"UploadId": "2~abc/def+ghi=", "PartNumber": 7}, "PUT",
     {"uploadId": "2~abc/def+ghi=", "partNumber": 7}),
    ("upload_part", {"PartNumber": 10000, "UploadId": "u"}, "PUT", {"partNumber": 10000, "uploadId": "u"}),
    ("get_object", {"ResponseContentDisposition": 'attachment; filename="my video.mp4"', "VersionId": "v 1"},
     "GET", {"response-content-disposition": 'attachment; filename="my video.mp4"', "versionId": "v 1"}),
    ("head_object", {}, "HEAD", None),
    ("delete_object", {}, "DELETE", None),
]


@pytest.fixture
def frozen_botocore(monkeypatch):
    """Freeze the clock botocore's SigV4 signers read (botocore.auth.get_current_datetime)."""

    def at(moment: dt.datetime) -> None:
        monkeypatch.setattr(botocore.auth, "get_current_datetime", lambda remove_tzinfo=True: moment)

    at(FROZEN)
    return at


def boto_client(endpoint_url, style, region, token=None, access_key="AKIDEXAMPLE",
                secret_key="wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY", checksum="when_supported"):
    return boto3.client(
        "s3", endpoint_url=endpoint_url, region_name=region,
        aws_access_key_id=access_key, aws_secret_access_key=secret_key, aws_session_token=token,
        config=Config(signature_version="s3v4", s3={"addressing_style": style},
                      request_checksum_calculation=checksum),
    )


@pytest.mark.parametrize("token", TOKENS, ids=["no-token", "session-token"])
@pytest.mark.parametrize("endpoint_url,style,region", ENDPOINTS)
def test_urls_equal_botocore_byte_for_byte(frozen_botocore, endpoint_url, style, region, token):
    client = boto_client(endpoint_url, style, region, token)
    presigner = QueryPresigner("AKIDEXAMPLE", "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY", token,
                               region=region, endpoint_url=endpoint_url, addressing_style=style)
    checked, mismatches = 0, []
    for key in KEYS:
        for client_method, extra, method, params in OPERATIONS:
            for expires in (1, 900, MAX_EXPIRES):
                want = client.generate_presigned_url(
                    client_method, Params={"Bucket": "video-bucket", "Key": key, **extra}, ExpiresIn=expires)
                got = presigner.presign(method, "video-bucket", key, expires, params=params, now=FROZEN)
                checked += 1
                if got != want:
                    mismatches.append((client_method, key, expires, want, got))
    assert checked == len(KEYS) * len(OPERATIONS) * 3
    assert mismatches == []


@pytest.mark.parametrize("checksum", ["when_supported", "when_required"])
def test_checksum_setting_adds_nothing_to_presigned_uploads(frozen_botocore, checksum):
    """botocore >= 1.36 computes request checksums by default, but skips them for presigned requests."""
    client = boto_client("http://127.0.0.1:8333", "path", "us-east-1", checksum=checksum)
    presigner = QueryPresigner("AKIDEXAMPLE", "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY",
                               region="us-east-1", endpoint_url="http://127.0.0.1:8333")
    put = client.generate_presigned_url("put_object", Params={"Bucket": "b-1", "Key": "k"}, ExpiresIn=60)
    part = client.generate_presigned_url(
        "upload_part", Params={"Bucket": "b-1", "Key": "k", "UploadId": "u", "PartNumber": 1}, ExpiresIn=60)
    assert "checksum" not in put.lower() and "checksum" not in part.lower()
    assert put == presigner.presign("PUT", "b-1", "k", 60, now=FROZEN)
    assert part == presigner.presign("PUT", "b-1", "k", 60, params={"uploadId": "u", "partNumber": 1}, now=FROZEN)


@pytest.mark.parametrize("moment", [
    dt.datetime(2024, 12, 31, 23, 59, 59),  # the derived key changes at midnight UTC...
    dt.datetime(2025, 1, 1, 0, 0, 0),  # ...and the cached one must not be reused
    dt.datetime(2024, 2, 29, 12, 0, 0),
])
def test_signing_day_rollover_matches_botocore(frozen_botocore, moment):
    client = boto_client("http://127.0.0.1:8333", "path", "us-east-1")
    presigner = QueryPresigner("AKIDEXAMPLE", "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY",
                               region="us-east-1", endpoint_url="http://127.0.0.1:8333")
    for when in (moment - dt.timedelta(seconds=1), moment, moment + dt.timedelta(seconds=1)):
        frozen_botocore(when)
        want = client.generate_presigned_url("get_object", Params={"Bucket": "bkt", "Key": "a"}, ExpiresIn=60)
        assert presigner.presign("GET", "bkt", "a", 60, now=when) == want


def test_now_accepts_aware_datetimes_and_epoch_seconds():
    presigner = QueryPresigner("AK", "SK", region="us-east-1", endpoint_url="http://127.0.0.1:9000")
    naive = presigner.presign("GET", "bkt", "k", 60, now=FROZEN)
    plus_two = dt.timezone(dt.timedelta(hours=2))
    aware = FROZEN.replace(tzinfo=dt.UTC).astimezone(plus_two)
    epoch = int(FROZEN.replace(tzinfo=dt.UTC).timestamp())
    assert presigner.presign("GET", "bkt", "k", 60, now=aware) == naive
    assert presigner.presign("GET", "bkt", "k", 60, now=epoch) == naive
    assert "X-Amz-Date=20250304T050607Z" in naive


def test_clock_is_used_when_now_is_omitted():
    presigner = QueryPresigner("AK", "SK", region="us-east-1", endpoint_url="http://127.0.0.1:9000")
    before = dt.datetime.now(dt.UTC).strftime("%Y%m%dT%H%M%SZ")
    url = presigner.presign("GET", "bkt", "k", 60)
    after = dt.datetime.now(dt.UTC).strftime("%Y%m%dT%H%M%SZ")
    stamp = url.split("X-Amz-Date=")[1][:16]
    assert before <= stamp <= after


def test_threads_sharing_a_presigner_each_get_their_own_instant():
    """Request threads share one presigner; its caches must never mix one thread's time into another's URL."""
    presigner = QueryPresigner("AK", "SK", region="us-east-1", endpoint_url="http://127.0.0.1:9000")
    reference = QueryPresigner("AK", "SK", region="us-east-1", endpoint_url="http://127.0.0.1:9000")
    moments = [FROZEN + dt.timedelta(days=d, seconds=s) for d in (0, 1) for s in (0, 1, 2)]
    expected = {m: reference.presign("GET", "bkt", "k", 60, now=m) for m in moments}
    wrong = []

    def work(offset):
        for i in range(3000):
            moment = moments[(i + offset) % len(moments)]
            if presigner.presign("GET", "bkt", "k", 60, now=moment) != expected[moment]:
                wrong.append(moment)

    threads = [threading.Thread(target=work, args=(n,)) for n in range(4)]
    previous = sys.getswitchinterval()
    sys.setswitchinterval(1e-6)  # switch threads as often as possible to provoke races
    try:
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    finally:
        sys.setswitchinterval(previous)
    assert wrong == []


def test_default_endpoint_is_the_regional_aws_one():
    presigner = QueryPresigner("AK", "SK", region="eu-west-1", addressing_style="virtual")
    assert presigner.presign("GET", "my-bucket", "k", 60, now=FROZEN).startswith(
        "https://my-bucket.s3.eu-west-1.amazonaws.com/k?")


def test_signing_key_is_the_documented_derivation():
    # AWS's published example: secret wJalr..., 20120215, us-east-1, iam.
    key = signing_key("wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY", "20120215", "us-east-1", "iam")
    assert key.hex() == "f4780e2d9f65fa895f9c67b32ce1baf0b0d8a43505a000a1a9e090d414db404d"


class TestCredentials:
    def test_tuple_and_botocore_credentials_sign_alike(self, frozen_botocore):
        token = "session/token+="
        by_args = QueryPresigner("AK", "SK", token, region="us-east-1", endpoint_url="http://127.0.0.1:9000")
        by_tuple = QueryPresigner(credentials=("AK", "SK", token), region="us-east-1",
                                  endpoint_url="http://127.0.0.1:9000")
        by_boto = QueryPresigner(credentials=Credentials("AK", "SK", token), region="us-east-1",
                                 endpoint_url="http://127.0.0.1:9000")
        urls = {p.presign("GET", "bkt", "k", 60, now=FROZEN) for p in (by_args, by_tuple, by_boto)}
        assert len(urls) == 1
        assert "X-Amz-Security-Token=session%2Ftoken%2B%3D" in urls.pop()

    def test_refreshable_credentials_are_reread_when_they_rotate(self, frozen_botocore):
        clock = [dt.datetime(2025, 3, 4, 5, 0, 0, tzinfo=dt.UTC)]
        issued = []

        def refresh():
            issued.append(len(issued) + 2)
            n = issued[-1]
            return {"access_key": f"AK{n}", "secret_key": f"SK{n}", "token": f"T{n}",
                    "expiry_time": (clock[0] + dt.timedelta(hours=1)).isoformat()}

        creds = RefreshableCredentials(
            "AK1", "SK1", "T1", clock[0] + dt.timedelta(hours=1), refresh, "test-role",
            time_fetcher=lambda: clock[0])
        presigner = QueryPresigner(credentials=creds, region="us-east-1", endpoint_url="http://127.0.0.1:9000")

        first = presigner.presign("GET", "bkt", "k", 60, now=FROZEN)
        assert "Credential=AK1%2F" in first and "Token=T1" in first
        clock[0] += dt.timedelta(minutes=50)  # inside botocore's refresh margin: the role rotates
        second = presigner.presign("GET", "bkt", "k", 60, now=FROZEN + dt.timedelta(seconds=1))
        assert issued == [2]
        assert "Credential=AK2%2F" in second and "Token=T2" in second
        client = boto_client("http://127.0.0.1:9000", "path", "us-east-1", token="T2",
                             access_key="AK2", secret_key="SK2")
        frozen_botocore(FROZEN + dt.timedelta(seconds=1))
        assert second == client.generate_presigned_url(
            "get_object", Params={"Bucket": "bkt", "Key": "k"}, ExpiresIn=60)

    def test_mutated_botocore_credentials_are_picked_up_in_the_next_second(self):
        creds = Credentials("AK1", "SK1")
        presigner = QueryPresigner(credentials=creds, region="us-east-1", endpoint_url="http://127.0.0.1:9000")
        assert "AK1%2F" in presigner.presign("GET", "bkt", "k", 60, now=FROZEN)
        creds.access_key, creds.secret_key = "AK2", "SK2"
        rotated = presigner.presign("GET", "bkt", "k", 60, now=FROZEN + dt.timedelta(seconds=1))
        assert "AK2%2F" in rotated and presigner.access_key == "AK2"
        assert rotated == QueryPresigner("AK2", "SK2", region="us-east-1", endpoint_url="http://127.0.0.1:9000"
                                         ).presign("GET", "bkt", "k", 60, now=FROZEN + dt.timedelta(seconds=1))

    @pytest.mark.parametrize("kwargs", [
        {},
        {"access_key": "AK"},
        {"credentials": ("AK",)},
        {"credentials": ("AK", "")},
        {"access_key": "AK", "secret_key": "SK", "credentials": ("AK", "SK")},
    ])
    def test_missing_or_conflicting_credentials_are_refused(self, kwargs):
        with pytest.raises(ValueError, match="credentials|secret"):
            QueryPresigner(region="us-east-1", endpoint_url="http://127.0.0.1:9000", **kwargs)


class TestBadInput:
    @pytest.fixture
    def presigner(self):
        return QueryPresigner("AK", "SK", region="us-east-1", endpoint_url="http://127.0.0.1:9000")

    @pytest.mark.parametrize("method", ["get", "PATCH", ""])
    def test_unknown_method(self, presigner, method):
        with pytest.raises(ValueError, match="method"):
            presigner.presign(method, "bkt", "k", 60)

    @pytest.mark.parametrize("expires", [0, -5, MAX_EXPIRES + 1, True, 60.5, "60"])
    def test_bad_expiry(self, presigner, expires):
        with pytest.raises(ValueError, match="expires_in"):
            presigner.presign("GET", "bkt", "k", expires)

    @pytest.mark.parametrize("key", ["", None, b"bytes"])
    def test_bad_key(self, presigner, key):
        with pytest.raises(ValueError, match="key"):
            presigner.presign("GET", "bkt", key, 60)

    def test_reserved_query_parameter(self, presigner):
        with pytest.raises(ValueError, match="X-Amz-Expires"):
            presigner.presign("GET", "bkt", "k", 60, params={"X-Amz-Expires": 5})

    def test_bad_now(self, presigner):
        with pytest.raises(TypeError, match="now"):
            presigner.presign("GET", "bkt", "k", 60, now="2025-01-01")

    @pytest.mark.parametrize("bucket", ["my.dotted.bucket", "ab", "UPPER", "-dash"])
    def test_bucket_that_cannot_be_virtual_hosted(self, bucket):
        presigner = QueryPresigner("AK", "SK", region="us-east-1", endpoint_url="https://s3.example.com",
                                   addressing_style="virtual")
        with pytest.raises(ValueError, match="addressing_style='path'"):
            presigner.presign("GET", bucket, "k", 60)

    @pytest.mark.parametrize("endpoint", ["http://127.0.0.1:9000", "http://[::1]:9000"])
    def test_virtual_hosting_on_an_ip_endpoint(self, endpoint):
        with pytest.raises(ValueError, match="DNS endpoint"):
            QueryPresigner("AK", "SK", region="us-east-1", endpoint_url=endpoint, addressing_style="virtual")

    @pytest.mark.parametrize("endpoint", ["ftp://h", "s3.example.com", "https://h/prefix", "https://u:p@h",
                                          "https://h:99999", "https://h?x=1"])
    def test_bad_endpoint(self, endpoint):
        with pytest.raises(ValueError, match="endpoint_url"):
            QueryPresigner("AK", "SK", region="us-east-1", endpoint_url=endpoint)

    def test_bad_style_and_region(self):
        with pytest.raises(ValueError, match="addressing_style"):
            QueryPresigner("AK", "SK", region="us-east-1", addressing_style="auto")
        with pytest.raises(ValueError, match="region"):
            QueryPresigner("AK", "SK", region="")


# --- against a real, signature-checking S3 server -------------------------------------------------


@pytest.fixture
def real_presigner(weed_s3):
    return QueryPresigner(weed_s3.access_key, weed_s3.secret_key, region=weed_s3.region,
                          endpoint_url=weed_s3.endpoint_url)


@pytest.mark.slow
@pytest.mark.parametrize("key", ["plain/seg_00001.m4s", "spaces and+plus/~tilde~/é 動画.mp4"])
def test_presigned_put_then_get_round_trip(weed_s3, real_presigner, key):
    key = f"{uuid.uuid4().hex}/{key}"
    body = uuid.uuid4().bytes * 1000
    put = requests.put(real_presigner.presign("PUT", weed_s3.bucket, key, 60), data=body, timeout=10)
    assert put.status_code == 200, put.text
    got = requests.get(real_presigner.presign("GET", weed_s3.bucket, key, 60), timeout=10)
    assert got.status_code == 200, got.text
    assert got.content == body
    # The server stored it under the key we meant, not an encoding of it.
    assert weed_s3.client().get_object(Bucket=weed_s3.bucket, Key=key)["Body"].read() == body


@pytest.mark.slow
def test_presigned_upload_part_completes_a_multipart_upload(weed_s3, real_presigner):
    client, key = weed_s3.client(), f"{uuid.uuid4().hex}/multi part.bin"
    upload_id = client.create_multipart_upload(Bucket=weed_s3.bucket, Key=key)["UploadId"]
    parts = [b"a" * (5 * 1024 * 1024), b"tail"]
    etags = []
    for number, data in enumerate(parts, start=1):
        url = real_presigner.presign("PUT", weed_s3.bucket, key, 60,
                                     params={"partNumber": number, "uploadId": upload_id})
        response = requests.put(url, data=data, timeout=30)
        assert response.status_code == 200, response.text
        etags.append(response.headers["ETag"])
    client.complete_multipart_upload(
        Bucket=weed_s3.bucket, Key=key, UploadId=upload_id,
        MultipartUpload={"Parts": [{"PartNumber": n, "ETag": e} for n, e in enumerate(etags, start=1)]})
    got = requests.get(real_presigner.presign("GET", weed_s3.bucket, key, 60), timeout=30)
    assert got.status_code == 200 and got.content == b"".join(parts)


@pytest.mark.slow
def test_altered_expired_or_wrongly_keyed_urls_are_refused(weed_s3, real_presigner):
    key = f"{uuid.uuid4().hex}/secret.m4s"
    assert requests.put(real_presigner.presign("PUT", weed_s3.bucket, key, 60), data=b"x", timeout=10).ok
    good = real_presigner.presign("GET", weed_s3.bucket, key, 60)
    assert requests.get(good, timeout=10).status_code == 200

    flipped = good[:-1] + ("0" if good[-1] != "0" else "1")
    other_key = good.replace("/secret.m4s?", "/secret.m4s.other?")
    longer = good.replace("X-Amz-Expires=60", "X-Amz-Expires=600")
    expired = real_presigner.presign("GET", weed_s3.bucket, key, 60, now=time.time() - 3600)
    wrong_secret = QueryPresigner(weed_s3.access_key, "not-the-secret", region=weed_s3.region,
                                  endpoint_url=weed_s3.endpoint_url).presign("GET", weed_s3.bucket, key, 60)
    for name, url in [("flipped signature", flipped), ("other key", other_key), ("longer expiry", longer),
                      ("expired", expired), ("wrong secret", wrong_secret)]:
        status = requests.get(url, timeout=10).status_code
        assert status == 403, f"{name}: got {status}"


# --- a signed Content-Length binds a PUT URL to one body size --------------------------------------


@pytest.mark.parametrize("token", TOKENS, ids=["no-token", "session-token"])
@pytest.mark.parametrize("endpoint_url,style,region", ENDPOINTS)
def test_signed_content_length_urls_equal_botocore_byte_for_byte(frozen_botocore, endpoint_url, style, region, token):
    client = boto_client(endpoint_url, style, region, token)
    presigner = QueryPresigner("AKIDEXAMPLE", "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY", token,
                               region=region, endpoint_url=endpoint_url, addressing_style=style)
    for key in KEYS:
        for size in (0, 1, 16 * 1024 * 1024, 5 * 1024**3):
            put = client.generate_presigned_url(
                "put_object", Params={"Bucket": "video-bucket", "Key": key, "ContentLength": size}, ExpiresIn=900)
            part = client.generate_presigned_url("upload_part", Params={
                "Bucket": "video-bucket", "Key": key, "UploadId": "2~abc/def+ghi=", "PartNumber": 7,
                "ContentLength": size}, ExpiresIn=900)
            assert "X-Amz-SignedHeaders=content-length%3Bhost" in put
            assert presigner.presign("PUT", "video-bucket", key, 900, now=FROZEN, content_length=size) == put
            assert presigner.presign("PUT", "video-bucket", key, 900, now=FROZEN, content_length=size,
                                     params={"uploadId": "2~abc/def+ghi=", "partNumber": 7}) == part
    # Signing the length leaves the host-only URLs of the same second untouched (separate cached contexts).
    plain = client.generate_presigned_url("put_object", Params={"Bucket": "video-bucket", "Key": "k"}, ExpiresIn=900)
    assert presigner.presign("PUT", "video-bucket", "k", 900, now=FROZEN) == plain


@pytest.mark.parametrize("length", [-1, 1.5, True, "10"])
def test_a_bad_content_length_is_refused(length):
    presigner = QueryPresigner("AK", "SK", region="us-east-1")
    with pytest.raises(ValueError, match="content_length"):
        presigner.presign("PUT", "b-1", "k", 60, content_length=length)


@pytest.mark.slow
def test_weed_refuses_a_body_of_any_other_size_than_the_signed_content_length(weed_s3, real_presigner):
    client, key = weed_s3.client(), f"{uuid.uuid4().hex}/source"
    upload_id = client.create_multipart_upload(Bucket=weed_s3.bucket, Key=key)["UploadId"]
    part = real_presigner.presign("PUT", weed_s3.bucket, key, 60, params={"partNumber": 1, "uploadId": upload_id},
                                  content_length=1000)
    single = real_presigner.presign("PUT", weed_s3.bucket, key, 60, content_length=1000)
    for url in (part, single):
        for wrong in (1001, 999, 5 * 1024 * 1024):
            response = requests.put(url, data=b"x" * wrong, timeout=30)
            assert response.status_code == 403 and b"SignatureDoesNotMatch" in response.content, (wrong, response.text)
        chunked = requests.put(url, data=iter([b"x" * 600, b"x" * 600]), timeout=30)  # no Content-Length at all
        assert chunked.status_code == 403
    assert client.list_parts(Bucket=weed_s3.bucket, Key=key, UploadId=upload_id).get("Parts", []) == []
    assert client.list_objects_v2(Bucket=weed_s3.bucket, Prefix=key).get("KeyCount") == 0
    assert requests.put(part, data=b"x" * 1000, timeout=30).status_code == 200
    assert requests.put(single, data=b"y" * 1000, timeout=30).status_code == 200
    assert [p["Size"] for p in client.list_parts(Bucket=weed_s3.bucket, Key=key, UploadId=upload_id)["Parts"]] == [1000]
    client.abort_multipart_upload(Bucket=weed_s3.bucket, Key=key, UploadId=upload_id)
