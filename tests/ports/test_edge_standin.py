"""The CloudFront edge stand-in (tests/edge.py) judged by botocore's own CloudFrontSigner over a real weed bucket:
what AWS documents as granted is served, everything else is refused with a reason."""

from __future__ import annotations

import base64
import datetime as dt
import http.client
import json
import os
import urllib.parse
from concurrent.futures import ThreadPoolExecutor

import pytest
import requests
from botocore.signers import CloudFrontSigner
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding

from tests.edge import CloudFrontKey, EdgeServer, edges

VIDEO = "68a36c1b-ccb5-42ee-b396-cf0d8afb6348"  # fixed: test ids built from it must match on every xdist worker
OTHER = "f3a002ab-67ed-409a-bd36-b485f436561d"
PLAYER = "http://player.test:5173"
SEGMENT = f"processed/{VIDEO}/720p/seg_00001.m4s"
PLAYLIST = f"processed/{VIDEO}/720p/index.m3u8"


def later(seconds: int = 600) -> dt.datetime:
    return dt.datetime.now(dt.UTC) + dt.timedelta(seconds=seconds)


def cf_b64(data: bytes) -> str:
    """CloudFront's URL-safe base64, for the tests that forge a value botocore would never make."""
    return base64.b64encode(data).decode().translate(str.maketrans("+=/", "-_~"))


@pytest.fixture(scope="module")
def objects(weed_s3) -> dict[str, bytes]:
    """Two videos' renditions and one upload in the weed bucket."""
    client = weed_s3.client()
    bodies = {
        SEGMENT: os.urandom(96 * 1024),
        PLAYLIST: b"#EXTM3U\n#EXT-X-VERSION:7\n#EXTINF:4.0,\nseg_00001.m4s\n#EXT-X-ENDLIST\n",
        f"processed/{OTHER}/720p/index.m3u8": b"#EXTM3U\n# another video\n",
        f"uploads/{VIDEO}/source": b"the uploaded original",
    }
    for key, body in bodies.items():
        content_type = "application/vnd.apple.mpegurl" if key.endswith(".m3u8") else "video/iso.segment"
        client.put_object(Bucket=weed_s3.bucket, Key=key, Body=body, ContentType=content_type)
    return bodies


@pytest.fixture(scope="module")
def cloudfront_key() -> CloudFrontKey:
    """The key pair in the distribution's trusted key group."""
    return CloudFrontKey.generate()


@pytest.fixture
def make_edge(weed_s3, cloudfront_key):
    with edges(weed_s3, cloudfront_key) as factory:
        yield factory


@pytest.fixture
def edge(make_edge, objects) -> EdgeServer:
    """The distribution the app would sign for: renditions only, https as viewed, CORS for the player with cookies."""
    return make_edge(path_pattern="processed/*", scheme="https", cors_origins=(PLAYER,), cors_credentials=True)


@pytest.fixture
def signer(cloudfront_key) -> CloudFrontSigner:
    return CloudFrontSigner(cloudfront_key.key_pair_id, cloudfront_key.sign)


def video_policy(signer: CloudFrontSigner, edge: EdgeServer, video: str = VIDEO, **conditions) -> str:
    """botocore's custom policy for every object under one video's prefix."""
    return signer.build_policy(f"{edge.public_url}/processed/{video}/*", conditions.pop("date_less_than", later()),
                               **conditions)


def signed_query(signer: CloudFrontSigner, edge: EdgeServer, policy: str) -> str:
    """The Policy&Signature&Key-Pair-Id query string botocore appends for `policy` (the app reuses it per URI)."""
    return signer.generate_presigned_url(f"{edge.public_url}/", policy=policy).split("?", 1)[1]


def get(edge: EdgeServer, signed_url: str, **kwargs) -> requests.Response:
    """Fetch a URL signed for edge.public_url from the edge itself (the TLS terminator a real viewer would pass)."""
    assert signed_url.startswith(edge.public_url)
    return requests.get(edge.url + signed_url[len(edge.public_url):], timeout=10, **kwargs)


def raw_get(edge: EdgeServer, target: str) -> int:
    """GET a request target byte for byte (requests would resolve '..' before sending)."""
    connection = http.client.HTTPConnection("127.0.0.1", int(edge.host.rsplit(":", 1)[1]), timeout=10)
    try:
        connection.request("GET", target)
        return connection.getresponse().status
    finally:
        connection.close()


def last_reason(edge: EdgeServer) -> str:
    return edge.records[-1].reason


