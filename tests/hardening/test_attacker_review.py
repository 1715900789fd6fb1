"""An attacker's review of the newest surfaces, one test per attack: embed origins and the CSP header, hostile titles in
link previews and oEmbed, oEmbed's URL and sizes, password videos through every route, API key scopes over the whole
URL map, downloads and replaces, and the limits that must hold when requests race (SQLite and PostgreSQL).

Each test is either a hole found and closed here (its docstring says so, and which module now refuses it) or a guard
that keeps a defence that held. Bad input must get a 4xx in the one JSON error shape, never a 500 or a path.
"""

from __future__ import annotations

import http.client
import random
import re
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import quote, urlencode, urlsplit

import pytest
import requests
from sqlalchemy import func, select, text, update

from tests.conftest import POSTGRES_ONLY, token_for
from tests.identity.test_throttle_under_concurrency import at_once, post
from tests.live_server import serving
from tests.modules.streaming.test_access_rules import make_video, owner_headers, path_of, put_text
from tests.modules.web.conftest import BASE, head_of
from tests.modules.web.conftest import make_web_app as make_web_app  # a fixture, for this file's apps
from tests.rows import set_video
from videoforge.embedding import clean_origin
from videoforge.errors import Refusal
from videoforge.headers import parse_policy
from videoforge.models import ApiKey, Caption, CaptionCue, PendingErasure, SignInFailure, Video, WebhookEndpoint, utcnow
from videoforge.ports.storage import get_storage

pytestmark = pytest.mark.timeout(120)

SQLITE_ONLY = pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
"""For attacks where the database changes nothing (input rules, escaping): run once, not on both."""
PASSWORD = "correct horse 42"


@pytest.fixture
def web_app(make_web_app):
    return make_web_app(VIDEO_UNLOCK_MAX_FAILURES=3, VIDEO_UNLOCK_MAX_FAILURES_PER_ADDRESS=6)


@pytest.fixture
def client(web_app):
    return web_app.test_client()


@pytest.fixture
def auth_headers(web_app):
    """Bearer headers for a new user of this file's app (the shared fixture signs for another app's issuer)."""
    return lambda **kwargs: {"Authorization": f"Bearer {token_for(web_app, **kwargs)}"}


def assert_json_error(response, *codes: int) -> dict:
    """A 4xx in the one JSON shape, with no stack or server path in it."""
    assert response.status_code in codes, (response.status_code, response.get_data(as_text=True)[:300])
    body = response.get_json()
    assert body["code"] == response.status_code and body["message"], body
    text = response.get_data(as_text=True)
    assert "Traceback" not in text and "/work/" not in text and "site-packages" not in text, text[:300]
    return body


# --- 1. embed origins: nothing but an origin reaches the CSP header --------------------------------------------------

HOSTILE_ORIGINS = [
    "https://blog.example; script-src 'unsafe-inline'", "https://blog.example;", "https://blog.example,https://x.example",
    "https://blog.example\r\nSet-Cookie: a=b", "https://blog.example\nX: y", "https://blog\u2028.example",
    '"https://blog.example"', "'unsafe-inline'", "'self'", "'none'", "'nonce-abc'",
    "*", "https://*", "https://*.blog.example", "*.blog.example", "https://blog.example:*",
    "data:", "data:text/html,<script>alert(1)</script>", "javascript:alert(1)", "blob:https://blog.example",
    "filesystem:https://blog.example", "https:", "https://", "//blog.example", "blog.example",
    "https://blog.example/path", "https://blog.example/..", "https://blog.example?x=1", "https://blog.example#x",
    "https://user:pw@blog.example", "https://blog.example@evil.example", "http://blog.example", "ftp://blog.example",
    # Found here: an IPv6 zone passed as any bytes, and port 0 was dropped as if it were the default port.
    "https://[fe80::1%25eth0]", "http://[::1%25lo]", "https://[fe80::1%25\u20ac]", "http://[::1%25\x01]",
    "https://[fe80::1%25<>()]", "https://blog.example:0", "https://blog.example:65536", "https://blog.example:+443",
    "https://blog.example\x00", "https://blog.exa\x7fmple", "https://bad_host.example", "https://-blog.example",
    "https://blog..example", "https://" + "a" * 64 + ".example", "https://" + ".".join(["a" * 60] * 5), "x" * 301,
]
ACCEPTED_ORIGINS = {  # as typed -> as stored and sent
    "HTTPS://Blog.Example:443/": "https://blog.example",
    "https://b\u00fccher.example": "https://xn--bcher-kva.example",
    "https://\uff42\uff4c\uff4f\uff47.example": "https://blog.example",  # fullwidth letters: what browsers match
    "https://[2001:DB8::1]:8443": "https://[2001:db8::1]:8443",
    "http://localhost:5173": "http://localhost:5173",
    "http://127.0.0.1:8080": "http://127.0.0.1:8080",
}
STORED_ORIGIN = re.compile(r"https?://(?:[a-z0-9.-]+|\[[0-9a-f:.]+\])(?::[1-9][0-9]{0,4})?")


def owner_of(app, video_id: str) -> dict[str, str]:
    with app.extensions["videoforge.db"].session() as session:
        sub = session.get(Video, video_id).owner.sub
    return {"Authorization": f"Bearer {token_for(app, sub=sub)}"}


