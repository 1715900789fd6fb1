"""Security headers: nosniff, no referrer, each kind of answer's CSP, and what caches may keep, in every topology."""

from __future__ import annotations

import base64
import hashlib
import re
from urllib.parse import urlsplit

import pytest
from flask import Flask, Response, jsonify

from tests.live_server import serving
from tests.topologies.events import make_event, reply_header
from videoforge import create_app
from videoforge.config import ConfigError
from videoforge.headers import allow_framing, client_policy, parse_policy, storage_origins
from videoforge.lambda_adapter import make_handler
from videoforge.ports.storage import get_storage

PASSWORD = "correct horse battery staple"
BASE = {"PUBLIC_URL": "https://videos.example", "STORAGE_BACKEND": "local", "AUTH_BACKEND": "local"}


def csp(response) -> dict[str, list[str]]:
    return parse_policy(response.headers["Content-Security-Policy"])


def assert_common(response) -> None:
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Referrer-Policy"] == "no-referrer"
    assert csp(response)["frame-ancestors"] == ["'none'"]


@pytest.fixture
def web_app(tmp_path):
    """An app with the web module only: no database, so each test builds its own cheaply."""

    def make(**overrides):
        return create_app(INSTANCE_PATH=str(tmp_path / "instance"), MODULES=["web"], LOG_LEVEL="WARNING",
                          TESTING=True, **overrides)

    return make


# --- JSON API, auth, libraries, stored objects ------------------------------------------------------------------


def test_json_api_answers_run_nothing_and_are_not_stored(client):
    response = client.get("/api/gallery/public")
    assert response.status_code == 200
    assert_common(response)
    assert csp(response) == {"default-src": ["'none'"], "frame-ancestors": ["'none'"]}
    assert response.headers["Cache-Control"] == "no-store"
    missing = client.get("/api/gallery/videos/nope")  # errors too
    assert_common(missing)
    assert missing.headers["Cache-Control"] == "no-store"


def test_every_auth_answer_is_no_store(client):
    signup = client.post("/api/auth/signup", json={"email": "kept@example.test", "password": PASSWORD})
    token = client.post("/api/auth/token", json={"email": "kept@example.test", "password": PASSWORD})
    refresh = client.post("/api/auth/refresh", json={"refresh_token": token.json["refresh_token"]})
    bearer = {"Authorization": f"Bearer {refresh.json['access_token']}"}
    answers = {
        "signup": signup, "token": token, "refresh": refresh,
        "me": client.get("/api/auth/me", headers=bearer),
        "mfa": client.post("/api/auth/mfa/totp", headers=bearer),
        "config": client.get("/api/auth/config"),
        "wrong password": client.post("/api/auth/token", json={"email": "kept@example.test", "password": "nope" * 3}),
        "no token": client.get("/api/auth/me"),
    }
    assert [(name, r.status_code) for name, r in answers.items()] == [
        ("signup", 201), ("token", 200), ("refresh", 200), ("me", 200), ("mfa", 201), ("config", 200),
        ("wrong password", 401), ("no token", 401)]
    for name, response in answers.items():
        assert response.headers["Cache-Control"] == "no-store", name
        assert_common(response)
    # Public keys are the same for everyone: they keep their own caching.
    assert client.get("/api/auth/.well-known/jwks.json").headers["Cache-Control"] == "public, max-age=300"


def test_per_user_answers_are_not_stored(client, auth_headers):
    owner = auth_headers()
    created = client.post("/api/gallery/uploads", headers=owner,
                          json={"filename": "a.mp4", "size": 1000, "content_type": "video/mp4"})
    assert created.status_code == 201, created.json
    video_id = created.json["video"]["id"]
    answers = {
        "upload URLs": created,
        "upload state": client.get(f"/api/gallery/uploads/{video_id}", headers=owner),
        "my videos": client.get("/api/gallery/videos", headers=owner),
        "video for its owner": client.get(f"/api/gallery/videos/{video_id}", headers=owner),
        "admin": client.get("/api/admin/queue", headers=auth_headers(groups=["admin"])),
    }
    for name, response in answers.items():
        assert response.status_code in (200, 201), (name, response.json)
        assert response.headers["Cache-Control"] == "no-store", name


