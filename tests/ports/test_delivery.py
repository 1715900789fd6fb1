"""The delivery port's grants: CloudFront policies byte for byte as botocore's CloudFrontSigner writes them, one
signature per video prefix, signed cookies, and the local store's prefix-scoped HMAC (what it opens, what not)."""

from __future__ import annotations

import datetime as dt
from urllib.parse import parse_qsl, urlsplit

import pytest
import requests
from botocore.signers import CloudFrontSigner
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec

from tests.edge import CloudFrontKey
from videoforge import create_app
from videoforge.config import ConfigError
from videoforge.ports.delivery import cloudfront, make_delivery
from videoforge.ports.delivery.cloudfront import CloudFrontDelivery, custom_policy, load_private_key
from videoforge.ports.storage import get_storage

CDN = "https://d111111abcdef8.cloudfront.net"
VIDEO = "0123456789abcdef0123456789abcdef"
PREFIX = f"processed/{VIDEO}/"
SEGMENTS = [f"{PREFIX}t1/720p/seg_{n:05d}.m4s" for n in range(1, 6)]


@pytest.fixture(scope="module")
def key() -> CloudFrontKey:
    return CloudFrontKey.generate()


@pytest.fixture
def delivery(key) -> CloudFrontDelivery:
    return CloudFrontDelivery(CDN, key.key_pair_id, load_private_key(key.private_pem))


def botocore_signer(key: CloudFrontKey) -> CloudFrontSigner:
    return CloudFrontSigner(key.key_pair_id, key.sign)


def at(epoch: int) -> dt.datetime:
    return dt.datetime.fromtimestamp(epoch, dt.UTC)


def test_grant_urls_equal_botocore_s_signed_urls_byte_for_byte(delivery, key):
    grant = delivery.grant(PREFIX, 3600)
    signer = botocore_signer(key)
    policy = signer.build_policy(f"{CDN}/{PREFIX}*", at(grant.expires))
    assert policy == custom_policy(f"{CDN}/{PREFIX}*", grant.expires)
    for segment in SEGMENTS:
        assert grant.url(segment) == signer.generate_presigned_url(f"{CDN}/{segment}", policy=policy)


def test_object_url_equals_botocore_s_canned_policy_url(delivery, key):
    url = delivery.object_url(f"{PREFIX}t1/poster.jpg", 600)
    expires = int(dict(parse_qsl(urlsplit(url).query))["Expires"])
    assert url == botocore_signer(key).generate_presigned_url(f"{CDN}/{PREFIX}t1/poster.jpg", date_less_than=at(expires))


def test_one_signature_per_grant_the_same_query_on_every_uri_and_paths_alike_for_every_viewer(delivery, monkeypatch):
    signs = []
    real_sign = delivery._key.sign
    monkeypatch.setattr(delivery, "_key", type("Spy", (), {"sign": lambda _, *a: signs.append(1) or real_sign(*a)})())
    first = [delivery.grant(PREFIX, 3600).url(s) for s in SEGMENTS]
    again = [delivery.grant(PREFIX, 3600).url(s) for s in SEGMENTS]  # within the same minute: the memo answers
    assert len(signs) == 1
    assert len({urlsplit(u).query for u in first}) == 1
    assert [urlsplit(u).path for u in first] == [f"/{s}" for s in SEGMENTS] == [urlsplit(u).path for u in again]
    other = delivery.grant(f"processed/{'f' * 32}/", 3600).url(f"processed/{'f' * 32}/t1/720p/seg_00001.m4s")
    assert urlsplit(other).query != urlsplit(first[0]).query and len(signs) == 2


def test_expiry_is_rounded_up_to_the_minute_and_never_short(delivery):
    now = int(dt.datetime.now(dt.UTC).timestamp())
    grant = delivery.grant(PREFIX, 1000)
    assert grant.expires % cloudfront.GRANULARITY == 0 and now + 1000 <= grant.expires < now + 1000 + 61