def public_video(app, **columns) -> str:
    """A ready public video with a 360p rung, a poster and thumbnails (streaming's test helper), owned by OWNER_SUB."""
    video_id = make_video(app, **columns)
    put_text(app, f"processed/{video_id}/360p/init.mp4", "init")
    put_text(app, f"processed/{video_id}/360p/seg_00000.m4s", "segment zero")
    put_text(app, f"processed/{video_id}/poster.jpg", "poster")
    return video_id


@SQLITE_ONLY
def test_an_embed_origin_puts_nothing_but_an_origin_into_the_csp_header(web_app, client):
    """Found here: `https://[fe80::1%25<any bytes>]` was stored and sent in the embed page's CSP header as it was
    (non-Latin-1 and control characters included), and `:0` was dropped as if it were the default port
    (embedding.py now refuses a zone and port 0)."""
    video_id = public_video(web_app)
    owner = owner_headers(web_app)
    for origin in HOSTILE_ORIGINS:
        refused = client.patch(f"/api/gallery/videos/{video_id}", json={"embed_origins": ["https://ok.example", origin]},
                               headers=owner)
        body = assert_json_error(refused, 422)
        assert "embed_origins" in str(body["errors"]), (origin, body)
    shown = client.get(f"/api/gallery/videos/{video_id}", headers=owner).get_json()
    assert shown["embed_origins"] is None  # nothing of any refused list was kept

    changed = client.patch(f"/api/gallery/videos/{video_id}", json={"embed_origins": list(ACCEPTED_ORIGINS)},
                           headers=owner)
    assert changed.status_code == 200, changed.get_json()
    stored = list(dict.fromkeys(ACCEPTED_ORIGINS.values()))  # each once: the fullwidth name is blog.example
    assert changed.get_json()["embed_origins"] == stored
    page = client.get(f"/embed/{video_id}")
    header = page.headers["Content-Security-Policy"]
    assert all(" " <= c <= "~" for c in header), header  # printable ASCII: no header a proxy or browser rejects
    assert parse_policy(header)["frame-ancestors"] == stored


@SQLITE_ONLY
def test_whatever_the_owner_types_a_stored_origin_is_scheme_host_and_port_alone(database_url):
    """3,000 origin-shaped strings with the characters that break things (CSP, headers, URLs, Unicode) put into
    each part of them: whatever is accepted is plain `scheme://host[:port]`."""
    junk = ["%25", "%", ":", "0", "/", "\\", "@", ".", ";", ",", "'", '"', "*", " ", "\t", "\r\n", "\x00", "\x01",
            "\x7f", "\u2028", "\u00a0", "\u200b", "\u202e", "\u20ac", "\u00fc", "\uff0e", "\uff0f", "xn--", "-",
            "data:", "javascript:", "?", "#", "[", "]", "<>", "()", "\U0001f600", "a", "eth0"]
    schemes = ["https://", "http://", "HTTPS://", "", "{j}"]
    hosts = ["blog.example", "localhost", "127.0.0.1", "[::1]", "[fe80::1%25{j}]", "[::1%25{j}]", "{j}.example",
             "blog{j}.example", "{j}", "[{j}]"]
    ports = ["", ":443", ":0", ":8443", ":{j}"]
    tails = ["", "/", "{j}"]
    rng = random.Random(20261207)
    for _ in range(3000):
        shape = "".join(rng.choice(part) for part in (schemes, hosts, ports, tails))
        typed = re.sub(r"\{j\}", lambda _: "".join(rng.choice(junk) for _ in range(rng.randint(1, 3))), shape)
        try:
            stored = clean_origin(typed)
        except Refusal:
            continue
        assert STORED_ORIGIN.fullmatch(stored), (typed, stored)


# --- 2. hostile titles in link previews, the embed page and oEmbed ---------------------------------------------------

HOSTILE_TITLES = [
    "</title><script>alert(1)</script>", '"><img src=x onerror=alert(1)>', "' onmouseover='alert(1)",
    "</script><script>alert(document.domain)</script>", "a\u2028b\u2029c", "<!-- x", "\\1 \\g<0> $1 &amp; &lt;",
    "<meta http-equiv=refresh content=0;url=https://evil.example>", "{{constructor.constructor('alert(1)')()}}",
]


class Markup(HTMLParser):
    """Every start tag of a document, with its attributes."""

    def __init__(self):
        super().__init__()
        self.tags: list[tuple[str, dict[str, str]]] = []

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, {name: value or "" for name, value in attrs}))


def tags_of(html: str) -> list[tuple[str, dict[str, str]]]:
    parser = Markup()
    parser.feed(html)
    return parser.tags


@SQLITE_ONLY
def test_a_hostile_title_or_description_stays_text_in_previews_embeds_and_oembed(web_app, client):
    """Titles are set in the row, as one saved before today's title rules would be (the rules refuse control
    characters, not markup)."""
    video_id = public_video(web_app)
    for title in HOSTILE_TITLES:
        set_video(web_app, video_id, title=title, description=title)
        watch = client.get(f"/watch/{video_id}")
        head = head_of(watch)
        assert "".join(head.title) == f"{title} · VideoForge"
        assert head.one("og:title") == head.one("twitter:title") == title
        assert head.one("og:description") == " ".join(title.split())  # one line, whitespace folded
        tags = tags_of(watch.get_data(as_text=True))
        assert [attrs.get("src") for tag, attrs in tags if tag == "script"] == ["/assets/index-abc.js"]
        assert not [tag for tag, _ in tags if tag in ("img", "iframe")]
        assert [a for t, a in tags if t == "meta" and "http-equiv" in a] == []
        embed = client.get(f"/embed/{video_id}")
        assert "".join(head_of(embed).title) == f"{title} · VideoForge"
        assert [attrs.get("src") for tag, attrs in tags_of(embed.get_data(as_text=True)) if tag == "script"] == [
            "/assets/embed-def.js"]
        answer = client.get("/api/oembed?" + urlencode({"url": f"{BASE}/watch/{video_id}"})).get_json()
        assert answer["title"] == title
        code = tags_of(answer["html"])
        assert [tag for tag, _ in code] == ["iframe"], answer["html"]
        assert code[0][1]["title"] == title and code[0][1]["src"] == f"{BASE}/embed/{video_id}"
        assert not [name for name in code[0][1] if name.startswith("on")]


