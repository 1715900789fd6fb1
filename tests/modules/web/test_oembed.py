"""oEmbed 1.0: a watch link of this site answers a video's player as JSON, sized to the consumer's box; anything
else answers 404 (501 for XML)."""

from __future__ import annotations

from html.parser import HTMLParser
from urllib.parse import quote

import pytest

from tests.modules.web.conftest import BASE, POSTER, local_path

REQUIRED = {"type", "version", "title", "provider_name", "provider_url", "html", "width", "height"}


def oembed(client, url: str, **params):
    query = "&".join([f"url={quote(url, safe='')}", *(f"{name}={value}" for name, value in params.items())])
    return client.get(f"/api/oembed?{query}")


class Frames(HTMLParser):
    def __init__(self):
        super().__init__()
        self.frames: list[dict[str, str]] = []
        self.others: list[str] = []

    def handle_starttag(self, tag, attrs):
        if tag == "iframe":
            self.frames.append({name: value or "" for name, value in attrs})
        else:
            self.others.append(tag)


def frames_in(html: str) -> Frames:
    parser = Frames()
    parser.feed(html)
    return parser


def test_a_watch_link_answers_its_player(client, make_video):
    video_id = make_video(width=1920, height=1080)
    answer = oembed(client, f"{BASE}/watch/{video_id}", format="json")
    assert answer.status_code == 200 and answer.mimetype == "application/json"
    body = answer.get_json()
    assert body.keys() >= REQUIRED
    assert (body["type"], body["version"], body["title"]) == ("video", "1.0", "Harbour at dusk")
    assert (body["provider_name"], body["provider_url"]) == ("VideoForge", f"{BASE}/")
    assert "author_name" not in body  # people have no public name here: their email address is not one
    assert (body["width"], body["height"]) == (640, 360)
    frames = frames_in(body["html"])
    assert frames.others == [] and len(frames.frames) == 1
    frame = frames.frames[0]
    assert frame["src"] == f"{BASE}/embed/{video_id}"
    assert (frame["width"], frame["height"]) == ("640", "360")
    assert frame["title"] == "Harbour at dusk" and "allowfullscreen" in frame
    assert (body["thumbnail_width"], body["thumbnail_height"]) == (1280, 720)
    assert client.get(local_path(body["thumbnail_url"])).get_data() == POSTER
    assert client.get(local_path(frame["src"])).status_code == 200  # the iframe's page is there to be framed


@pytest.mark.parametrize(("size", "params", "player"), [
    ((1920, 1080), {"maxwidth": 400}, (400, 225)),
    ((1920, 1080), {"maxwidth": 1000}, (1000, 563)),
    ((1920, 1080), {"maxheight": 180}, (320, 180)),
    ((1920, 1080), {"maxwidth": 300, "maxheight": 300}, (300, 169)),
    ((1080, 1920), {}, (360, 640)),  # portrait: as tall as the default box, not wider than the video is
    ((1080, 1920), {"maxwidth": 500, "maxheight": 400}, (225, 400)),
    ((None, None), {}, (640, 360)),  # not probed yet: 16:9
])
def test_the_player_keeps_the_videos_shape_inside_maxwidth_and_maxheight(client, make_video, size, params, player):
    video_id = make_video(width=size[0], height=size[1])
    body = oembed(client, f"{BASE}/watch/{video_id}", **params).get_json()
    assert (body["width"], body["height"]) == player
    assert body["width"] <= params.get("maxwidth", 10**6) and body["height"] <= params.get("maxheight", 10**6)
    frame = frames_in(body["html"]).frames[0]
    assert (int(frame["width"]), int(frame["height"])) == player
    # The spec: a thumbnail also respects maxwidth/maxheight, or is left out (with its size).
    if "thumbnail_url" in body:
        assert body["thumbnail_width"] <= params.get("maxwidth", 10**6)
        assert body["thumbnail_height"] <= params.get("maxheight", 10**6)
    else:
        assert "thumbnail_width" not in body and "thumbnail_height" not in body


@pytest.mark.parametrize("form", ["embed", "legacy hash", "trailing slash", "explicit port"])
def test_every_form_of_a_link_to_the_video_is_understood(client, make_video, form):
    video_id = make_video(visibility="unlisted")
    url = {"embed": f"{BASE}/embed/{video_id}?autoplay=1",
           "legacy hash": f"{BASE}/#/watch/{video_id}?t=90",
           "trailing slash": f"{BASE}/watch/{video_id}/",
           "explicit port": f"https://VIDEOS.example:443/watch/{video_id}?t=1m30s"}[form]
    answer = oembed(client, url)
    assert answer.status_code == 200, answer.get_json()
    assert frames_in(answer.get_json()["html"]).frames[0]["src"] == f"{BASE}/embed/{video_id}"


@pytest.mark.parametrize("kind", ["private", "missing", "malformed", "other site", "other scheme", "other port",
                                  "not a watch page", "not a URL", "javascript"])
def test_anything_but_a_shared_video_of_this_site_is_a_404(client, make_video, kind):
    public = make_video()
    private = make_video(visibility="private")
    url = {"private": f"{BASE}/watch/{private}",
           "missing": f"{BASE}/watch/{'0' * 32}",
           "malformed": f"{BASE}/watch/{public[:-1]}",
           "other site": f"https://evil.example/watch/{public}",
           "other scheme": f"http://videos.example/watch/{public}",
           "other port": f"https://videos.example:8443/watch/{public}",
           "not a watch page": f"{BASE}/account/{public}",
           "not a URL": "[::1",
           "javascript": f"javascript:alert('{BASE}/watch/{public}')"}[kind]
    answer = oembed(client, url)
    assert answer.status_code == 404
    body = answer.get_json()
    assert body["code"] == 404 and "Harbour" not in answer.get_data(as_text=True)


def test_only_json_is_offered_and_bad_sizes_are_refused(client, make_video):
    video_id = make_video()
    url = f"{BASE}/watch/{video_id}"
    assert oembed(client, url, format="xml").status_code == 501
    assert oembed(client, url, format="xml").get_json()["code"] == 501
    assert oembed(client, url, format="JSON").status_code == 200
    for bad in ({"maxwidth": 0}, {"maxheight": -5}, {"maxwidth": "wide"}, {"maxwidth": 10**9}):
        refused = oembed(client, url, **bad)
        assert refused.status_code == 422 and next(iter(bad)) in str(refused.get_json()["errors"])
    assert client.get("/api/oembed").status_code == 422  # no url at all
