"""Lambda handlers answer HTTP API v2, Function URL and ALB events: bodies, query keys, cookies, playlists."""

from __future__ import annotations

import hashlib
import importlib
import json
import os
import subprocess
import sys
import uuid

import pytest
from flask import Flask, Response, jsonify, request

from tests.topologies.events import KINDS, make_event, reply_body, reply_header, reply_headers
from videoforge.lambda_adapter import make_handler, normalise_event

PNG = bytes.fromhex("89504e470d0a1a0a") + bytes(range(256))
PLAYLIST = "#EXTM3U\n#EXT-X-VERSION:7\n#EXT-X-STREAM-INF:BANDWIDTH=800000\n360p/index.m3u8\n"


def probe_app() -> Flask:
    """A small app that shows what the adapter handed to Flask and returns each kind of body."""
    app = Flask("probe")

    @app.route("/echo", methods=["POST", "PUT"])
    def echo():
        body = request.get_data()
        return jsonify(length=len(body), sha256=hashlib.sha256(body).hexdigest(),
                       content_type=request.content_type, tags=request.args.getlist("tag"),
                       q=request.args.get("q"), authorization=request.headers.get("Authorization"),
                       cookie=request.cookies.get("session"))

    @app.get("/poster.png")
    def poster():
        return Response(PNG, mimetype="image/png")

    @app.get("/master.m3u8")
    def master():
        return Response(PLAYLIST, mimetype="application/vnd.apple.mpegurl")

    @app.get("/cookies")
    def cookies():
        response = jsonify(ok=True)
        response.set_cookie("a", "1")
        response.set_cookie("b", "2")
        response.set_cookie("c", "3")
        return response

    return app


@pytest.fixture(scope="module")
def probe():
    return make_handler(probe_app())


@pytest.mark.parametrize("kind", KINDS)
def test_json_body_and_repeated_query_keys(probe, kind):
    body = json.dumps({"title": "sea", "emoji": "\N{WATER WAVE}"}).encode()
    reply = probe(make_event(kind, "POST", "/echo", query=[("tag", "a b"), ("tag", "c&d"), ("q", "x/y")],
                             headers={"content-type": "application/json",
                                      "content-length": str(len(body))}, body=body), None)
    assert reply["statusCode"] == 200
    assert reply.get("isBase64Encoded") is False  # JSON comes back as text
    seen = json.loads(reply["body"])
    assert seen["sha256"] == hashlib.sha256(body).hexdigest()
    assert seen["tags"] == ["a b", "c&d"] and seen["q"] == "x/y"


@pytest.mark.parametrize("kind", KINDS)
def test_body_without_content_length_reaches_flask(probe, kind):
    """Chunked requests arrive with no content-length: the body must still reach the view."""
    body = json.dumps({"title": "chunked"}).encode()
    event = make_event(kind, "POST", "/echo", headers={"content-type": "application/json",
                                                        "transfer-encoding": "chunked"}, body=body)
    seen = json.loads(probe(event, None)["body"])
    assert seen["length"] == len(body)
    assert seen["sha256"] == hashlib.sha256(body).hexdigest()


def test_without_normalising_the_body_is_lost():
    """Guards the test above: Mangum over a2wsgi alone drops the body, so normalise_event is what fixes it."""
    from a2wsgi import WSGIMiddleware
    from mangum import Mangum

    bare = Mangum(WSGIMiddleware(probe_app(), workers=1), lifespan="off")
    event = make_event("http_api", "POST", "/echo", headers={"content-type": "application/json"}, body=b'{"a": 1}')
    assert json.loads(bare(event, None)["body"])["length"] == 0


@pytest.mark.parametrize("kind", KINDS)
def test_binary_body_in_and_out(probe, kind):
    reply = probe(make_event(kind, "PUT", "/echo", headers={"content-type": "application/octet-stream"},
                             body=PNG, binary=True), None)
    seen = json.loads(reply_body(reply))
    assert seen["length"] == len(PNG) and seen["sha256"] == hashlib.sha256(PNG).hexdigest()

    image = probe(make_event(kind, "GET", "/poster.png"), None)
    assert image["isBase64Encoded"] is True
    assert reply_body(image) == PNG


