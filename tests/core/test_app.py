"""The factory: config layers, module selection and isolation, errors in one shape, health."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest
from flask_smorest import Blueprint
from marshmallow import Schema, fields
from sqlalchemy import create_engine, text
from sqlalchemy.exc import OperationalError

from tests.conftest import POSTGRES_ONLY
from videoforge import create_app
from videoforge.config import ConfigError
from videoforge.db import get_session


def test_config_precedence_defaults_file_overrides_env(tmp_path, monkeypatch):
    settings = tmp_path / "settings.py"
    settings.write_text("QUEUE_VISIBILITY_TIMEOUT = 11\nQUEUE_MAX_RECEIVES = 7\nPUBLIC_URL = 'http://file:1'\n")
    monkeypatch.setenv("VIDEOFORGE_SETTINGS", str(settings))
    monkeypatch.setenv("VIDEOFORGE_QUEUE_MAX_RECEIVES", "9")
    app = create_app(INSTANCE_PATH=str(tmp_path / "i"), MODULES=["gallery"],
                     QUEUE_MAX_RECEIVES=8, PUBLIC_URL="http://override:2", LOG_LEVEL="WARNING")
    assert app.config["QUEUE_VISIBILITY_TIMEOUT"] == 11  # file beats default
    assert app.config["PUBLIC_URL"] == "http://override:2"  # override beats file
    assert app.config["QUEUE_MAX_RECEIVES"] == 9  # environment beats override, typed as int
    assert app.config["UPLOAD_MAX_SIZE"] == 5 * 1024**3  # module default applied


@pytest.mark.parametrize("env, message", [
    ({"VIDEOFORGE_MODULES": "gallery,nosuch"}, "unknown module nosuch; installed:"),
    ({"VIDEOFORGE_MODULES": "gallery", "VIDEOFORGE_REMOTE_MODULES": "gallery=http://127.0.0.1:9"},
     "gallery is both local and remote"),
    ({"VIDEOFORGE_STORAGE_BACKEND": "ftp"}, "VIDEOFORGE_STORAGE_BACKEND: 'ftp' is not one of local, s3"),
    ({"VIDEOFORGE_QUEUE_BACKEND": "kafka"}, "VIDEOFORGE_QUEUE_BACKEND"),
    ({"VIDEOFORGE_PUBLIC_URL": "not a url"}, "VIDEOFORGE_PUBLIC_URL: 'not a url' is not an http(s) URL"),
    ({"VIDEOFORGE_MODULES": "streaming", "VIDEOFORGE_REMOTE_MODULES": "gallery=ftp://x"}, "REMOTE_MODULES[gallery]"),
    ({"VIDEOFORGE_QUEUE_MAX_RECEIVES": "three"}, "VIDEOFORGE_QUEUE_MAX_RECEIVES: 'three' is not a valid int"),
])
def test_bad_config_stops_start_up_naming_the_key(tmp_path, monkeypatch, env, message):
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    with pytest.raises(ConfigError) as err:
        create_app(INSTANCE_PATH=str(tmp_path))
    assert message in str(err.value)
    assert "\n" not in str(err.value)


def test_cli_reports_config_error_in_one_line(tmp_path):
    env = {"VIDEOFORGE_STORAGE_BACKEND": "ftp", "VIDEOFORGE_INSTANCE_PATH": str(tmp_path), "PATH": "/usr/bin:/bin"}
    out = subprocess.run([sys.executable, "-m", "videoforge", "routes"], env=env, capture_output=True, text=True)
    assert out.returncode == 2
    assert out.stderr.strip().splitlines()[-1].startswith("configuration error: VIDEOFORGE_STORAGE_BACKEND")


def test_gallery_only_process_does_not_import_other_modules(tmp_path):
    code = (
        "import sys, json; from videoforge import create_app;"
        f"app = create_app(MODULES=['gallery'], INSTANCE_PATH={str(tmp_path)!r}, LOG_LEVEL='WARNING');"
        "print(json.dumps(sorted(m for m in sys.modules if m.startswith('videoforge.modules.'))))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    loaded = json.loads(out.stdout.strip().splitlines()[-1])
    assert "videoforge.modules.gallery" in loaded
    for other in ("streaming", "processor", "gateway", "web"):
        assert not any(m.startswith(f"videoforge.modules.{other}") for m in loaded), loaded


def test_every_installed_module_is_enabled_by_default(app):
    assert {"gallery", "streaming", "gateway", "processor", "auth", "web"} <= set(app.extensions["videoforge.modules"])


def test_named_own_modules_are_found_without_scanning_every_installed_package(monkeypatch):
    """A Lambda names its one module: VideoForge's own metadata answers, the scan of every distribution (5-7 ms of
    each cold start) never runs; an unknown name still gets the whole installed list in its error."""
    import videoforge.modules as registry

    scans = []
    real_scan = registry.entry_points
    monkeypatch.setattr(registry, "entry_points", lambda **kw: scans.append(kw) or real_scan(**kw))
    assert [m.name for m in registry.select_modules(["streaming"], {"gallery": "http://127.0.0.1:9"})] == ["streaming"]
    assert scans == []
    with pytest.raises(ConfigError, match=r"unknown module nosuch; installed: .*gallery.*streaming"):
        registry.select_modules(["gallery", "nosuch"], {})
    assert scans == [{"group": registry.ENTRY_POINT_GROUP}]
    everything = [m.name for m in registry.select_modules([], {"gallery": "http://127.0.0.1:9"})]
    assert len(scans) == 2  # none named: every installed module, another package's too
    assert {"streaming", "processor"} <= set(everything) and "gallery" not in everything


class EchoSchema(Schema):
    name = fields.String(required=True)


def _app_with_echo(make_app):
    app = make_app()
    blp = Blueprint("echo", __name__)

    @blp.post("/")
    @blp.arguments(EchoSchema)
    @blp.response(200, EchoSchema)
    def echo(data):
        return data

    @blp.get("/boom")
    def boom():
        raise RuntimeError("secret detail")

    app.extensions["videoforge.api"].register_blueprint(blp, url_prefix="/api/echo")
    return app


def _assert_shape(response, code):
    assert response.status_code == code
    body = response.get_json()
    assert body["code"] == code and isinstance(body["status"], str) and isinstance(body["message"], str)
    return body


def test_errors_share_one_json_shape(make_app):
    app = _app_with_echo(make_app)
    client = app.test_client()
    _assert_shape(client.get("/api/nothing-here"), 404)
    _assert_shape(client.delete("/healthz"), 405)
    _assert_shape(client.post("/api/echo/", data="{not json", content_type="application/json"), 400)
    body = _assert_shape(client.post("/api/echo/", json={"name": 5}), 422)
    assert "name" in json.dumps(body["errors"])
    _assert_shape(client.post("/api/echo/", data=b"x" * (2 * 1024 * 1024), content_type="application/json"), 413)
    app.config["PROPAGATE_EXCEPTIONS"] = False
    body = _assert_shape(client.get("/api/echo/boom"), 500)
    assert "secret detail" not in json.dumps(body)


def test_health_and_readiness(client):
    assert client.get("/healthz").get_json() == {"status": "ok"}
    assert client.get("/readyz").status_code == 200


def test_readiness_fails_with_503_when_database_is_gone(tmp_path):
    app = create_app(INSTANCE_PATH=str(tmp_path), AUTO_MIGRATE=False, LOG_LEVEL="ERROR", WORKER_IN_PROCESS=False,
                     DATABASE_URL="postgresql+psycopg://postgres@127.0.0.1:1/none?connect_timeout=1")
    response = app.test_client().get("/readyz")
    assert response.status_code == 503
    assert response.headers["Retry-After"]
    assert app.test_client().get("/healthz").status_code == 200


def test_openapi_document_and_docs_pages(client):
    spec = client.get("/api/openapi.json").get_json()
    assert spec["openapi"].startswith("3.") and spec["info"]["title"] == "VideoForge"
    page = client.get("/api/docs")
    assert page.status_code == 200 and b"swagger-ui" in page.data
    asset = client.get("/api/docs/assets/swagger-ui-bundle.js")
    assert asset.status_code == 200 and len(asset.data) > 100_000
    redoc = client.get("/api/redoc")
    assert redoc.status_code == 200 and b"/api/docs/redoc.standalone.js" in redoc.data
    bundle = client.get("/api/docs/redoc.standalone.js")  # from the client build (`make test` builds it)
    assert bundle.status_code == 200 and len(bundle.data) > 100_000


def test_request_id_is_echoed_or_made(client):
    assert client.get("/healthz", headers={"X-Request-Id": "abc-123"}).headers["X-Request-Id"] == "abc-123"
    made = client.get("/healthz", headers={"X-Request-Id": "bad id <script>"}).headers["X-Request-Id"]
    assert made != "bad id <script>" and len(made) == 16


def test_a_process_without_database_modules_starts_without_migrating(tmp_path):
    app = create_app(MODULES=["gateway"], INSTANCE_PATH=str(tmp_path), LOG_LEVEL="WARNING")
    assert "videoforge.db" not in app.extensions
    assert app.test_client().get("/readyz").status_code == 200


@POSTGRES_ONLY
def test_a_connection_lost_after_the_answer_keeps_the_answer(make_app, database_url):
    """The database restarting between a request's last statement and its teardown: the session cannot roll back,
    and the answer made stands (it was the WSGI server's HTML 500 before), and the next request gets a new
    connection from the pool."""
    app = make_app()
    admin = create_engine(database_url, isolation_level="AUTOCOMMIT")

    @app.after_request
    def cut_the_connection(response):  # as a fast shutdown does, while the session is still open
        pid = get_session().execute(text("SELECT pg_backend_pid()")).scalar_one()
        with admin.connect() as conn:
            conn.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": pid})
        return response

    client = app.test_client()
    for _ in range(2):
        answer = client.get("/api/gallery/public")
        assert answer.status_code == 200 and answer.is_json, answer.data[:200]
    admin.dispose()


@POSTGRES_ONLY
def test_a_write_conflict_is_a_503_to_try_again_not_an_outage(make_app, database_url):
    """PostgreSQL undoing a transaction for a serialization failure (or a deadlock) is answered 503 with a short
    Retry-After and says what happened, rather than calling the database unreachable."""
    engine = create_engine(database_url)
    with engine.begin() as conn:
        conn.execute(text("CREATE TABLE IF NOT EXISTS conflict_probe (id int PRIMARY KEY, n int)"))
        conn.execute(text("INSERT INTO conflict_probe VALUES (1, 0) ON CONFLICT DO NOTHING"))
    first = engine.connect().execution_options(isolation_level="REPEATABLE READ")
    first.execute(text("SELECT n FROM conflict_probe WHERE id = 1"))
    with engine.begin() as second:
        second.execute(text("UPDATE conflict_probe SET n = n + 1 WHERE id = 1"))
    with pytest.raises(OperationalError) as conflict:  # SerializationFailure, as the driver raises it
        first.execute(text("UPDATE conflict_probe SET n = n + 1 WHERE id = 1"))
    first.close()
    with engine.begin() as conn:
        conn.execute(text("DROP TABLE conflict_probe"))
    engine.dispose()

    app = make_app()

    def collide():
        raise conflict.value

    app.add_url_rule("/collide", view_func=collide)
    answer = app.test_client().get("/collide")
    assert answer.status_code == 503 and answer.headers["Retry-After"] == "1"
    assert "collided with another change" in answer.get_json()["message"]
    assert "unreachable" not in answer.get_json()["message"]
