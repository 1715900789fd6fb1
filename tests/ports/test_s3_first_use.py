"""S3 storage makes its boto3 client on first use: signing alone never imports boto3 (a Lambda's first request)."""

from __future__ import annotations

import datetime as dt
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from videoforge.ports.storage import StorageError
from videoforge.ports.storage.s3 import S3Storage, static_credentials

ROOT = Path(__file__).resolve().parents[2]
FROZEN = dt.datetime(2026, 12, 7, 12, 0, 0)
SETTINGS = {"S3_BUCKET": "videos", "S3_ENDPOINT_URL": "http://127.0.0.1:9"}


@pytest.mark.parametrize(("config", "environ", "expected"), [
    ({"S3_ACCESS_KEY_ID": "AK", "S3_SECRET_ACCESS_KEY": "SK"}, {"AWS_ACCESS_KEY_ID": "E"}, ("AK", "SK", None)),
    ({}, {"AWS_ACCESS_KEY_ID": "E", "AWS_SECRET_ACCESS_KEY": "S", "AWS_SESSION_TOKEN": "T"}, ("E", "S", "T")),
    ({}, {"AWS_ACCESS_KEY_ID": "E", "AWS_SECRET_ACCESS_KEY": "S", "AWS_SECURITY_TOKEN": "old"}, ("E", "S", "old")),
    ({}, {"AWS_ACCESS_KEY_ID": "E", "AWS_SECRET_ACCESS_KEY": "S"}, ("E", "S", None)),
    # Left to botocore: a half-given pair (it refuses with its own error), expiring keys, nothing in sight.
    ({"S3_ACCESS_KEY_ID": "AK"}, {"AWS_ACCESS_KEY_ID": "E", "AWS_SECRET_ACCESS_KEY": "S"}, None),
    ({}, {"AWS_ACCESS_KEY_ID": "E"}, None),
    ({}, {"AWS_ACCESS_KEY_ID": "E", "AWS_SECRET_ACCESS_KEY": "S", "AWS_CREDENTIAL_EXPIRATION": "2030-01-01"}, None),
    ({}, {}, None),
])
def test_static_credentials_are_the_ones_botocore_would_find_first(config, environ, expected):
    assert static_credentials(config, environ) == expected


def test_static_and_chain_credentials_sign_alike(monkeypatch):
    """The environment read without botocore gives the very URL botocore's credential chain gives."""
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "AKENV")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "secret/env")
    monkeypatch.setenv("AWS_SESSION_TOKEN", "token+env")
    monkeypatch.delenv("AWS_CREDENTIAL_EXPIRATION", raising=False)
    static = S3Storage.from_config(SETTINGS)
    chain = S3Storage("videos", endpoint_url="http://127.0.0.1:9")  # no credentials given: botocore's chain
    assert static._credentials == ("AKENV", "secret/env", "token+env") and chain._credentials is None
    assert static.presigner.presign("GET", "videos", "k", 60, now=FROZEN) == \
        chain.presigner.presign("GET", "videos", "k", 60, now=FROZEN)


def test_no_credentials_anywhere_is_refused_on_the_first_signature(monkeypatch, tmp_path):
    for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_SECURITY_TOKEN",
                 "AWS_PROFILE", "AWS_CONTAINER_CREDENTIALS_FULL_URI", "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI",
                 "AWS_WEB_IDENTITY_TOKEN_FILE"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "none"))
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "none"))
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")
    storage = S3Storage.from_config(SETTINGS)  # making the adapter asks nothing of botocore yet
    with pytest.raises(StorageError, match="no S3 credentials"):
        storage.presign_get("k", 60)


FIRST_REQUESTS = """
import json, sys
from videoforge import create_app
from videoforge.ports.delivery import get_delivery
app = create_app(MODULES=["gallery", "streaming"], AUTO_MIGRATE=True)
client = app.test_client()
statuses = [client.get("/api/streaming/videos/00000000-0000-4000-8000-000000000000").status_code,
            client.get("/api/gallery/public").status_code]
with app.app_context():
    delivery = get_delivery(app)
    signed = [delivery.object_url("processed/v/t/poster.jpg", 60),
              delivery.grant("processed/v/", 60).url("processed/v/a.m4s")]
before = sorted(m for m in ("boto3", "botocore") if m in sys.modules)
with app.app_context():
    get_delivery(app).storage.client  # the first call that talks to S3 makes the client
after = sorted(m for m in ("boto3", "botocore") if m in sys.modules)
print(json.dumps({"statuses": statuses, "signed": signed, "before": before, "after": after}))
"""


def test_first_requests_and_signatures_never_import_boto3(tmp_path):
    env = {k: v for k, v in os.environ.items() if not k.startswith(("VIDEOFORGE_", "AWS_"))}
    env.update({"VIDEOFORGE_STORAGE_BACKEND": "s3", "VIDEOFORGE_S3_BUCKET": "videos",
                "VIDEOFORGE_S3_ENDPOINT_URL": "http://127.0.0.1:9", "VIDEOFORGE_LOG_LEVEL": "WARNING",
                "VIDEOFORGE_DATABASE_URL": f"sqlite:///{tmp_path}/db.sqlite",
                "VIDEOFORGE_INSTANCE_PATH": str(tmp_path / "instance"),
                # As on Lambda: the role's keys in the environment.
                "AWS_ACCESS_KEY_ID": "AKLAMBDA", "AWS_SECRET_ACCESS_KEY": "secret", "AWS_SESSION_TOKEN": "tok"})
    result = subprocess.run([sys.executable, "-c", FIRST_REQUESTS], env=env, cwd=ROOT, capture_output=True,
                            text=True, timeout=120, check=False)
    assert result.returncode == 0, result.stderr[-3000:]
    answer = json.loads(result.stdout.strip().splitlines()[-1])
    assert answer["statuses"] == [404, 200]
    assert all(url.startswith("http://127.0.0.1:9/videos/processed/v/") and "AKLAMBDA%2F" in url
               and "X-Amz-Security-Token=tok" in url for url in answer["signed"])
    assert answer["before"] == [], answer
    assert answer["after"] == ["boto3", "botocore"], answer