def test_signed_cookies_carry_the_same_policy_and_the_urls_none(key):
    url_mode = CloudFrontDelivery("https://media.example.com", key.key_pair_id, load_private_key(key.private_pem))
    cookie_mode = CloudFrontDelivery.from_config({
        "CDN_URL": "https://media.example.com", "CDN_KEY_PAIR_ID": key.key_pair_id, "CDN_PRIVATE_KEY": key.private_pem,
        "CDN_SIGNED_COOKIES": True, "CDN_COOKIE_DOMAIN": "example.com"})
    assert cookie_mode.credentials and not url_mode.credentials
    grant = cookie_mode.grant(PREFIX, 3600)
    assert grant.url(SEGMENTS[0]) == f"https://media.example.com/{SEGMENTS[0]}"
    cookies = {c.name: c for c in grant.cookies}
    query = dict(parse_qsl(urlsplit(url_mode.grant(PREFIX, 3600).url(SEGMENTS[0])).query))
    assert {name: c.value for name, c in cookies.items()} == {
        "CloudFront-Policy": query["Policy"], "CloudFront-Signature": query["Signature"],
        "CloudFront-Key-Pair-Id": key.key_pair_id}
    assert {(c.domain, c.path, c.secure) for c in grant.cookies} == {("example.com", f"/{PREFIX}", True)}
    assert all(0 < c.max_age <= 3600 + 60 for c in grant.cookies)


@pytest.mark.parametrize("domain", ["", "other.org", "ample.com"])
def test_signed_cookies_need_a_domain_the_cdn_host_is_in(key, domain):
    with pytest.raises(ConfigError, match="CDN_COOKIE_DOMAIN"):
        CloudFrontDelivery.from_config({
            "CDN_URL": "https://media.example.com", "CDN_KEY_PAIR_ID": key.key_pair_id,
            "CDN_PRIVATE_KEY": key.private_pem, "CDN_SIGNED_COOKIES": True, "CDN_COOKIE_DOMAIN": domain})


def test_a_bad_private_key_stops_start_up_without_showing_it(key):
    garbled = key.private_pem.replace("A", "B", 20)
    with pytest.raises(ConfigError) as caught:
        load_private_key(garbled)
    assert "CDN_PRIVATE_KEY" in str(caught.value) and "BEGIN" not in str(caught.value)
    ec_pem = ec.generate_private_key(ec.SECP256R1()).private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()).decode()
    with pytest.raises(ConfigError, match="RSA"):
        load_private_key(ec_pem)
    # An environment file's one-line PEM, with literal \n, is read.
    assert load_private_key(key.private_pem.replace("\n", "\\n")).key_size == 2048


@pytest.mark.parametrize("key_id", ["", "K1&Policy=x", "K 1"])
def test_a_key_pair_id_that_could_change_the_query_is_refused(key, key_id):
    with pytest.raises(ConfigError, match="CDN_KEY_PAIR_ID"):
        CloudFrontDelivery(CDN, key_id, load_private_key(key.private_pem))


def test_cdn_delivery_needs_its_three_settings(tmp_path):
    with pytest.raises(ConfigError, match="CDN_URL: required when MEDIA_DELIVERY is cdn"):
        create_app(MODULES=["storage"], INSTANCE_PATH=str(tmp_path), MEDIA_DELIVERY="cdn", TESTING=True,
                   AUTO_MIGRATE=False)


def test_the_client_policy_lets_players_fetch_from_the_cdn(key, tmp_path):
    app = create_app(MODULES=["storage"], INSTANCE_PATH=str(tmp_path), MEDIA_DELIVERY="cdn", CDN_URL=CDN + "/",
                     CDN_KEY_PAIR_ID=key.key_pair_id, CDN_PRIVATE_KEY=key.private_pem, TESTING=True,
                     AUTO_MIGRATE=False)
    from videoforge.headers import client_policy

    policy = client_policy(dict(app.config))
    for directive in ("media-src", "img-src", "connect-src"):
        assert CDN in policy[directive]


