"""Shared fixtures: apps on SQLite and on PostgreSQL, clients, and signed-in users."""

from __future__ import annotations

import os
import secrets
import uuid
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text

from tests.live_server import LiveServer
from tests.moto import moto_endpoint, moto_server  # noqa: F401 - session fixtures for every test
from tests.need import need
from tests.servers import weed_s3  # noqa: F401 - one signature-checking S3 server per session
from videoforge import create_app
from videoforge.db import Base
from videoforge.identity.tokens import mint_tokens

DEPLOY_TESTS = Path(__file__).resolve().parent / "deploy"
PG_ADMIN_URL = os.environ.get("VIDEOFORGE_TEST_PG", "postgresql+psycopg://postgres@127.0.0.1:5432/test")


# Tests that share one thing a second xdist worker must not make again or touch at the same time run on one worker,
# in order (`make test` runs `-n 2 --dist loadgroup`): the AWS stack provision.yml builds on moto (minutes, once per
# worker that asks), the buildah image cache, the Redis database of the gateway's shared rate-limit tests, and the
# caption browser tests (the second reads the video the first made). Grouped by file, in our own scheduler: with
# pytest 9, xdist 3.8's `xdist_group` marker no longer reaches its scheduler (it rewrites `item._nodeid`, which
# pytest 9 no longer reads), so the marker would group nothing.
SHARED_FILES = {
    "tests/deploy/test_provision_loopback.py": "aws-stack",
    "tests/deploy/test_provisioned_cdn.py": "aws-stack",
    "tests/deploy/test_provisioned_stack.py": "aws-stack",
    "tests/deploy/test_provisioned_queue_contract.py": "aws-stack",
    "tests/deploy/test_provisioned_storage_contract.py": "aws-stack",
    "tests/deploy/test_images.py": "images",
    "tests/modules/gateway/test_limits_and_cors.py": "redis",
    "tests/e2e/test_captions_browser.py": "captions-browser",
}


def pytest_xdist_make_scheduler(config, log):
    """With `--dist loadgroup`: every test on its own, except the files above, each group kept on one worker."""
    if config.getvalue("dist") != "loadgroup":
        return None
    from xdist.scheduler import LoadScopeScheduling

    class SharedResourceScheduling(LoadScopeScheduling):
        def _split_scope(self, nodeid: str) -> str:
            return SHARED_FILES.get(nodeid.split("::", 1)[0], nodeid)

    return SharedResourceScheduling(config, log)


def pytest_collection_modifyitems(items):
    """Every test under tests/deploy is a `deploy` test, so `make test-fast` can leave them all out."""
    for item in items:
        if DEPLOY_TESTS in item.path.parents:
            item.add_marker(pytest.mark.deploy)


def _pg_reachable() -> str | None:
    try:
        engine = create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
        with engine.connect() as conn:
            conn.execute(text("SELECT 1"))
        engine.dispose()
        return None
    except Exception as exc:  # noqa: BLE001 - any driver error: report it as the skip reason
        return f"PostgreSQL at {PG_ADMIN_URL} unreachable: {type(exc).__name__}: {exc}"[:300]


def throwaway_pg_database(prefix: str):
    """Create a PostgreSQL database on the test server and yield its URL; dropped afterwards.

    Skips with the reason where no server is reachable, except on CI, where the server must be there.
    """
    reason = _pg_reachable()
    need(reason is None, reason or "")
    name = f"{prefix}_{uuid.uuid4().hex[:10]}"
    admin = create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    yield PG_ADMIN_URL.rsplit("/", 1)[0] + "/" + name
    with admin.connect() as conn:
        conn.execute(text(
            f"SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = '{name}' AND pid <> pg_backend_pid()"))
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}"'))
    admin.dispose()


@pytest.fixture(scope="session")
def pg_url():
    """A throw-away PostgreSQL database for this test session, dropped at the end."""
    yield from throwaway_pg_database("vf_test")


def _truncate(url: str) -> None:
    engine = create_engine(url)
    tables = ", ".join(f'"{t.name}"' for t in Base.metadata.sorted_tables)
    with engine.begin() as conn:
        conn.execute(text(f"TRUNCATE {tables} RESTART IDENTITY CASCADE"))
    engine.dispose()


POSTGRES_ONLY = pytest.mark.parametrize("database_url", [pytest.param("postgres", marks=pytest.mark.postgres)],
                                        indirect=True)
"""For what only PostgreSQL has (row locks, serialization failures): the test runs on it alone."""


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def database_url(request, tmp_path):
    """Each test that takes this runs twice: on a fresh SQLite file and on PostgreSQL."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path}/videoforge.db"
        return
    url = request.getfixturevalue("pg_url")
    yield url
    _truncate(url)


@pytest.fixture(scope="session")
def http_server():
    """One loopback HTTP server for in-process apps, so signed URLs are fetched as browsers fetch them.

    `http_server.serve(app)` points it at the test's app; build the app with PUBLIC_URL=http_server.url.
    """
    server = LiveServer()
    yield server
    server.stop()


@pytest.fixture(scope="session")
def signing_key_pem() -> str:
    """One RSA key for the whole session: generating one per app costs more than most tests."""
    from joserfc.jwk import RSAKey

    return RSAKey.generate_key(2048, private=True).as_pem(private=True).decode()


@pytest.fixture
def make_app(tmp_path, database_url, signing_key_pem):
    """Build apps on the test's database with an instance folder in tmp_path; overrides as keyword arguments."""
    apps = []

    def factory(**overrides):
        settings = {
            "INSTANCE_PATH": str(tmp_path / "instance"),
            "DATABASE_URL": database_url,
            "STORAGE_PATH": str(tmp_path / "storage"),
            "WORKER_IN_PROCESS": False,
            "AUTH_SIGNING_KEY": signing_key_pem,
            "LOG_LEVEL": "WARNING",
            "TESTING": True,
        }
        settings.update(overrides)
        app = create_app(**settings)
        apps.append(app)
        return app

    yield factory
    for app in apps:
        db = app.extensions.get("videoforge.db")
        if db is not None:
            db.engine.dispose()


@pytest.fixture
def app(make_app):
    """The all-in-one app (every installed module) on the test's database."""
    return make_app()


@pytest.fixture
def client(app):
    return app.test_client()


def token_for(app, *, sub: str | None = None, email: str | None = None, groups=(), ttl: int = 600) -> str:
    """An access token from the app's local issuer, as sign-in would give."""
    from videoforge.identity.setup import local_issuer_url, signing_key

    sub = sub or str(uuid.uuid4())
    tokens = mint_tokens(signing_key(app), issuer=local_issuer_url(app.config),
                         client_id=app.config["AUTH_CLIENT_ID"], sub=sub,
                         email=email or f"{secrets.token_hex(4)}@example.test", groups=list(groups), ttl=ttl)
    return tokens["access_token"]


@pytest.fixture
def auth_headers(app):
    """Make bearer headers for a new user: `auth_headers()`, `auth_headers(groups=["admin"])`."""

    def make(**kwargs):
        return {"Authorization": f"Bearer {token_for(app, **kwargs)}"}

    return make