def test_signed_storage_object_is_nosniff_and_kept_per_caller(app, client, tmp_path):
    storage = get_storage(app)
    source = tmp_path / "poster.jpg"
    source.write_bytes(b"\xff\xd8\xff not really a jpeg")
    storage.upload_file("processed/v1/poster.jpg", str(source), "image/jpeg")
    with app.test_request_context():  # without PUBLIC_URL, URLs are made for the request being answered
        url = storage.presign_get("processed/v1/poster.jpg", 600)
    parts = urlsplit(url)
    response = client.get(f"{parts.path}?{parts.query}")
    assert response.status_code == 200 and response.mimetype == "image/jpeg"
    assert_common(response)
    assert csp(response)["default-src"] == ["'none'"]
    assert response.cache_control.private and response.cache_control.max_age > 0  # the view's own caching
    assert "Authorization" in response.vary  # private: keyed by who asked


# --- HTML: the web client and the API docs ----------------------------------------------------------------------


def test_client_shell_runs_only_its_own_scripts(web_app):
    response = web_app(**BASE).test_client().get("/")
    assert response.status_code == 200 and response.mimetype == "text/html"
    assert_common(response)
    policy = csp(response)
    assert policy["default-src"] == ["'self'"]
    assert policy["script-src"] == ["'self'"] and policy["style-src"] == ["'self'"]
    assert policy["worker-src"] == ["'self'", "blob:"]  # hls.js's transmuxer
    # MediaSource, hls.js's subtitle tracks, local storage
    assert policy["media-src"] == ["'self'", "blob:", "data:", "https://videos.example"]
    assert policy["img-src"] == ["'self'", "data:", "https://videos.example"]
    assert policy["connect-src"] == ["'self'", "https://videos.example"]
    assert policy["object-src"] == ["'none'"] and policy["base-uri"] == ["'none'"]
    assert response.headers["Cache-Control"] == "no-cache"  # the view's own: a new build shows at once


def test_swagger_ui_inline_script_is_allowed_by_its_hash_only(client):
    response = client.get("/api/docs")
    assert response.status_code == 200
    assert_common(response)
    scripts = re.findall(rb"<script>(.*?)</script>", response.data, re.S)
    assert len(scripts) == 1 and b"validatorUrl" in scripts[0]  # no badge fetched from swagger.io
    digest = base64.b64encode(hashlib.sha256(scripts[0]).digest()).decode()
    policy = csp(response)
    assert policy["script-src"] == ["'self'", f"'sha256-{digest}'"]
    assert policy["style-src"] == ["'self'"] and policy["default-src"] == ["'none'"]


def test_redoc_page_alone_gets_inline_styles_and_a_blob_worker(client):
    policy = csp(client.get("/api/redoc"))
    assert policy["script-src"] == ["'self'"]
    assert policy["style-src"] == ["'self'", "'unsafe-inline'"]
    assert policy["worker-src"] == ["blob:"]
    assert csp(client.get("/api/openapi.json")) == {"default-src": ["'none'"], "frame-ancestors": ["'none'"]}


# --- where the client's sources come from -----------------------------------------------------------------------


@pytest.mark.parametrize("settings, origin", [
    ({}, "https://videos.example"),
    ({"STORAGE_BACKEND": "s3", "S3_BUCKET": "media"}, "https://s3.us-east-1.amazonaws.com"),
    ({"STORAGE_BACKEND": "s3", "S3_BUCKET": "media", "S3_REGION": "eu-west-3", "S3_ADDRESSING_STYLE": "virtual"},
     "https://media.s3.eu-west-3.amazonaws.com"),
    ({"STORAGE_BACKEND": "s3", "S3_BUCKET": "media", "S3_ENDPOINT_URL": "http://s3:8333"}, "http://s3:8333"),
    ({"STORAGE_BACKEND": "s3", "S3_BUCKET": "media", "S3_ENDPOINT_URL": "http://s3:8333",
      "S3_PUBLIC_ENDPOINT_URL": "http://LOCALHOST:8333/"}, "http://localhost:8333"),
    ({"STORAGE_BACKEND": "s3", "S3_BUCKET": "media", "S3_PUBLIC_ENDPOINT_URL": "https://cdn.example:8443",
      "S3_ADDRESSING_STYLE": "virtual"}, "https://media.cdn.example:8443"),
])
def test_storage_origin_follows_how_urls_are_signed(settings, origin):
    config = {**BASE, **settings}
    assert storage_origins(config) == [origin]
    policy = client_policy(config)
    for directive in ("connect-src", "img-src", "media-src"):
        assert origin in policy[directive], directive


