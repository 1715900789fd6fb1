"""The gateway process with the modules the split stacks give it (ansible's gateway_modules for AWS, compose's
VIDEOFORGE_MODULES locally), in-process: the web module's catch-all for the client's pages shadows none of the
gateway's own routes (health, the API, proxied modules), and its watch and embed pages read the database the gateway
holds even where gallery runs elsewhere."""

from __future__ import annotations

import uuid

import pytest
import yaml

from tests.servers import free_ports
from tests.topologies.harness import ROOT
from videoforge.models import User, Video

BASE = "https://videos.example"
PAGE = '<!doctype html><html><head><title>VideoForge</title></head><body><div id="root"></div></body></html>'


def ansible_gateway_modules() -> list[str]:
    defaults = yaml.safe_load((ROOT / "ansible/roles/gateway/defaults/main.yml").read_text())
    return defaults["gateway_modules"]


def compose_gateway_modules() -> list[str]:
    compose = yaml.safe_load((ROOT / "docker/compose.yaml").read_text())
    return compose["services"]["gateway"]["environment"]["VIDEOFORGE_MODULES"].split(",")


@pytest.fixture(params=["aws", "compose"])
def gateway(request, make_app, tmp_path):
    """AWS: gallery and streaming proxied (to a port nothing listens on); compose: both mounted in the gateway."""
    dist = tmp_path / "dist"
    dist.mkdir()
    for name in ("index.html", "embed.html"):
        (dist / name).write_text(PAGE)
    if request.param == "aws":
        (port,) = free_ports(1)
        modules = ansible_gateway_modules()
        remote = {"gallery": f"http://127.0.0.1:{port}", "streaming": f"http://127.0.0.1:{port}"}
    else:
        modules, remote = compose_gateway_modules(), {}
    app = make_app(
        MODULES=modules, REMOTE_MODULES=remote, WEB_DIST=str(dist), PUBLIC_URL=BASE, PROXY_CONNECT_TIMEOUT=1.0
    )
    assert "web" in app.extensions["videoforge.modules"]
    return app


def add_video(app, visibility: str, embed_origins: list[str] | None = None) -> str:
    with app.extensions["videoforge.db"].session() as session:
        owner = User(sub=f"owner-{uuid.uuid4()}", email=None)
        session.add(owner)
        session.flush()
        video = Video(
            owner_id=owner.id,
            title=f"A {visibility} harbour",
            visibility=visibility,
            status="ready",
            width=1280,
            height=720,
            embed_origins=embed_origins,
        )
        session.add(video)
        session.flush()
        return video.id


def test_the_catch_all_leaves_the_gateways_own_routes_alone(gateway):
    client = gateway.test_client()
    health = client.get("/healthz")
    assert health.status_code == 200 and health.is_json
    videos = client.get("/api/gallery/videos")
    # Proxied (502: nothing listens) or mounted (401: no token); never the web module's 404.
    assert videos.status_code in (401, 502) and videos.is_json, videos.data[:300]
    unknown = client.get("/api/no-such-module")
    assert unknown.status_code == 404 and unknown.is_json


def test_watch_embed_and_oembed_read_the_gateways_database(gateway):
    client = gateway.test_client()
    public = add_video(gateway, "public", embed_origins=["https://partner.example"])
    private = add_video(gateway, "private")

    watch = client.get(f"/watch/{public}")
    assert watch.status_code == 200
    assert '<meta property="og:title" content="A public harbour">' in watch.text
    embed = client.get(f"/embed/{public}")
    assert embed.status_code == 200
    assert "frame-ancestors https://partner.example" in embed.headers["Content-Security-Policy"]
    oembed = client.get("/api/oembed", query_string={"url": f"{BASE}/watch/{public}"})
    assert oembed.status_code == 200 and oembed.json["title"] == "A public harbour"

    hidden, absent = client.get(f"/watch/{private}"), client.get(f"/watch/{uuid.uuid4().hex}")
    assert hidden.status_code == absent.status_code == 200 and hidden.data == absent.data
    assert "private harbour" not in hidden.text
    refused = client.get(f"/embed/{private}")
    assert refused.status_code == 404
    assert "frame-ancestors 'none'" in refused.headers["Content-Security-Policy"]