# --- the local store's prefix grant -----------------------------------------------------------------------------


@pytest.fixture
def local(tmp_path, http_server):
    app = create_app(MODULES=["storage"], INSTANCE_PATH=str(tmp_path / "instance"), TESTING=True,
                     STORAGE_PATH=str(tmp_path / "objects"), PUBLIC_URL=http_server.url, LOG_LEVEL="WARNING",
                     AUTO_MIGRATE=False)
    http_server.serve(app)
    storage = get_storage(app)
    blob = tmp_path / "blob"
    for n, key in enumerate([*SEGMENTS, f"processed/{VIDEO}x/t1/poster.jpg", f"processed/{'e' * 32}/t1/a.m4s",
                             f"uploads/u/{VIDEO}/source"]):
        blob.write_bytes(f"object {n}".encode())
        storage.upload_file(key, str(blob), "application/octet-stream")
    return storage


def test_local_grant_one_query_string_opens_every_object_under_the_prefix(local):
    grant = make_delivery({"MEDIA_DELIVERY": "storage"}, local).grant(PREFIX, 600)
    urls = [grant.url(s) for s in SEGMENTS]
    assert len({urlsplit(u).query for u in urls}) == 1
    assert [requests.get(u, timeout=10).content for u in urls] == [f"object {n}".encode() for n in range(5)]


@pytest.mark.parametrize("other", [
    f"processed/{VIDEO}x/t1/poster.jpg",   # a longer id that starts with this one's
    f"processed/{'e' * 32}/t1/a.m4s",      # another video
    f"uploads/u/{VIDEO}/source",           # the original upload
])
def test_local_grant_opens_nothing_outside_its_prefix(local, other):
    query = urlsplit(make_delivery({"MEDIA_DELIVERY": "storage"}, local).grant(PREFIX, 600).url(SEGMENTS[0])).query
    response = requests.get(f"{local.base_url}/{other}?{query}", timeout=10)
    assert response.status_code == 403 and "another prefix" in response.json()["message"]


@pytest.mark.parametrize("escape", [f"{PREFIX}../{'e' * 32}/t1/a.m4s", f"{PREFIX}%2e%2e/{'e' * 32}/t1/a.m4s",
                                    f"{PREFIX}t1/.hidden"])
def test_local_grant_cannot_climb_out_of_its_prefix(local, escape):
    query = urlsplit(make_delivery({"MEDIA_DELIVERY": "storage"}, local).grant(PREFIX, 600).url(SEGMENTS[0])).query
    # Sent as written (requests would resolve the dots itself).
    from urllib.error import HTTPError
    from urllib.request import Request, urlopen

    with pytest.raises(HTTPError) as refused:
        urlopen(Request(f"{local.base_url}/{escape}?{query}"), timeout=10)
    assert refused.value.code in (403, 404)


def test_local_grant_is_for_reading_only_and_cannot_be_altered(local):
    url = make_delivery({"MEDIA_DELIVERY": "storage"}, local).grant(PREFIX, 600).url(SEGMENTS[0])
    assert requests.put(url, data=b"overwrite", timeout=10).status_code == 403
    widened = url.replace("prefix=processed%2F" + VIDEO, "prefix=processed%2F")
    assert widened != url and requests.get(widened.replace(SEGMENTS[0], f"processed/{'e' * 32}/t1/a.m4s"),
                                           timeout=10).status_code == 403
    assert requests.get(url, timeout=10).content == b"object 0"


def test_a_single_object_url_is_not_a_prefix_grant(local):
    url = local.presign_get(SEGMENTS[0], 600)
    forged = url + "&prefix=" + PREFIX.replace("/", "%2F")
    assert requests.get(forged.replace(SEGMENTS[0], SEGMENTS[1]), timeout=10).status_code == 403