def test_cognito_hosted_ui_may_receive_forms_and_token_requests():
    policy = client_policy({**BASE, "AUTH_BACKEND": "cognito",
                            "COGNITO_DOMAIN": "https://vf.auth.eu-west-1.amazoncognito.com"})
    assert "https://vf.auth.eu-west-1.amazoncognito.com" in policy["connect-src"]
    assert policy["form-action"] == ["'self'", "https://vf.auth.eu-west-1.amazoncognito.com"]
    assert client_policy(BASE)["form-action"] == ["'self'"]


def test_operators_extra_sources_and_whole_policy(web_app):
    extra = web_app(**BASE, CSP_EXTRA_SOURCES=["https://cdn.example"]).test_client().get("/")
    for directive in ("connect-src", "img-src", "media-src"):
        assert "https://cdn.example" in csp(extra)[directive]
    assert "https://cdn.example" not in csp(extra)["script-src"]
    whole = web_app(**BASE, CONTENT_SECURITY_POLICY="default-src 'self' https://x.example").test_client().get("/")
    assert whole.headers["Content-Security-Policy"] == "default-src 'self' https://x.example; frame-ancestors 'none'"


@pytest.mark.parametrize("source", ["'unsafe-inline'", "https://a.example; script-src *", "https://a.example b"])
def test_an_extra_source_that_would_change_the_policy_stops_start_up(web_app, source):
    with pytest.raises(ConfigError, match="VIDEOFORGE_CSP_EXTRA_SOURCES"):
        web_app(CSP_EXTRA_SOURCES=[source])


def test_framing_is_opened_per_answer(web_app):
    app = web_app(**BASE)

    @app.get("/embed-probe")
    def embed_probe():
        allow_framing("https://blog.example", "https://*.partner.example")
        return Response("<!doctype html><p>embedded</p>", mimetype="text/html")

    client = app.test_client()
    policy = csp(client.get("/embed-probe"))
    assert policy["frame-ancestors"] == ["https://blog.example", "https://*.partner.example"]
    assert policy["script-src"] == ["'self'"]  # the rest of the client's policy is unchanged
    assert csp(client.get("/"))["frame-ancestors"] == ["'none'"]  # and the next answer is closed again


# --- every topology: the gateway's relayed answers and the Lambdas ------------------------------------------------


def test_gateway_relays_a_modules_headers_once_and_fills_in_missing_ones(tmp_path):
    module = Flask("module")

    @module.get("/api/gallery/own")
    def own():
        response = jsonify(ok=True)
        response.headers.update({"Content-Security-Policy": "default-src 'none'; frame-ancestors https://a.example",
                                 "X-Content-Type-Options": "nosniff", "Cache-Control": "private, max-age=5"})
        return response

    @module.get("/api/gallery/bare")
    def bare():
        return jsonify(ok=True)

    with serving(module) as url:
        gateway = create_app(MODULES=["gateway"], REMOTE_MODULES={"gallery": url}, INSTANCE_PATH=str(tmp_path),
                             AUTO_MIGRATE=False, LOG_LEVEL="WARNING", TESTING=True)
        client = gateway.test_client()
        own = client.get("/api/gallery/own")
        assert own.headers.getlist("Content-Security-Policy") == [
            "default-src 'none'; frame-ancestors https://a.example"]
        assert own.headers.getlist("X-Content-Type-Options") == ["nosniff"]
        assert own.headers.getlist("Cache-Control") == ["private, max-age=5"]
        bare = client.get("/api/gallery/bare")
        assert_common(bare)
        assert bare.headers["Cache-Control"] == "no-store"


@pytest.mark.parametrize("kind", ["http_api", "alb"])
def test_lambda_answers_carry_the_headers(web_app, kind):
    handler = make_handler(web_app(**BASE))
    page = handler(make_event(kind, "GET", "/"), None)
    assert page["statusCode"] == 200
    assert reply_header(page, "x-content-type-options") == "nosniff"
    assert "script-src 'self';" in reply_header(page, "content-security-policy")
    ready = handler(make_event(kind, "GET", "/readyz"), None)
    assert reply_header(ready, "cache-control") == "no-store"
    assert reply_header(ready, "content-security-policy") == "default-src 'none'; frame-ancestors 'none'"