# --- 3. oEmbed: only this site's links to shared videos; bad sizes are 422 ---------------------------------------------

@SQLITE_ONLY
def test_oembed_answers_only_this_sites_links_to_shared_videos_and_refuses_bad_sizes(web_app, client):
    shared = public_video(web_app)
    private = public_video(web_app, visibility="private")
    locked = public_video(web_app)
    assert client.patch(f"/api/gallery/videos/{locked}", json={"visibility": "password", "password": PASSWORD},
                        headers=owner_headers(web_app)).status_code == 200
    assert client.get("/api/oembed?" + urlencode({"url": f"{BASE}/watch/{shared}"})).status_code == 200
    missing = client.get("/api/oembed?" + urlencode({"url": f"{BASE}/watch/{'0' * 32}"}))
    assert_json_error(missing, 404)
    elsewhere = [
        f"https://evil.example/watch/{shared}", f"https://videos.example.evil.example/watch/{shared}",
        f"https://videos.example@evil.example/watch/{shared}", f"//videos.example/watch/{shared}",
        f"javascript:alert(1)//videos.example/watch/{shared}", f"http://videos.example/watch/{shared}",
        f"https://videos.example:8443/watch/{shared}", f"https://videos.example:99999/watch/{shared}",
        f"{BASE}/watch/../embed/{shared}", f"{BASE}/watch/%2e%2e/{shared}", f"{BASE}/x/../watch/{shared}",
        f"{BASE}/watch/{shared}/extra", f"{BASE}/watch/{shared.upper()}", f"{BASE}/watch/{shared}%00",
        f"{BASE}/api/streaming/videos/{shared}", f"{BASE}/watch/{private}", f"{BASE}/embed/{private}",
        f"{BASE}/watch/{locked}", f"{BASE}/embed/{locked}", f"{BASE}/#/watch/{locked}", "https://[::1/watch/x",
        "\x00", "data:text/html,<script>alert(1)</script>",
    ]
    for url in elsewhere:
        answer = client.get("/api/oembed?" + urlencode({"url": url}))
        assert answer.status_code == 404 and answer.get_data() == missing.get_data(), url  # the same bytes for all
    link = f"url={quote(f'{BASE}/watch/{shared}', safe='')}"
    for query, field in [("maxwidth=-1", "maxwidth"), ("maxwidth=0", "maxwidth"), ("maxwidth=abc", "maxwidth"),
                         ("maxwidth=1e3", "maxwidth"), ("maxwidth=" + "9" * 40, "maxwidth"),
                         ("maxheight=8193", "maxheight"), ("maxheight=%00", "maxheight"),
                         ("format=" + "x" * 100, "format")]:
        body = assert_json_error(client.get(f"/api/oembed?{link}&{query}"), 422)
        assert field in str(body["errors"]), (query, body)
    assert_json_error(client.get("/api/oembed?url=" + "a" * 3000), 422)
    assert_json_error(client.get("/api/oembed"), 422)
    assert_json_error(client.get(f"/api/oembed?{link}&format=xml"), 501)
    tiny = client.get(f"/api/oembed?{link}&maxwidth=1&maxheight=1").get_json()
    assert (tiny["width"], tiny["height"]) == (1, 1) and "thumbnail_url" not in tiny


# --- 4. password videos: nothing without the password, through any route ---------------------------------------------

def locked_video(app, client) -> str:
    """A playable video (rung, segment, poster, thumbnails, a ready caption track) made password-protected."""
    video_id = public_video(app)
    put_text(app, f"processed/{video_id}/captions/en.vtt", "WEBVTT\n\n00:00.000 --> 00:01.000\nthe secret line\n")
    with app.extensions["videoforge.db"].session() as session:
        session.add(Caption(video_id=video_id, language="en", label="English", status="ready",
                            key=f"processed/{video_id}/captions/en.vtt"))
    set_video(app, video_id, description="the secret plot", embed_origins=["https://owners-blog.example"])
    changed = client.patch(f"/api/gallery/videos/{video_id}", json={"visibility": "password", "password": PASSWORD},
                           headers=owner_headers(app))
    assert changed.status_code == 200, changed.get_json()
    return video_id


def unlock(client, video_id: str, password: str = PASSWORD, address: str = "203.0.113.7", headers=None):
    return client.post(f"/api/streaming/videos/{video_id}/unlock", json={"password": password},
                       environ_base={"REMOTE_ADDR": address}, headers=headers or {})


