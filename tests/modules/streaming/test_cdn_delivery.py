"""CDN delivery end to end: a clip uploaded to S3 (weed), transcoded, and played through the CloudFront edge
stand-in (tests/edge.py, which verifies signatures as AWS documents them): one signature per video and viewer,
the same segment paths for every viewer (each fetched from the bucket once), and no grant reaching past its video."""

from __future__ import annotations

import re
from urllib.parse import urlsplit

import pytest
import requests

from tests.conftest import token_for
from tests.edge import CloudFrontKey, edges
from tests.media import make_clip
from videoforge.modules.processor.worker import Worker

pytestmark = pytest.mark.slow  # two uploads and transcodes over real HTTP

FAST = {"LADDER_HEIGHTS": [144, 180], "SEGMENT_SECONDS": 2, "WORKER_POLL_SECONDS": 0.2, "TESTING": True}
URI = re.compile(r'^(https?://\S+)$|URI="([^"]+)"', re.M)


@pytest.fixture
def cdn(weed_s3):
    key = CloudFrontKey.generate()
    with edges(weed_s3, key) as make_edge:
        yield key, make_edge(path_pattern="processed/*")


@pytest.fixture
def cdn_app(make_app, http_server, weed_s3, cdn):
    key, edge = cdn
    app = make_app(**FAST, **weed_s3.app_settings(), PUBLIC_URL=http_server.url, MEDIA_DELIVERY="cdn",
                   CDN_URL=edge.url, CDN_KEY_PAIR_ID=key.key_pair_id, CDN_PRIVATE_KEY=key.private_pem)
    http_server.serve(app)
    return app


def upload(app, tmp_path, name: str, visibility: str = "public") -> tuple[str, dict]:
    """A clip uploaded, confirmed and transcoded; its id and the owner's auth header."""
    clip = make_clip(tmp_path / f"{name}.mp4", width=320, height=180, seconds=4)
    auth = {"Authorization": f"Bearer {token_for(app)}"}
    base = app.config["PUBLIC_URL"]
    created = requests.post(f"{base}/api/gallery/uploads", headers=auth, timeout=30, json={
        "title": name, "filename": f"{name}.mp4", "size": clip.stat().st_size, "content_type": "video/mp4",
        "visibility": visibility}).json()
    assert requests.put(created["upload"]["url"], data=clip.read_bytes(), headers=created["upload"]["headers"],
                        timeout=30).status_code == 200
    video_id = created["video"]["id"]
    assert requests.post(f"{base}/api/gallery/videos/{video_id}/confirm", json={}, headers=auth,
                         timeout=30).status_code == 202
    assert Worker(app, burst=True).run() == ["done"]
    return video_id, auth


def media_urls(app, video_id: str, auth: dict | None = None) -> tuple[dict, list[str]]:
    """What one viewer's player fetches from the edge: poster, sprite, every init and media segment."""
    info = requests.get(f"{app.config['PUBLIC_URL']}/api/streaming/videos/{video_id}", headers=auth or {},
                        timeout=30).json()
    master = requests.get(info["master_url"], timeout=30)
    assert master.status_code == 200
    urls = [info["poster_url"]]
    for line in master.text.splitlines():
        if line and not line.startswith("#"):
            variant = requests.get(info["master_url"].rsplit("/", 1)[0] + "/" + line, timeout=30)
            assert variant.status_code == 200 and "#EXT-X-ENDLIST" in variant.text
            urls += [a or b for a, b in URI.findall(variant.text)]
    vtt = requests.get(info["thumbnails_url"], timeout=30).text
    urls.append(re.search(r"^(http\S+)#xywh=", vtt, re.M).group(1))
    return info, urls