@pytest.mark.parametrize("kind", KINDS)
def test_playlists_come_back_as_text(probe, kind):
    reply = probe(make_event(kind, "GET", "/master.m3u8"), None)
    assert reply["isBase64Encoded"] is False
    assert reply["body"] == PLAYLIST
    assert reply_header(reply, "content-type").startswith("application/vnd.apple.mpegurl")


@pytest.mark.parametrize("kind", KINDS)
def test_several_set_cookie_headers_and_request_cookies(probe, kind):
    reply = probe(make_event(kind, "GET", "/cookies"), None)
    cookies = sorted(v.split(";")[0] for k, v in reply_headers(reply) if k == "set-cookie")
    assert cookies == ["a=1", "b=2", "c=3"]
    seen = json.loads(probe(make_event(kind, "POST", "/echo", body=b"", cookies=["session=s1", "x=2"]), None)["body"])
    assert seen["cookie"] == "s1"


@pytest.mark.parametrize("kind", KINDS)
def test_sigv4_authorization_gives_way_to_the_forwarded_bearer(probe, kind):
    signed = {"authorization": "AWS4-HMAC-SHA256 Credential=AKID/20261129/us-east-1/lambda/aws4_request, "
                               "SignedHeaders=host;x-amz-date, Signature=abc",
              "x-forwarded-authorization": "Bearer user.token"}
    seen = json.loads(probe(make_event(kind, "POST", "/echo", headers=signed, body=b"{}"), None)["body"])
    assert seen["authorization"] == "Bearer user.token"
    plain = json.loads(probe(make_event(kind, "POST", "/echo", headers={"authorization": "Bearer own"},
                                        body=b"{}"), None)["body"])
    assert plain["authorization"] == "Bearer own"


def test_normalising_does_not_change_the_callers_event():
    event = make_event("alb", "POST", "/echo", body=b"abc")
    before = json.dumps(event, sort_keys=True)
    fixed = normalise_event(event)
    assert fixed["multiValueHeaders"]["content-length"] == ["3"]
    assert json.dumps(event, sort_keys=True) == before


# --- the real entrypoints, in-process -------------------------------------------------------------------------


@pytest.fixture
def entrypoint(tmp_path, monkeypatch):
    """Import an entrypoint module fresh, configured by environment like Lambda would be."""
    from videoforge import create_app

    url = f"sqlite:///{tmp_path}/lambda.db"
    env = {"VIDEOFORGE_DATABASE_URL": url, "VIDEOFORGE_INSTANCE_PATH": str(tmp_path / "instance"),
           "VIDEOFORGE_STORAGE_PATH": str(tmp_path / "storage"), "VIDEOFORGE_LOG_LEVEL": "WARNING"}
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    create_app(MODULES=["gallery", "streaming"], AUTO_MIGRATE=True).extensions["videoforge.db"].engine.dispose()

    def load(name: str):
        sys.modules.pop(f"entrypoints.{name}", None)
        return importlib.import_module(f"entrypoints.{name}").handler

    return load


def bearer(handler) -> str:
    from videoforge.identity.setup import local_issuer_url, signing_key
    from videoforge.identity.tokens import mint_tokens

    app = handler.app
    tokens = mint_tokens(signing_key(app), issuer=local_issuer_url(app.config),
                         client_id=app.config["AUTH_CLIENT_ID"], sub=str(uuid.uuid4()),
                         email=f"{uuid.uuid4().hex[:8]}@example.test", groups=[], ttl=600)
    return f"Bearer {tokens['access_token']}"