def test_a_password_video_gives_a_stranger_nothing_through_any_route(web_app, client, auth_headers):
    video_id = locked_video(web_app, client)
    shared = public_video(web_app)
    with web_app.extensions["videoforge.db"].session() as session:
        caption_id = session.scalars(select(Caption.id).where(Caption.video_id == video_id)).one()
    api = f"/api/streaming/videos/{video_id}"
    for headers in ({}, auth_headers()):  # anonymous, and another signed-in user
        body = assert_json_error(client.get(api, headers=headers), 403)
        assert "password" in str(body["errors"]) and "url" not in str(body)
        for path in ("master.m3u8", "360p/index.m3u8", "thumbnails.vtt", f"captions/{caption_id}/index.m3u8"):
            assert_json_error(client.get(f"{api}/{path}", headers=headers), 403, 404)
        shown = client.get(f"/api/gallery/videos/{video_id}", headers=headers).get_json()
        assert shown["locked"] is True and shown["description"] == "" and shown["poster_url"] is None
        # Found here: the owner's embed sites were shown to strangers (gallery/schemas.py now leaves them out).
        assert "embed_origins" not in shown and "filename" not in shown
        assert_json_error(client.get(f"/api/gallery/videos/{video_id}/captions", headers=headers), 404)
        if headers:
            assert_json_error(client.get(f"/api/gallery/videos/{video_id}/download", headers=headers), 404)
            assert_json_error(client.patch(f"/api/gallery/videos/{video_id}", json={"title": "x"}, headers=headers),
                              404)
        for listing in ("/api/gallery/public", "/api/gallery/public?q=clip", "/api/gallery/public?q=secret"):
            assert video_id not in [v["id"] for v in client.get(listing, headers=headers).get_json()]
    # The watch page's preview and the embed page: the same bytes as for no video at all (oEmbed: test 3).
    missing = "0" * 32
    assert client.get(f"/watch/{video_id}").get_data() == client.get(f"/watch/{missing}").get_data()
    embed = client.get(f"/embed/{video_id}")
    assert embed.status_code == 404 and parse_policy(embed.headers["Content-Security-Policy"])["frame-ancestors"] \
        == ["'none'"]
    assert embed.get_data() == client.get(f"/embed/{missing}").get_data()
    # Storage: no signature, or another video's signature moved onto this video's objects.
    granted = path_of(client.get(f"/api/streaming/videos/{shared}").get_json()["poster_url"])
    for key in ("poster.jpg", "360p/seg_00000.m4s", "captions/en.vtt", "storyboard.vtt"):
        assert_json_error(client.get(f"/api/storage/processed/{video_id}/{key}"), 403)
        moved = granted.replace(f"processed/{shared}/poster.jpg", f"processed/{video_id}/{key}")
        assert_json_error(client.get(moved), 403)
    # The owner needs no password; the unlock is the only way in for anyone else.
    assert client.get(api, headers=owner_headers(web_app)).status_code == 200
    token = unlock(client, video_id).get_json()["unlock_token"]
    assert client.get(f"{api}?unlock={token}").status_code == 200


def test_an_unlock_token_opens_only_its_video_and_dies_with_a_new_password(web_app, client):
    first, second = locked_video(web_app, client), locked_video(web_app, client)
    for body in ({}, {"password": 123}, {"password": None}, {"password": "x" * 1025}, {"password": ["a"]}):
        refused = client.post(f"/api/streaming/videos/{first}/unlock", json=body)
        assert "password" in str(assert_json_error(refused, 422)["errors"]), body
    assert_json_error(client.post(f"/api/streaming/videos/{first}/unlock", json=[PASSWORD]), 422)
    assert_json_error(unlock(client, first, "x" * 1000), 403)  # past the KDF's longest: simply wrong
    token = unlock(client, first).get_json()["unlock_token"]
    info = client.get(f"/api/streaming/videos/{first}?unlock={token}").get_json()
    playback = info["master_url"].split("token=")[1]
    assert_json_error(client.get(f"/api/streaming/videos/{second}?unlock={token}"), 403)
    assert_json_error(client.get(f"/api/streaming/videos/{second}/master.m3u8?token={playback}"), 403, 404)
    assert_json_error(client.get(f"/api/streaming/videos/{first}?unlock={playback}"), 403)  # not an unlock token
    for hostile in ("1" * 13 + "." + "0" * 40, "9" * 5000, "x.y", "%00", "1.%s" % ("g" * 40)):
        assert_json_error(client.get(f"/api/streaming/videos/{first}?unlock={hostile}"), 403, 422)
    # The same password set again revokes every unlock and playback link given before.
    assert client.patch(f"/api/gallery/videos/{first}", json={"password": PASSWORD},
                        headers=owner_headers(web_app)).status_code == 200
    assert_json_error(client.get(f"/api/streaming/videos/{first}?unlock={token}"), 403)
    assert_json_error(client.get(path_of(info["master_url"])), 403, 404)
    fresh = unlock(client, first).get_json()["unlock_token"]
    assert client.get(f"/api/streaming/videos/{first}?unlock={fresh}").status_code == 200


@SQLITE_ONLY
def test_forwarded_for_does_not_reset_the_unlock_throttle_without_a_trusted_proxy(web_app, client):
    assert web_app.config["TRUSTED_PROXY_HOPS"] == 0
    video_id = locked_video(web_app, client)
    for n in range(3):
        spoofed = {"X-Forwarded-For": f"198.51.100.{n}", "X-Real-IP": f"198.51.100.{n}", "Forwarded": f"for=10.0.0.{n}"}
        assert unlock(client, video_id, "wrong guess", headers=spoofed).status_code == 403
    throttled = unlock(client, video_id, PASSWORD, headers={"X-Forwarded-For": "192.0.2.99"})
    assert_json_error(throttled, 429)
    assert int(throttled.headers["Retry-After"]) > 0
    # An IPv6 client cannot step through its /64 either.
    for n in range(3):
        assert unlock(client, video_id, "wrong guess", address=f"2001:db8:1:2::{n + 1}").status_code == 403
    assert_json_error(unlock(client, video_id, PASSWORD, address="2001:db8:1:2:ffff::9"), 429)