def test_canned_policy_url_serves_the_object_with_the_origins_content_type(edge, signer, objects):
    response = get(edge, signer.generate_presigned_url(f"{edge.public_url}/{SEGMENT}", date_less_than=later()))
    assert response.status_code == 200
    assert response.content == objects[SEGMENT]
    assert response.headers["Content-Type"] == "video/iso.segment"
    assert response.headers["X-Cache"] == "Miss from cloudfront"


def test_canned_policy_covers_the_viewers_own_query_string_and_nothing_else(edge, signer):
    signed = signer.generate_presigned_url(f"{edge.public_url}/{PLAYLIST}?lang=en", date_less_than=later())
    assert get(edge, signed).status_code == 200
    assert get(edge, signed.replace("lang=en", "lang=fr")).status_code == 403
    assert last_reason(edge) == "signature does not match"
    assert get(edge, signed.replace("lang=en&", "")).status_code == 403


def test_one_custom_policy_opens_every_object_under_its_video_prefix(edge, signer, objects):
    query = signed_query(signer, edge, video_policy(signer, edge))
    for key in (SEGMENT, PLAYLIST):
        response = get(edge, f"{edge.public_url}/{key}?{query}")
        assert response.status_code == 200, response.text
        assert response.content == objects[key]


def test_a_video_policy_opens_no_other_videos_prefix(edge, signer):
    query = signed_query(signer, edge, video_policy(signer, edge))
    assert get(edge, f"{edge.public_url}/processed/{OTHER}/720p/index.m3u8?{query}").status_code == 403
    assert last_reason(edge) == "resource does not match"


@pytest.mark.parametrize("escape", [
    f"/processed/{VIDEO}/../{OTHER}/720p/index.m3u8",
    f"/processed/{VIDEO}/%2e%2e/{OTHER}/720p/index.m3u8",
    f"/processed/{VIDEO}/%2E./../../uploads/{VIDEO}/source",
    f"/processed/{VIDEO}/..%2f..%2fuploads/{VIDEO}/source",
    f"/processed/{VIDEO}/./720p/index.m3u8",
])
def test_dot_segments_and_encoded_slashes_never_leave_the_signed_prefix(edge, signer, escape):
    query = signed_query(signer, edge, video_policy(signer, edge))
    assert raw_get(edge, f"{escape}?{query}") == 403
    assert last_reason(edge) == "invalid path"


def test_uploads_are_outside_the_distribution_even_for_a_policy_on_everything(edge, signer):
    everything = signed_query(signer, edge, signer.build_policy(f"{edge.public_url}/*", later()))
    assert get(edge, f"{edge.public_url}/{PLAYLIST}?{everything}").status_code == 200
    assert get(edge, f"{edge.public_url}/uploads/{VIDEO}/source?{everything}").status_code == 403
    assert last_reason(edge) == "path not allowed"
    video_only = signed_query(signer, edge, video_policy(signer, edge))
    assert get(edge, f"{edge.public_url}/uploads/{VIDEO}/source?{video_only}").status_code == 403


def test_expired_canned_and_custom_policies_are_refused(edge, signer):
    past = later(-5)
    assert get(edge, signer.generate_presigned_url(f"{edge.public_url}/{PLAYLIST}", date_less_than=past)
               ).status_code == 403
    assert last_reason(edge) == "expired"
    query = signed_query(signer, edge, video_policy(signer, edge, date_less_than=past))
    assert get(edge, f"{edge.public_url}/{PLAYLIST}?{query}").status_code == 403
    assert last_reason(edge) == "expired"


def test_a_widened_policy_without_a_new_signature_is_refused(edge, signer):
    query = dict(urllib.parse.parse_qsl(signed_query(signer, edge, video_policy(signer, edge))))
    widened = json.loads(signer.build_policy(f"{edge.public_url}/*", later()))
    query["Policy"] = cf_b64(json.dumps(widened, separators=(",", ":")).encode())
    target = f"{edge.public_url}/processed/{OTHER}/720p/index.m3u8?" + "&".join(f"{k}={v}" for k, v in query.items())
    assert get(edge, target).status_code == 403
    assert last_reason(edge) == "signature does not match"


def test_a_tampered_signature_is_refused(edge, signer):
    query = signed_query(signer, edge, video_policy(signer, edge))
    head, _, signature = query.partition("&Signature=")
    signature, _, tail = signature.partition("&")
    flipped = signature[:20] + ("B" if signature[20] != "B" else "C") + signature[21:]
    assert get(edge, f"{edge.public_url}/{PLAYLIST}?{head}&Signature={flipped}&{tail}").status_code == 403
    assert last_reason(edge) == "signature does not match"
    standard = signature[:20] + "+" + signature[21:]  # standard base64, not CloudFront's variant
    assert get(edge, f"{edge.public_url}/{PLAYLIST}?{head}&Signature={standard}&{tail}").status_code == 403
    assert last_reason(edge) == "malformed signature"