@pytest.mark.parametrize("kind", KINDS)
def test_gallery_handler_serves_its_module_only(entrypoint, kind):
    handler = entrypoint("lambda_gallery")
    assert set(handler.app.extensions["videoforge.modules"]) == {"gallery"}
    ready = handler(make_event(kind, "GET", "/readyz", headers={"x-request-id": "lambda-1"}), None)
    assert ready["statusCode"] == 200 and json.loads(ready["body"]) == {"status": "ready"}
    assert reply_header(ready, "x-request-id") == "lambda-1"
    unauthenticated = handler(make_event(kind, "GET", "/api/gallery/videos"), None)
    assert unauthenticated["statusCode"] == 401
    assert json.loads(unauthenticated["body"])["code"] == 401
    token = bearer(handler)
    listing = handler(make_event(kind, "GET", "/api/gallery/videos", query=[("status", "ready")],
                                 headers={"authorization": token}), None)
    assert listing["statusCode"] == 200, listing["body"]
    body = json.dumps({"title": "from lambda", "filename": "a.mp4", "size": 1000,
                       "content_type": "video/mp4"}).encode()
    created = handler(make_event(kind, "POST", "/api/gallery/uploads", body=body, headers={
        "authorization": token, "content-type": "application/json", "transfer-encoding": "chunked"}), None)
    assert created["statusCode"] == 201, created["body"]
    assert json.loads(created["body"])["video"]["title"] == "from lambda"


@pytest.mark.parametrize("kind", KINDS)
def test_streaming_handler_serves_its_module_only(entrypoint, kind):
    handler = entrypoint("lambda_streaming")
    assert set(handler.app.extensions["videoforge.modules"]) == {"streaming"}
    missing = handler(make_event(kind, "GET", f"/api/streaming/videos/{uuid.uuid4()}",
                                 headers={"authorization": bearer(handler)}), None)
    assert missing["statusCode"] in (404, 400)
    assert json.loads(missing["body"])["code"] == missing["statusCode"]
    assert handler(make_event(kind, "GET", "/api/gallery/videos"), None)["statusCode"] == 404


VARIANT = "#EXTM3U\n#EXT-X-VERSION:7\n#EXT-X-TARGETDURATION:4\n#EXT-X-MAP:URI=\"init.mp4\"\n#EXTINF:4.000,\n" \
          "seg_00000.m4s\n#EXT-X-ENDLIST\n"


def publish_public_video(app, tmp_path) -> str:
    """A public, ready video with a published 360p rung, as the worker leaves it."""
    from videoforge.models import MediaAsset, User, Video
    from videoforge.ports.storage import get_storage

    source = tmp_path / "index.m3u8"
    source.write_text(VARIANT)
    with app.extensions["videoforge.db"].session() as session:
        owner = User(sub=str(uuid.uuid4()), email=f"{uuid.uuid4().hex[:8]}@example.test", groups=[])
        session.add(owner)
        session.flush()
        video = Video(owner_id=owner.id, title="lambda clip", visibility="public", status="ready", duration=4.0,
                      width=640, height=360)
        session.add(video)
        session.flush()
        key = f"processed/{video.id}/360p/index.m3u8"
        get_storage(app).upload_file(key, str(source), "application/vnd.apple.mpegurl")
        session.add(MediaAsset(video_id=video.id, kind="variant", rung="360p", width=640, height=360,
                               bitrate=1040000, codecs="avc1.64001e,mp4a.40.2", key=key))
        return str(video.id)