def test_parallel_wrong_passwords_for_one_video_get_at_most_the_limit_checked(web_app, client):
    video_id = locked_video(web_app, client)
    with serving(web_app) as base:
        results = at_once([lambda n=n: post(base, f"/api/streaming/videos/{video_id}/unlock",
                                            {"password": f"guess {n}"}) for n in range(10)])
    codes = sorted(status for status, _, _ in results)
    assert set(codes) <= {403, 429} and codes.count(403) <= 3, codes  # all may be refused, never more checked
    with web_app.extensions["videoforge.db"].session() as session:
        counted = session.scalar(select(func.count()).where(SignInFailure.key == f"unlock:{video_id}|address:127.0.0.1"))
    assert counted == codes.count(403)  # refused attempts are not left counted


# --- 5. API keys: a `read` key writes nowhere ---------------------------------------------------------------------------

ANONYMOUS_WRITES = {
    # Routes anyone may call without a bearer token: a key must get no further there than no credentials at all.
    "auth.SignUp", "auth.Token", "auth.Refresh", "auth.SignOut", "auth.ForgotPassword", "auth.ResetPassword",
    "auth.VerifyEmail", "streaming.Unlock", "storage.put_object",
}
VALID_BODIES = {
    # Views that check their body before the caller: given one that passes, so the key is what gets judged.
    "auth.Totp": {"code": "123456"}, "auth.TotpVerify": {"code": "123456"}, "auth.Account": {"password": "x"},
    "auth.ChangePassword": {"current_password": "x", "new_password": "y" * 12},
    "auth.ChangeEmail": {"password": "x", "email": "new@example.test"},
}
WRITE_URLS_BY_GET = ("/api/gallery/uploads/{video}", "/api/gallery/videos/{video}/replace")


def new_key(client, session_headers, scopes: list[str], name: str = "script") -> tuple[str, str]:
    made = client.post("/api/auth/keys", json={"name": name, "scopes": scopes}, headers=session_headers)
    assert made.status_code == 201, made.get_json()
    return made.get_json()["key"], made.get_json()["id"]


def url_for_rule(rule, video_id: str) -> str:
    values = {"video_id": video_id, "path": "x", "key": f"uploads/x/{video_id}/source", "rung": "360p"}
    return rule.build({name: values.get(name, "0" * 32) for name in rule.arguments}, append_unknown=False)[1]


@SQLITE_ONLY
def test_a_read_key_is_refused_on_every_route_that_writes(web_app, client):
    """Every non-GET method of every route in the URL map, with the key owner's own video in the path."""
    video_id = public_video(web_app)
    session = owner_headers(web_app)
    read_key, _ = new_key(client, session, ["read"])
    with_key = {"Authorization": f"Bearer {read_key}"}
    checked, seen_endpoints = 0, set()
    for rule in web_app.url_map.iter_rules():
        seen_endpoints.add(rule.endpoint)
        for method in sorted((rule.methods or set()) - {"GET", "HEAD", "OPTIONS"}):
            url = url_for_rule(rule, video_id)
            body = VALID_BODIES.get(rule.endpoint, {})
            keyed = client.open(url, method=method, json=body, headers=with_key)
            anonymous = client.open(url, method=method, json=body)
            if rule.endpoint in ANONYMOUS_WRITES:
                assert keyed.status_code == anonymous.status_code and keyed.status_code >= 400, (method, url)
            else:
                refused = assert_json_error(keyed, 403)
                assert "scope" in str(refused) or "API keys cannot" in refused["message"], (method, url, refused)
                assert anonymous.status_code == 401, (method, url, anonymous.status_code)
            checked += 1
    assert checked >= 30, checked  # the scan really walked the map
    assert seen_endpoints >= ANONYMOUS_WRITES  # no stale entry hides a route
    for template in WRITE_URLS_BY_GET:  # GETs (and HEADs) that hand out URLs which write bytes
        assert_json_error(client.get(template.format(video=video_id), headers=with_key), 403)
        assert client.head(template.format(video=video_id), headers=with_key).status_code == 403
    with web_app.extensions["videoforge.db"].session() as db:
        video = db.get(Video, video_id)
        assert (video.title, video.visibility, video.status) == ("clip", "public", "ready")


@SQLITE_ONLY
def test_keys_are_taken_from_the_authorization_header_only(web_app, client):
    key, _ = new_key(client, owner_headers(web_app), ["manage"])
    for query in ("access_token", "api_key", "key", "token", "authorization"):
        assert_json_error(client.get(f"/api/gallery/videos?{query}={key}"), 401)
    assert_json_error(client.get("/api/gallery/videos", headers={"X-Api-Key": key}), 401)
    assert_json_error(client.get("/api/gallery/videos", headers={"Authorization": f"Basic {key}"}), 401)
    assert_json_error(client.get("/api/gallery/videos", headers={"Authorization": f"Bearer {key} {key}"}), 401)
    assert client.get("/api/gallery/videos", headers={"Authorization": f"bearer  {key}"}).status_code == 200