def test_a_video_plays_through_the_edge_with_one_signature_and_one_origin_fetch_per_file(cdn_app, cdn, tmp_path):
    _, edge = cdn
    video_id, auth = upload(cdn_app, tmp_path, "public clip")
    _, first = media_urls(cdn_app, video_id)
    assert all(u.startswith(edge.url + f"/processed/{video_id}/") for u in first), first[:3]
    segments = [u for u in first if ".m4s" in u]
    assert len(segments) >= 4
    # One policy per video and viewer: every segment, init and sprite URL carries the same query.
    assert len({urlsplit(u).query for u in first[1:]}) == 1
    for url in first:
        fetched = requests.get(url, timeout=30)
        assert fetched.status_code == 200, (url, fetched.text)
    fetches = edge.origin_fetches
    assert fetches == len({urlsplit(u).path for u in first})

    # A second viewer (signed in as someone else, a minute later or not) asks for the same paths: all cache hits.
    stranger = {"Authorization": f"Bearer {token_for(cdn_app)}"}
    _, second = media_urls(cdn_app, video_id, stranger)
    assert sorted(urlsplit(u).path for u in second) == sorted(urlsplit(u).path for u in first)
    assert all(requests.get(u, timeout=30).status_code == 200 for u in second)
    assert edge.origin_fetches == fetches and len(edge.cache_keys) == fetches


def test_a_grant_for_one_video_opens_nothing_of_another(cdn_app, cdn, tmp_path):
    """The viewer of a public video takes its policy to another user's private video: every object refused."""
    _, edge = cdn
    mine, auth = upload(cdn_app, tmp_path, "mine", visibility="public")
    theirs, _ = upload(cdn_app, tmp_path, "theirs", visibility="private")
    _, urls = media_urls(cdn_app, mine, auth)
    segment = next(u for u in urls if ".m4s" in u)
    query = urlsplit(segment).query
    # Their objects' paths, from storage's own listing (a viewer would have to guess them).
    listed = cdn_app.extensions["videoforge.storage"].client.list_objects_v2(
        Bucket=cdn_app.config["S3_BUCKET"], Prefix=f"processed/{theirs}/")["Contents"]
    for obj in listed[:5]:
        refused = requests.get(f"{edge.url}/{obj['Key']}?{query}", timeout=30)
        assert refused.status_code == 403, obj["Key"]
    # Nor the original upload, nor a segment with the policy widened by hand.
    source = f"{edge.url}/uploads/x/{mine}/source?{query}"
    assert requests.get(source, timeout=30).status_code == 403
    tampered = segment.replace("Signature=", "Signature=A")
    assert requests.get(tampered, timeout=30).status_code == 403


def test_signed_cookies_grant_the_video_to_a_player_that_sends_them(make_app, http_server, weed_s3, cdn, tmp_path):
    key, edge = cdn
    host = urlsplit(edge.url).hostname
    app = make_app(**FAST, **weed_s3.app_settings(), PUBLIC_URL=http_server.url, MEDIA_DELIVERY="cdn",
                   CDN_URL=edge.url, CDN_KEY_PAIR_ID=key.key_pair_id, CDN_PRIVATE_KEY=key.private_pem,
                   CDN_SIGNED_COOKIES=True, CDN_COOKIE_DOMAIN=host)
    http_server.serve(app)
    video_id, auth = upload(app, tmp_path, "cookies")
    answer = requests.get(f"{http_server.url}/api/streaming/videos/{video_id}", timeout=30)
    info = answer.json()
    assert info["media_credentials"] is True
    cookies = {c.name: c.value for c in answer.cookies}
    assert set(cookies) == {"CloudFront-Policy", "CloudFront-Signature", "CloudFront-Key-Pair-Id"}
    assert all(c.path == f"/processed/{video_id}/" and c.has_nonstandard_attr("HttpOnly") for c in answer.cookies)
    poster = info["poster_url"]
    assert "?" not in poster  # the grant travels in the cookies, not the URL
    assert requests.get(poster, timeout=30).status_code == 403
    assert requests.get(poster, cookies=cookies, timeout=30).status_code == 200
    variant_answer = requests.get(info["master_url"].replace("master.m3u8", "144p/index.m3u8"), timeout=30)
    assert variant_answer.status_code == 200 and "Signature=" not in variant_answer.text