def test_a_key_pair_id_swapped_for_another_trusted_key_or_an_unknown_one_is_refused(make_edge, objects,
                                                                                    signer, cloudfront_key):
    second = CloudFrontKey.generate()
    edge = make_edge(path_pattern="processed/*", scheme="https", trusted_keys={
        cloudfront_key.key_pair_id: cloudfront_key.public_pem, second.key_pair_id: second.public_pem})
    query = signed_query(signer, edge, video_policy(signer, edge))
    assert get(edge, f"{edge.public_url}/{PLAYLIST}?{query}").status_code == 200
    swapped = query.replace(cloudfront_key.key_pair_id, second.key_pair_id)
    assert get(edge, f"{edge.public_url}/{PLAYLIST}?{swapped}").status_code == 403
    assert last_reason(edge) == "signature does not match"
    unknown = query.replace(cloudfront_key.key_pair_id, "K0NOTINTHEGROUP")
    response = get(edge, f"{edge.public_url}/{PLAYLIST}?{unknown}")
    assert response.status_code == 403
    assert "<Code>InvalidKey</Code>" in response.text
    assert last_reason(edge) == "unknown key"


def test_a_policy_not_yet_valid_is_refused(edge, signer):
    query = signed_query(signer, edge, video_policy(signer, edge, date_greater_than=later(300)))
    assert get(edge, f"{edge.public_url}/{PLAYLIST}?{query}").status_code == 403
    assert last_reason(edge) == "not yet valid"
    began = signed_query(signer, edge, video_policy(signer, edge, date_greater_than=later(-300)))
    assert get(edge, f"{edge.public_url}/{PLAYLIST}?{began}").status_code == 200


def test_the_source_ip_condition_is_checked_against_the_viewers_address(edge, signer):
    elsewhere = signed_query(signer, edge, video_policy(signer, edge, ip_address="192.0.2.0/24"))
    assert get(edge, f"{edge.public_url}/{PLAYLIST}?{elsewhere}").status_code == 403
    assert last_reason(edge) == "ip address not allowed"
    here = signed_query(signer, edge, video_policy(signer, edge, ip_address="127.0.0.1"))
    assert get(edge, f"{edge.public_url}/{PLAYLIST}?{here}").status_code == 200


def test_signed_cookies_with_a_custom_policy_open_the_prefix(edge, signer, objects):
    values = dict(urllib.parse.parse_qsl(signed_query(signer, edge, video_policy(signer, edge))))
    cookies = {f"CloudFront-{name}": value for name, value in values.items()}
    response = get(edge, f"{edge.public_url}/{SEGMENT}", cookies=cookies, headers={"Origin": PLAYER})
    assert response.status_code == 200
    assert response.content == objects[SEGMENT]
    assert response.headers["Access-Control-Allow-Origin"] == PLAYER
    assert response.headers["Access-Control-Allow-Credentials"] == "true"
    assert get(edge, f"{edge.public_url}/processed/{OTHER}/720p/index.m3u8", cookies=cookies).status_code == 403


def test_signed_cookies_with_a_canned_policy_open_the_one_url(edge, signer):
    signed = signer.generate_presigned_url(f"{edge.public_url}/{PLAYLIST}", date_less_than=later())
    values = dict(urllib.parse.parse_qsl(signed.split("?", 1)[1]))
    cookies = {f"CloudFront-{name}": value for name, value in values.items()}
    assert set(cookies) == {"CloudFront-Expires", "CloudFront-Signature", "CloudFront-Key-Pair-Id"}
    assert get(edge, f"{edge.public_url}/{PLAYLIST}", cookies=cookies).status_code == 200
    assert get(edge, f"{edge.public_url}/{SEGMENT}", cookies=cookies).status_code == 403


def test_a_signed_url_takes_precedence_over_cookies_and_no_signature_is_a_missing_key(edge, signer):
    values = dict(urllib.parse.parse_qsl(signed_query(signer, edge, video_policy(signer, edge))))
    cookies = {f"CloudFront-{name}": value for name, value in values.items()}
    expired = signer.generate_presigned_url(f"{edge.public_url}/{PLAYLIST}", date_less_than=later(-5))
    assert get(edge, expired, cookies=cookies).status_code == 403
    response = get(edge, f"{edge.public_url}/{PLAYLIST}")
    assert response.status_code == 403
    assert "<Code>MissingKey</Code>" in response.text