def test_a_key_revoked_while_its_requests_race_stops_for_every_request_after(web_app, client):
    key, key_id = new_key(client, owner_headers(web_app), ["read"])
    with serving(web_app) as base:
        def use():
            return get_status(base, "/api/gallery/videos", {"Authorization": f"Bearer {key}"})

        def revoke():
            return get_status(base, f"/api/auth/keys/{key_id}", owner_headers(web_app), method="DELETE")

        results = at_once([use] * 6 + [revoke] + [use] * 6)
        assert results[6] == 204
        assert set(results[:6] + results[7:]) <= {200, 401}, results  # each is checked once, whole, never a 500
        assert [get_status(base, "/api/gallery/videos", {"Authorization": f"Bearer {key}"}) for _ in range(3)] \
            == [401, 401, 401]


def get_status(base: str, path: str, headers: dict, method: str = "GET") -> int:
    """A request over real HTTP (the live server); its status."""
    url = urlsplit(base)
    conn = http.client.HTTPConnection(url.hostname, url.port, timeout=60)
    try:
        conn.request(method, path, headers=headers)
        response = conn.getresponse()
        response.read()
        return response.status
    finally:
        conn.close()


def test_parallel_key_creations_with_one_name_make_at_most_one_key(web_app):
    """Found here: the name was checked before the insert, so eight creations at once made eight keys named
    "nightly" (keys_service.create now checks the name again after its insert, as it does the cap)."""
    session_headers = {"Authorization": f"Bearer {token_for(web_app, sub='racer')}", "Content-Type": "application/json"}
    with serving(web_app) as base:
        results = at_once([lambda: post(base, "/api/auth/keys", {"name": "nightly", "scopes": ["read"]},
                                        headers=session_headers) for _ in range(8)])
    codes = sorted(status for status, _, _ in results)
    assert set(codes) <= {201, 409} and codes.count(201) <= 1, codes
    assert all("name" in str(body["errors"]) for status, body, _ in results if status == 409)
    with web_app.extensions["videoforge.db"].session() as session:
        names = session.scalars(select(ApiKey.name).where(ApiKey.revoked_at.is_(None))).all()
    assert names.count("nightly") == codes.count(201)


def test_parallel_key_creations_never_pass_the_cap(make_web_app):
    app = make_web_app(API_KEYS_MAX_PER_USER=3)
    session_headers = {"Authorization": f"Bearer {token_for(app, sub='racer')}"}
    with serving(app) as base:
        results = at_once([lambda n=n: post(base, "/api/auth/keys", {"name": f"key {n}", "scopes": ["read"]},
                                            headers=session_headers) for n in range(10)])
    codes = sorted(status for status, _, _ in results)
    assert set(codes) <= {201, 409} and codes.count(201) <= 3, codes
    with app.extensions["videoforge.db"].session() as session:
        assert session.scalar(select(func.count()).select_from(ApiKey)) == codes.count(201)



def test_parallel_webhook_endpoint_creations_never_pass_the_cap(make_web_app):
    app = make_web_app(WEBHOOK_ALLOW_LOOPBACK=True, WEBHOOK_MAX_ENDPOINTS=3)
    session_headers = {"Authorization": f"Bearer {token_for(app, sub='racer')}"}
    with serving(app) as base:
        results = at_once([lambda n=n: post(base, "/api/webhooks", {"url": f"http://127.0.0.1:9/hook{n}",
                                                                     "events": ["video.ready"]},
                                            headers=session_headers) for n in range(10)])
    codes = sorted(status for status, _, _ in results)
    assert set(codes) <= {201, 409} and codes.count(201) <= 3, codes
    with app.extensions["videoforge.db"].session() as session:
        assert session.scalar(select(func.count()).select_from(WebhookEndpoint)) == codes.count(201)

# --- 6. downloads and replacing the original ----------------------------------------------------------------------------

def uploaded(app, client, headers, size: int = 1000, **fields) -> tuple[str, dict]:
    """An upload created and its bytes sent (not confirmed): its id and plan."""
    body = {"title": "Clip", "filename": "clip.mp4", "size": size, "content_type": "video/mp4", **fields}
    created = client.post("/api/gallery/uploads", json=body, headers=headers)
    assert created.status_code == 201, created.get_json()
    plan = created.get_json()["upload"]
    assert client.put(path_of(plan["url"]), data=b"v" * size, headers=plan["headers"]).status_code == 200
    return created.get_json()["video"]["id"], plan


@SQLITE_ONLY
@pytest.mark.parametrize("title", ["a\r\nSet-Cookie: x=1", 'q"uote"; filename="evil.exe', "../../etc/passwd",
                                   "\u202egnp.exe", "K\u00f6ln \U0001f600 \u4e2d\u6587", "x" * 200, " . . ", "\x00",
                                   "CON", "a\u2028b"])
def test_a_hostile_title_cannot_shape_the_download_header(web_app, client, title):
    owner = owner_headers(web_app)
    video_id, _ = uploaded(web_app, client, owner)
    assert client.post(f"/api/gallery/videos/{video_id}/confirm", json={}, headers=owner).status_code == 202
    set_video(web_app, video_id, title=title)  # as a row saved before the title rules
    answer = client.get(f"/api/gallery/videos/{video_id}/download", headers=owner).get_json()
    got = client.get(path_of(answer["url"]))
    assert got.status_code == 200 and got.data == b"v" * 1000
    header = got.headers["Content-Disposition"]
    assert re.fullmatch(r"attachment; filename=\"[A-Za-z0-9 ._()+-]{1,150}\"; filename\*=UTF-8''[A-Za-z0-9%._~-]+",
                        header), header
    name = answer["filename"]
    assert 1 <= len(name) <= 150 and not name.startswith(".") and name == name.strip()
    assert not set(name) & set('/\\"\r\n\x00\u202e\u2028')
    # The link cannot be altered to serve the file inline or under another name.
    altered = path_of(answer["url"]).replace("disposition=", "disposition=inline%3B")
    assert_json_error(client.get(altered), 403)