@pytest.mark.parametrize("kind", KINDS)
def test_streaming_handler_returns_playlists_as_text(entrypoint, tmp_path, kind):
    handler = entrypoint("lambda_streaming")
    video_id = publish_public_video(handler.app, tmp_path)
    master = handler(make_event(kind, "GET", f"/api/streaming/videos/{video_id}/master.m3u8"), None)
    assert master["statusCode"] == 200, master["body"]
    assert master["isBase64Encoded"] is False
    assert master["body"].startswith("#EXTM3U")
    assert "mpegurl" in reply_header(master, "content-type").lower()
    variant_uri = next(line for line in master["body"].splitlines() if line and not line.startswith("#"))
    path, _, query = variant_uri.partition("?")
    variant = handler(make_event(kind, "GET", f"/api/streaming/videos/{video_id}/{path}",
                                 query=[tuple(p.split("=", 1)) for p in query.split("&") if p]), None)
    assert variant["statusCode"] == 200, variant["body"]
    assert variant["isBase64Encoded"] is False
    assert "seg_00000.m4s" in variant["body"] and "#EXT-X-ENDLIST" in variant["body"]


def test_gallery_handler_starts_without_boto3_or_a_database_dialect(tmp_path):
    """Cold start stays lean: S3 storage configured, yet neither boto3 nor PostgreSQL's driver loads at start."""
    code = (
        "import sys, entrypoints.lambda_gallery as e\n"
        "print(sorted(m for m in ('boto3', 'botocore', 'psycopg', 'sqlalchemy.dialects.postgresql', 'alembic')"
        " if m in sys.modules))"
    )
    env = {**os.environ, "VIDEOFORGE_STORAGE_BACKEND": "s3", "VIDEOFORGE_S3_BUCKET": "videos",
           "VIDEOFORGE_DATABASE_URL": "postgresql+psycopg://nobody@127.0.0.1:1/none",
           "VIDEOFORGE_INSTANCE_PATH": str(tmp_path / "instance"), "VIDEOFORGE_LOG_LEVEL": "WARNING"}
    result = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=60,
                            cwd=os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))))
    assert result.returncode == 0, result.stderr[-2000:]
    loaded = eval(result.stdout.strip().splitlines()[-1])
    assert "boto3" not in loaded and "botocore" not in loaded, loaded
    assert "alembic" not in loaded, loaded


@pytest.mark.parametrize("kind", KINDS)
def test_streaming_handler_grants_cdn_cookies_and_cdn_urls(entrypoint, tmp_path, monkeypatch, kind):
    """On Lambda behind the CDN with signed cookies: the three CloudFront cookies come back as separate Set-Cookie
    headers (the v2 `cookies` list, multi-value headers), and the playlist names the CDN without a signature."""
    from tests.edge import CloudFrontKey

    key = CloudFrontKey.generate()
    for name, value in {"MEDIA_DELIVERY": "cdn", "CDN_URL": "https://media.example.com",
                        "CDN_KEY_PAIR_ID": key.key_pair_id, "CDN_PRIVATE_KEY": key.private_pem.replace("\n", "\\n"),
                        "CDN_SIGNED_COOKIES": "true", "CDN_COOKIE_DOMAIN": "example.com"}.items():
        monkeypatch.setenv(f"VIDEOFORGE_{name}", value)
    handler = entrypoint("lambda_streaming")
    video_id = publish_public_video(handler.app, tmp_path)
    master = handler(make_event(kind, "GET", f"/api/streaming/videos/{video_id}/master.m3u8"), None)
    variant_uri = next(line for line in master["body"].splitlines() if line and not line.startswith("#"))
    path, _, query = variant_uri.partition("?")
    variant = handler(make_event(kind, "GET", f"/api/streaming/videos/{video_id}/{path}",
                                 query=[tuple(p.split("=", 1)) for p in query.split("&") if p]), None)
    assert variant["statusCode"] == 200, variant["body"]
    assert f"https://media.example.com/processed/{video_id}/360p/seg_00000.m4s\n" in variant["body"]
    cookies = [value for name, value in reply_headers(variant) if name == "set-cookie"]
    assert sorted(c.split("=", 1)[0] for c in cookies) == [
        "CloudFront-Key-Pair-Id", "CloudFront-Policy", "CloudFront-Signature"]
    assert all(f"Path=/processed/{video_id}/" in c and "Domain=example.com" in c and "HttpOnly" in c
               and "Secure" in c for c in cookies)