def test_ranges_are_answered_with_206_from_the_cached_object(edge, signer, objects):
    url = f"{edge.public_url}/{SEGMENT}?{signed_query(signer, edge, video_policy(signer, edge))}"
    size = len(objects[SEGMENT])
    response = get(edge, url, headers={"Range": "bytes=100-1099"})
    assert response.status_code == 206
    assert response.headers["Content-Range"] == f"bytes 100-1099/{size}"
    assert response.content == objects[SEGMENT][100:1100]
    suffix = get(edge, url, headers={"Range": "bytes=-10"})
    assert (suffix.status_code, suffix.content) == (206, objects[SEGMENT][-10:])
    beyond = get(edge, url, headers={"Range": f"bytes={size}-"})
    assert (beyond.status_code, beyond.headers["Content-Range"]) == (416, f"bytes */{size}")
    assert edge.origin_fetches == 1


def test_head_answers_the_length_without_a_body(edge, signer, objects):
    url = f"{edge.public_url}/{PLAYLIST}?{signed_query(signer, edge, video_policy(signer, edge))}"
    response = requests.head(edge.url + url[len(edge.public_url):], timeout=10)
    assert response.status_code == 200
    assert response.headers["Content-Length"] == str(len(objects[PLAYLIST]))
    assert response.content == b""


def test_a_missing_origin_object_is_404(edge, signer):
    query = signed_query(signer, edge, video_policy(signer, edge))
    assert get(edge, f"{edge.public_url}/processed/{VIDEO}/1080p/missing.m4s?{query}").status_code == 404


def test_a_second_viewer_with_another_signature_is_served_from_the_cache(edge, signer, objects):
    first = signed_query(signer, edge, video_policy(signer, edge, date_less_than=later(600)))
    second = signed_query(signer, edge, video_policy(signer, edge, date_less_than=later(900)))
    assert first != second
    assert get(edge, f"{edge.public_url}/{SEGMENT}?{first}").headers["X-Cache"] == "Miss from cloudfront"
    hit = get(edge, f"{edge.public_url}/{SEGMENT}?{second}")
    assert (hit.status_code, hit.headers["X-Cache"], hit.content) == (200, "Hit from cloudfront", objects[SEGMENT])
    assert (edge.origin_fetches, edge.cache_hits, edge.cache_keys) == (1, 1, {f"/{SEGMENT}"})


def test_viewers_racing_for_one_segment_cause_one_origin_fetch(edge, signer, objects):
    query = signed_query(signer, edge, video_policy(signer, edge))
    with ThreadPoolExecutor(8) as pool:
        bodies = list(pool.map(lambda _: get(edge, f"{edge.public_url}/{SEGMENT}?{query}").content, range(16)))
    assert bodies == [objects[SEGMENT]] * 16
    assert (edge.origin_fetches, edge.cache_hits) == (1, 15)


def test_a_cached_object_is_never_served_to_a_request_that_fails_verification(edge, signer):
    query = signed_query(signer, edge, video_policy(signer, edge))
    assert get(edge, f"{edge.public_url}/{SEGMENT}?{query}").status_code == 200
    expired = signed_query(signer, edge, video_policy(signer, edge, date_less_than=later(-5)))
    refused = get(edge, f"{edge.public_url}/{SEGMENT}?{expired}")
    assert refused.status_code == 403
    assert "X-Cache" not in refused.headers
    assert (edge.cache_hits, [r.status for r in edge.records]) == (0, [200, 403])
    assert [r.reason for r in edge.refusals()] == ["expired"]


def test_cors_preflight_is_answered_for_the_player_only(edge):
    preflight = {"Origin": PLAYER, "Access-Control-Request-Method": "GET", "Access-Control-Request-Headers": "range"}
    response = requests.options(f"{edge.url}/{SEGMENT}", headers=preflight, timeout=10)
    assert response.status_code == 200
    assert response.headers["Access-Control-Allow-Origin"] == PLAYER
    assert response.headers["Access-Control-Allow-Credentials"] == "true"
    assert response.headers["Access-Control-Allow-Headers"] == "range"
    stranger = {**preflight, "Origin": "http://evil.test"}
    refused = requests.options(f"{edge.url}/{SEGMENT}", headers=stranger, timeout=10)
    assert refused.status_code == 403
    assert "Access-Control-Allow-Origin" not in refused.headers


def test_sha256_signatures_are_accepted_when_the_url_says_so(edge, cloudfront_key):
    def sign_sha256(message: bytes) -> bytes:
        return cloudfront_key.private_key.sign(message, padding.PKCS1v15(), hashes.SHA256())

    sha256 = CloudFrontSigner(cloudfront_key.key_pair_id, sign_sha256)
    signed = sha256.generate_presigned_url(f"{edge.public_url}/{PLAYLIST}", date_less_than=later())
    assert get(edge, signed + "&Hash-Algorithm=SHA256").status_code == 200
    assert get(edge, signed).status_code == 403
