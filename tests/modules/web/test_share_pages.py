"""Shared links answered by the server without JavaScript: the watch page's link preview, the embed page and its
framing, and history routes (the app for its pages, 404 for the rest)."""

from __future__ import annotations

import pytest
import requests

from tests.modules.web.conftest import BASE, POSTER, add_video, head_of, local_path
from tests.rows import set_video
from videoforge.headers import client_policy, parse_policy
from videoforge.models import MediaAsset
from videoforge.modules.web.pages import PAGES

HIDDEN = ["private", "missing", "malformed", "upper-case", "too-long", "markup"]


def hidden_id(kind: str, make_video) -> str:
    """An id whose watch and embed pages must reveal nothing, for each way of being one."""
    return {"private": lambda: make_video(visibility="private", title="Secret plans"),
            "missing": lambda: "0" * 32,
            "malformed": lambda: "not-an-id",
            "upper-case": lambda: "A" * 32,
            "too-long": lambda: "a" * 5000,
            "markup": lambda: "%22%3E%3Cscript%3Ealert(1)%3C%3Escript%3E"}[kind]()


def shape(response) -> dict[str, str]:
    """A response's headers, but the request id every answer has its own of."""
    return {name: value for name, value in response.headers.items() if name != "X-Request-Id"}


def csp(response) -> dict[str, list[str]]:
    return parse_policy(response.headers["Content-Security-Policy"])


# --- link previews ------------------------------------------------------------------------------------------------

@pytest.mark.parametrize("visibility", ["public", "unlisted"])
def test_a_shared_videos_watch_page_carries_its_preview(client, make_video, visibility):
    video_id = make_video(visibility=visibility)
    page = client.get(f"/watch/{video_id}")
    assert page.status_code == 200 and page.mimetype == "text/html"
    assert page.headers["Cache-Control"] == "no-cache"  # a visibility change shows at once
    head = head_of(page)
    assert "".join(head.title) == "Harbour at dusk · VideoForge"
    assert head.one("og:title") == head.one("twitter:title") == "Harbour at dusk"
    assert head.one("og:description") == head.one("description") == "Boats come home."
    assert (head.one("og:type"), head.one("og:site_name")) == ("video.other", "VideoForge")
    assert head.one("og:url") == f"{BASE}/watch/{video_id}"
    assert head.one("video:duration") == "93"
    embed = f"{BASE}/embed/{video_id}"
    assert head.one("og:video") == head.one("og:video:secure_url") == head.one("twitter:player") == embed
    assert head.one("og:video:type") == "text/html"
    assert (head.one("og:video:width"), head.one("og:video:height")) == ("1280", "720")
    assert (head.one("twitter:player:width"), head.one("twitter:player:height")) == ("1280", "720")
    assert head.one("twitter:card") == "player"
    # The poster: absolute, and fetched by a crawler with no cookie and no token.
    poster = head.one("og:image")
    assert poster == head.one("twitter:image") and poster.startswith(f"{BASE}/")
    assert (head.one("og:image:width"), head.one("og:image:height")) == ("1280", "720")
    fetched = client.get(local_path(poster))
    assert fetched.status_code == 200 and fetched.get_data() == POSTER
    oembed = [link for link in head.links if link.get("type") == "application/json+oembed"]
    assert len(oembed) == 1 and oembed[0]["rel"] == "alternate" and oembed[0]["title"] == "Harbour at dusk"
    assert client.get(local_path(oembed[0]["href"])).get_json()["type"] == "video"
    assert [link["href"] for link in head.links if link.get("rel") == "canonical"] == [f"{BASE}/watch/{video_id}"]
    # Unlisted: shareable, but not for search engines to list.
    assert head.meta.get("robots") == (["noindex"] if visibility == "unlisted" else None)
    # The app itself is still there, untouched.
    assert head.scripts == [{"type": "module", "crossorigin": "", "src": "/assets/index-abc.js"}]
    assert csp(page)["frame-ancestors"] == ["'none'"]


def test_a_preview_poster_on_s3_is_fetched_by_a_crawler_with_no_credentials(make_web_app, weed_s3, tmp_path):
    app = make_web_app(**weed_s3.app_settings())
    video_id = add_video(app, tmp_path / "poster.jpg")
    poster = head_of(app.test_client().get(f"/watch/{video_id}")).one("og:image")
    assert poster.startswith(weed_s3.endpoint_url)
    fetched = requests.get(poster, timeout=10)  # a plain GET, as a crawler makes it
    assert fetched.status_code == 200 and fetched.content == POSTER


def test_a_preview_follows_the_video_and_a_long_description_is_cut(web_app, client, make_video):
    video_id = make_video(description="Tide " * 200, duration=None, visibility="unlisted")
    head = head_of(client.get(f"/watch/{video_id}"))
    description = head.one("og:description")
    assert len(description) <= 300 and description.endswith("…") and "\n" not in description
    assert "video:duration" not in head.meta
    set_video(web_app, video_id, status="processing")
    with web_app.extensions["videoforge.db"].session() as session:  # the ladder is being replaced: nothing plays
        session.query(MediaAsset).filter_by(video_id=video_id).delete()
    head = head_of(client.get(f"/watch/{video_id}"))
    assert head.one("og:title") == "Harbour at dusk"
    assert "og:video" not in head.meta and "og:image" not in head.meta
    assert head.one("twitter:card") == "summary"