def ready_upload(app, client, headers, **fields) -> str:
    """A video uploaded and confirmed through the API, then marked ready as the worker would; its id."""
    video_id, _ = uploaded(app, client, headers, **fields)
    assert client.post(f"/api/gallery/videos/{video_id}/confirm", json={}, headers=headers).status_code == 202
    set_video(app, video_id, status="ready")
    return video_id


def test_replacing_takes_only_the_owners_own_bytes_of_the_declared_size(web_app, client, auth_headers):
    owner, stranger, admin = auth_headers(), auth_headers(), auth_headers(groups=["admin"])
    video_id = ready_upload(web_app, client, owner, visibility="public")
    other_id, other_plan = uploaded(web_app, client, stranger)  # someone else's upload, not confirmed
    start = {"filename": "new.mp4", "size": 1000, "content_type": "video/mp4"}
    for headers, code in ((stranger, 403), (admin, 403), ({}, 401)):  # public: seen, not theirs to replace
        assert_json_error(client.post(f"/api/gallery/videos/{video_id}/replace", json=start, headers=headers), code)
        assert_json_error(client.post(f"/api/gallery/videos/{video_id}/replace/confirm", json={}, headers=headers),
                          code)
    plan = client.post(f"/api/gallery/videos/{video_id}/replace", json=start, headers=owner).get_json()["upload"]
    # Nothing arrived yet; the stranger's bytes are under their own key and cannot count for this video.
    assert_json_error(client.post(f"/api/gallery/videos/{video_id}/replace/confirm", json={}, headers=owner), 409)
    # A body of another size than declared, or the URL moved onto another key: refused by storage.
    for body in (b"v" * 999, b"v" * 1001):
        assert_json_error(client.put(path_of(plan["url"]), data=body, headers=plan["headers"]), 400, 403)
    moved = path_of(plan["url"]).replace(urlsplit(plan["url"]).path, urlsplit(other_plan["url"]).path)
    assert_json_error(client.put(moved, data=b"v" * 1000, headers=plan["headers"]), 403)
    # Made-up parts on a single-PUT replace change nothing: the stored size decides.
    assert_json_error(client.post(f"/api/gallery/videos/{video_id}/replace/confirm",
                                  json={"parts": [{"number": 1, "etag": "0" * 32}]}, headers=owner), 409)
    # The stranger's upload cannot be confirmed by the owner, nor the owner's video replaced by the stranger's plan.
    assert_json_error(client.post(f"/api/gallery/videos/{other_id}/confirm", json={}, headers=owner), 404)
    assert client.put(path_of(plan["url"]), data=b"v" * 1000, headers=plan["headers"]).status_code == 200
    confirmed = client.post(f"/api/gallery/videos/{video_id}/replace/confirm", json={}, headers=owner)
    assert confirmed.status_code == 202, confirmed.get_json()
    # Sealed at confirm: the same URL takes no other bytes afterwards.
    assert_json_error(client.put(path_of(plan["url"]), data=b"w" * 1000, headers=plan["headers"]), 409)


# On SQLite (no row locks; the write lock comes with the first write) a confirm may commit between the delete's
# read of the replacement and its flush: SQLAlchemy warns that the row was gone, and nothing fails.
@pytest.mark.filterwarnings("ignore:DELETE statement on table 'source_replacements'")
def test_a_replace_confirm_racing_the_videos_deletion_leaves_no_row_and_no_file(web_app, client, auth_headers):
    owner = auth_headers()
    root = Path(web_app.config["STORAGE_PATH"])
    for _ in range(3):
        video_id = ready_upload(web_app, client, owner)
        start = {"filename": "new.mp4", "size": 1000, "content_type": "video/mp4"}
        plan = client.post(f"/api/gallery/videos/{video_id}/replace", json=start, headers=owner).get_json()["upload"]
        assert client.put(path_of(plan["url"]), data=b"v" * 1000, headers=plan["headers"]).status_code == 200
        with serving(web_app) as base:
            path = f"/api/gallery/videos/{video_id}"
            confirm, delete = at_once([lambda path=path: post(base, f"{path}/replace/confirm", {}, headers=owner),
                                       lambda path=path: get_status(base, path, owner, method="DELETE")])
        assert confirm[0] in (202, 404, 409) and delete in (204, 404), (confirm[:2], delete)
        if delete == 404:  # the confirm's answer was read first; the video is still there to delete
            assert client.delete(f"/api/gallery/videos/{video_id}", headers=owner).status_code == 204
        with web_app.extensions["videoforge.db"].session() as session:
            assert session.get(Video, video_id) is None
        # Seals and ETag records too: a deletion takes each folder's lock, so a confirm's seal is never left.
        left = [path for path in root.rglob("*") if path.is_file() and video_id in str(path)]
        assert left == [], left


