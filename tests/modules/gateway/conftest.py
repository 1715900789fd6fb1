"""Gateway fixtures: a real upstream module on loopback and gateway apps served over real HTTP."""

from __future__ import annotations

import gzip
import hashlib
import time

import pytest
from flask import Flask, Response, jsonify, redirect, request

from tests.live_server import serving as serve
from videoforge import create_app


def echo_app() -> Flask:
    """A stand-in remote gallery module: it reports what reached it."""
    app = Flask("upstream")

    @app.route("/api/gallery/echo", defaults={"rest": ""}, methods=["GET", "POST", "PUT", "PATCH", "DELETE"])
    @app.route("/api/gallery/echo/<path:rest>", methods=["GET", "POST", "PUT", "PATCH", "DELETE"])
    def echo(rest):
        body = request.get_data()
        return jsonify(
            method=request.method, path=request.path, raw_uri=request.environ.get("RAW_URI"),
            query=request.query_string.decode(), tags=request.args.getlist("tag"),
            headers={k.lower(): v for k, v in request.headers.items()},
            body_length=len(body), body_sha256=hashlib.sha256(body).hexdigest(),
            chunked="chunked" in request.headers.get("Transfer-Encoding", ""))

    @app.get("/api/gallery/big")
    def big():
        size = int(request.args["size"])

        def chunks():
            block = b"v" * 65536
            for start in range(0, size, len(block)):
                yield block[: size - start]

        return Response(chunks(), mimetype="application/octet-stream", headers={"Content-Length": str(size)})

    @app.get("/api/gallery/cookies")
    def cookies():
        response = jsonify(ok=True)
        response.set_cookie("first", "1")
        response.set_cookie("second", "2")
        return response

    @app.get("/api/gallery/hop")
    def hop():
        response = jsonify(ok=True)
        response.headers["X-Private-Hop"] = "secret"
        response.headers["Connection"] = "X-Private-Hop"
        response.headers["Access-Control-Allow-Origin"] = "https://evil.example"
        return response

    @app.get("/api/gallery/gzip")
    def gzipped():
        payload = gzip.compress(b'{"compressed": true}')
        return Response(payload, mimetype="application/json", headers={"Content-Encoding": "gzip"})

    @app.get("/api/gallery/slow")
    def slow():
        time.sleep(float(request.args.get("seconds", "2")))
        return jsonify(ok=True)

    @app.get("/api/gallery/moved")
    def moved():
        return redirect("/api/gallery/echo", code=302)

    return app


@pytest.fixture(scope="module")
def upstream():
    """Base URL of the stand-in remote module."""
    with serve(echo_app()) as url:
        yield url


@pytest.fixture(scope="session")
def gateway_instance(tmp_path_factory):
    """One instance folder for every gateway app, so the local signing key is made once."""
    return str(tmp_path_factory.mktemp("gateway-instance"))


@pytest.fixture
def make_gateway(gateway_instance):
    """Build a gateway-only app (no database) proxying `gallery` to the given URL."""

    def factory(remote_url: str, **overrides):
        settings = {
            "MODULES": ["gateway"], "REMOTE_MODULES": {"gallery": remote_url},
            "INSTANCE_PATH": gateway_instance, "AUTO_MIGRATE": False, "LOG_LEVEL": "WARNING",
            "TESTING": True, "PROXY_READ_TIMEOUT": 1.0, "PROXY_CONNECT_TIMEOUT": 1.0,
        }
        settings.update(overrides)
        return create_app(**settings)

    return factory


@pytest.fixture
def gateway_url(make_gateway, upstream):
    """A default gateway in front of the upstream, served over real HTTP."""
    with serve(make_gateway(upstream)) as url:
        yield url