@pytest.mark.parametrize("kind", HIDDEN)
def test_private_missing_and_malformed_ids_reveal_nothing(client, make_video, kind):
    """The same answer as any page without a video: no title, no poster, no player, nothing about the id."""
    make_video()  # a public video exists: its details must not leak into the others either
    video_id = hidden_id(kind, make_video)
    page = client.get(f"/watch/{video_id}")
    reference = client.get("/public")
    assert page.status_code == reference.status_code == 200
    assert page.get_data() == reference.get_data()
    assert shape(page) == shape(reference)
    head = head_of(page)
    assert "".join(head.title) == "VideoForge"
    assert head.one("og:title") == "VideoForge" and head.one("og:type") == "website"
    body = page.get_data(as_text=True)
    for leak in ("og:image", "og:video", "twitter:player", "json+oembed", "/api/storage", "Secret", "Harbour",
                 "video:duration", "canonical"):
        assert leak not in body


def test_a_hostile_title_and_description_stay_text(client, make_video):
    title = '"><script>alert(1)</script><meta property="og:title" content="pwned\\1\\g<0>'
    description = "</title><img src=x onerror=alert(2)> & more \\1"
    video_id = make_video(title=title, description=description)
    page = client.get(f"/watch/{video_id}")
    body = page.get_data(as_text=True)
    assert "<script>alert" not in body and "<img src=x" not in body
    head = head_of(page)
    assert head.one("og:title") == title  # escaped on the way out, exactly the title once parsed
    assert head.one("og:description") == "</title><img src=x onerror=alert(2)> & more \\1"
    assert "".join(head.title) == f"{title} · VideoForge"
    assert head.scripts == [{"type": "module", "crossorigin": "", "src": "/assets/index-abc.js"}]
    oembed = client.get(f"/api/oembed?url={BASE}/watch/{video_id}").get_json()
    assert oembed["title"] == title and "<script>" not in oembed["html"]


# --- the embed page -----------------------------------------------------------------------------------------------

def test_the_embed_page_may_be_framed_by_any_site_by_default(web_app, client, make_video):
    video_id = make_video(visibility="unlisted")
    page = client.get(f"/embed/{video_id}")
    assert page.status_code == 200
    policy = csp(page)
    assert policy["frame-ancestors"] == ["*"]
    assert "X-Frame-Options" not in page.headers  # it would contradict the list
    others = {name: values for name, values in policy.items() if name != "frame-ancestors"}
    assert others == {name: values for name, values in client_policy(web_app.config).items()
                      if name != "frame-ancestors"}  # everything else as strict as the app's
    head = head_of(page)
    assert "".join(head.title) == "Harbour at dusk · VideoForge" and head.one("robots") == "noindex"
    assert head.scripts == [{"type": "module", "crossorigin": "", "src": "/assets/embed-def.js"}]
    for path in ("/", f"/watch/{video_id}", "/public"):  # the app's own pages stay unframeable
        assert csp(client.get(path))["frame-ancestors"] == ["'none'"]


def test_the_embed_page_may_be_framed_only_by_the_owners_sites(web_app, client, make_video):
    video_id = make_video(embed_origins=["https://blog.example", "http://localhost:8080"])
    assert csp(client.get(f"/embed/{video_id}"))["frame-ancestors"] == ["https://blog.example",
                                                                        "http://localhost:8080"]
    set_video(web_app, video_id, embed_origins=[])
    assert csp(client.get(f"/embed/{video_id}"))["frame-ancestors"] == ["'none'"]


@pytest.mark.parametrize("kind", HIDDEN)
def test_a_private_video_has_no_embed_page(client, make_video, kind):
    video_id = hidden_id(kind, make_video)
    page = client.get(f"/embed/{video_id}")
    missing = client.get(f"/embed/{'f' * 32}")
    assert page.status_code == missing.status_code == 404
    assert page.get_data() == missing.get_data() and shape(page) == shape(missing)
    assert csp(page)["frame-ancestors"] == ["'none'"]
    assert "".join(head_of(page).title) == "VideoForge"


def test_a_video_made_private_loses_its_preview_and_embed_at_once(web_app, client, make_video):
    video_id = make_video(embed_origins=None)
    assert client.get(f"/embed/{video_id}").status_code == 200
    set_video(web_app, video_id, visibility="private")
    assert client.get(f"/embed/{video_id}").status_code == 404
    assert "og:video" not in client.get(f"/watch/{video_id}").get_data(as_text=True)


# --- history routes -----------------------------------------------------------------------------------------------

def test_every_page_of_the_client_answers_the_app(client):
    for pattern in PAGES:
        path = pattern.replace(":id", "a" * 32)
        page = client.get(path)
        assert (page.status_code, page.mimetype) == (200, "text/html"), path
        assert head_of(page).scripts[0]["src"] == "/assets/index-abc.js"


@pytest.mark.parametrize("path", ["/no/such/page", "/upload/", "/watch/abc/extra", "/watch/", "/videos/x"])
def test_an_unknown_page_is_a_404_that_still_shows_the_app(client, path):
    page = client.get(path)
    assert (page.status_code, page.mimetype) == (404, "text/html")
    assert head_of(page).scripts[0]["src"] == "/assets/index-abc.js"  # the client shows its "not found" page


@pytest.mark.parametrize("path", ["/api", "/api/nothing-here", "/api/gallery/nope/x", "/api/oembed/extra",
                                  "/assets/index-old.js", "/favicon.ico"])
def test_unknown_api_paths_and_files_are_bare_json_404s(client, path):
    answer = client.get(path)
    assert answer.status_code == 404 and answer.is_json
    assert answer.get_json()["code"] == 404


def test_built_files_are_served_as_they_are(client):
    asset = client.get("/assets/index-abc.js")
    assert asset.status_code == 200 and asset.headers["Cache-Control"] == "public, max-age=31536000, immutable"