@POSTGRES_ONLY
def test_a_deletion_locks_the_video_before_its_replacement_as_a_confirm_does(web_app, client, auth_headers):
    """Lock order, the cause of a deadlock CI met (a confirm updates the video, then deletes its replacement row;
    the delete deleted the children first): while another transaction holds the video's row, a deletion waits
    before it touches the replacement's."""
    owner = auth_headers()
    video_id = ready_upload(web_app, client, owner)
    start = {"filename": "new.mp4", "size": 1000, "content_type": "video/mp4"}
    assert client.post(f"/api/gallery/videos/{video_id}/replace", json=start, headers=owner).status_code == 201
    engine = web_app.extensions["videoforge.db"].engine
    with serving(web_app) as base, engine.connect() as holder:
        # What a confirm's guarded UPDATE of the video takes, before it deletes the replacement's row.
        holder.execute(text("SELECT id FROM videos WHERE id = :id FOR NO KEY UPDATE"), {"id": video_id})
        with ThreadPoolExecutor(max_workers=1) as pool:
            deleting = pool.submit(get_status, base, f"/api/gallery/videos/{video_id}", owner, "DELETE")
            time.sleep(1.0)
            assert not deleting.done()
            # The replacement's row is free: the deletion waits on the video's row, holding nothing after it.
            holder.execute(text("SET LOCAL lock_timeout = '200ms'"))
            held = holder.execute(text("SELECT video_id FROM source_replacements WHERE video_id = :id FOR UPDATE"),
                                  {"id": video_id}).all()
            assert len(held) == 1
            holder.rollback()
            assert deleting.result(timeout=30) == 204
    with web_app.extensions["videoforge.db"].session() as session:
        assert session.get(Video, video_id) is None


@POSTGRES_ONLY
def test_a_caption_job_finishing_while_its_video_is_deleted_finishes_and_the_deletion_takes_it(web_app, client,
                                                                                                 auth_headers):
    """The other order: a generated track's job locks its caption row, then writes cues that refer to the video
    (their foreign key check takes a key-share lock on it). The deletion's lock on the video must not block that,
    or each would wait for the other: it waits for the job instead, then takes the track and its cues with it."""
    owner = auth_headers()
    video_id = ready_upload(web_app, client, owner)
    db = web_app.extensions["videoforge.db"]
    with db.session() as session:
        caption = Caption(video_id=video_id, language="en", label="English (auto-generated)", generated=True,
                          status="processing")
        session.add(caption)
        session.flush()
        caption_id = caption.id
    with serving(web_app) as base, db.engine.connect() as job:
        job.execute(text("SELECT id FROM captions WHERE id = :id FOR UPDATE"), {"id": caption_id})  # the job's
        with ThreadPoolExecutor(max_workers=1) as pool:
            deleting = pool.submit(get_status, base, f"/api/gallery/videos/{video_id}", owner, "DELETE")
            time.sleep(1.0)
            assert not deleting.done()  # waiting for the caption's row
            job.execute(text("SET LOCAL lock_timeout = '2s'"))
            job.execute(text('INSERT INTO caption_cues (caption_id, video_id, start, "end", text) '
                             "VALUES (:caption, :video, 0, 1, 'a word')"), {"caption": caption_id, "video": video_id})
            job.execute(text("UPDATE captions SET status = 'ready', cue_count = 1 WHERE id = :id"), {"id": caption_id})
            job.commit()
            assert deleting.result(timeout=30) == 204
    with db.session() as session:
        assert session.get(Video, video_id) is None and session.get(Caption, caption_id) is None
        assert session.scalar(select(func.count()).select_from(CaptionCue).where(CaptionCue.video_id == video_id)) == 0


@SQLITE_ONLY
@pytest.mark.parametrize("backend", ["local", "s3"])
def test_bytes_sent_to_an_upload_url_after_its_video_was_deleted_are_not_kept(make_web_app, backend, request):
    """HOLE, closed: a signed PUT URL outlives the video it was made for (S3 cannot revoke one), so bytes sent after the
    delete were kept, counted in no quota and under no row; looped, that parks unlimited storage. The delete now
    commits a follow-up erasure of that upload's folder, due once every upload URL has expired, which
    `videoforge uploads cleanup` carries out (videoforge/erasure.py)."""
    settings = {} if backend == "local" else request.getfixturevalue("weed_s3").app_settings()
    app = make_web_app(**settings)
    client, owner, storage = app.test_client(), owner_headers(app), get_storage(app)
    created = client.post("/api/gallery/uploads", json={"title": "t", "filename": "a.mp4", "size": 1000,
                                                          "content_type": "video/mp4"}, headers=owner)
    plan, video_id = created.get_json()["upload"], created.get_json()["video"]["id"]
    with app.extensions["videoforge.db"].session() as session:
        key = session.get(Video, video_id).source_key
    assert client.delete(f"/api/gallery/videos/{video_id}", headers=owner).status_code == 204

    if backend == "local":
        late = client.put(path_of(plan["url"]), data=b"v" * 1000, headers=plan["headers"]).status_code
    else:
        late = requests.put(plan["url"], data=b"v" * 1000, headers=plan["headers"], timeout=30).status_code
    assert late == 200 and storage.size_of(key) == 1000  # the attack lands: the URL is valid for hours yet
    cleanup = app.test_cli_runner()
    assert "erased 0 upload folders" in cleanup.invoke(args=["uploads", "cleanup"]).output  # not due yet
    with app.extensions["videoforge.db"].session() as session:  # the hours pass: every upload URL has expired
        session.execute(update(PendingErasure).values(due_at=utcnow() - timedelta(seconds=1)))
    result = cleanup.invoke(args=["uploads", "cleanup"])
    assert result.exit_code == 0 and "erased 1 upload folders" in result.output, result.output
    assert storage.size_of(key) is None, "the bytes sent after the delete were kept"
    with app.extensions["videoforge.db"].session() as session:
        assert session.scalar(select(func.count()).select_from(PendingErasure)) == 0
