"""A Lambda's cold path loads what its first request needs and nothing more.

A fresh interpreter, configured as the deployed functions are (S3 storage, tokens checked against a JWKS URL, no
migrations), imports the handler and serves one request as a new instance would, then tells what it imported.
Each name below is code that a first request without a token does not need, and that costs a cold start (the
measured figures are in docs/benchmarks.md, "Lambda cold start"): a module that imports one of them at the top
instead of where it is used fails here.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.topologies.events import make_event

ROOT = Path(__file__).resolve().parents[2]

FIRST_REQUEST = {
    "gallery": ("/api/gallery/public", 200),
    # Well-formed, so the 404 comes from the database lookup.
    "streaming": ("/api/streaming/videos/" + "0" * 32, 404),
}
NEVER = (
    "alembic",  # Lambdas never migrate (AUTO_MIGRATE=False)
    "boto3", "botocore",  # S3 clients are made on the first call that talks to S3; URLs are signed without them
    "joserfc", "cryptography",  # the verifier loads them with the first bearer token
    "authlib", "pyotp", "requests", "urllib3", "pocketsphinx",
    "videoforge.ports.mail", "videoforge.ports.transcription", "videoforge.ports.queue.sqs",
    # Other modules' code: the processor never (the worker's), nor another module's HTTP layer.
    "videoforge.modules.processor", "videoforge.modules.gateway", "videoforge.modules.web",
    "videoforge.modules.webhooks", "videoforge.modules.auth.api", "videoforge.modules.auth.service",
)
NOT_WANTED = {
    "gallery": ("videoforge.modules.streaming",),
    "streaming": ("videoforge.modules.gallery",),
}
# On SQLite nothing needs PostgreSQL's driver or dialect (on PostgreSQL the engine loads both).
NOT_ON_SQLITE = {
    "gallery": ("psycopg", "sqlalchemy.dialects.postgresql"),
    "streaming": ("psycopg", "sqlalchemy.dialects.postgresql"),
}

FIRST_INVOKE = """
import json, sys
import entrypoints.lambda_{name} as entry
reply = entry.handler(json.loads(sys.argv[1]), None)
print(json.dumps({{"status": reply["statusCode"], "loaded": sorted(sys.modules)}}))
"""


@pytest.fixture
def migrated(database_url, tmp_path, monkeypatch):
    """The deployed functions' settings, on a migrated database (the deploy runs the migrations, not a Lambda)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("VIDEOFORGE_", "AWS_"))}
    env.update({
        "VIDEOFORGE_DATABASE_URL": database_url, "VIDEOFORGE_INSTANCE_PATH": str(tmp_path / "instance"),
        "VIDEOFORGE_STORAGE_BACKEND": "s3", "VIDEOFORGE_S3_BUCKET": "videos",
        "VIDEOFORGE_S3_ENDPOINT_URL": "http://127.0.0.1:9", "VIDEOFORGE_AUTH_JWKS_URL": "http://127.0.0.1:9/jwks.json",
        "VIDEOFORGE_SECRET_KEY": "lean-cold-path", "VIDEOFORGE_LOG_LEVEL": "WARNING",
        "AWS_ACCESS_KEY_ID": "lean", "AWS_SECRET_ACCESS_KEY": "lean",
    })
    from videoforge import create_app

    for key, value in env.items():
        if key.startswith("VIDEOFORGE_"):
            monkeypatch.setenv(key, value)
    app = create_app(MODULES=["gallery", "streaming"], AUTO_MIGRATE=True, WORKER_IN_PROCESS=False)
    app.extensions["videoforge.db"].engine.dispose()
    return env


@pytest.mark.parametrize("name", sorted(FIRST_REQUEST))
def test_a_cold_lambda_imports_only_what_its_first_request_needs(migrated, database_url, name):
    path, status = FIRST_REQUEST[name]
    event = json.dumps(make_event("function_url", "GET", path))
    result = subprocess.run([sys.executable, "-c", FIRST_INVOKE.format(name=name), event], env=migrated, cwd=ROOT,
                            capture_output=True, text=True, timeout=120, check=False)
    assert result.returncode == 0, result.stderr[-3000:]
    answer = json.loads(result.stdout.strip().splitlines()[-1])
    assert answer["status"] == status  # the lean path still serves
    unwanted = NEVER + NOT_WANTED[name] + (NOT_ON_SQLITE[name] if database_url.startswith("sqlite") else ())
    imported = sorted({u for u in unwanted for m in answer["loaded"] if m == u or m.startswith(u + ".")})
    assert imported == [], f"the {name} Lambda's cold path imported {imported}"
