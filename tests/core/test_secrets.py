"""`secretsmanager:` config values resolved at start-up from a Secrets Manager server on loopback (moto_server)."""

from __future__ import annotations

import json
import logging
import os
import subprocess
import sys
import uuid

import boto3
import pytest

from videoforge import create_app
from videoforge.config import ConfigError
from videoforge.secrets import clear_cache


@pytest.fixture(autouse=True)
def fresh_cache():
    clear_cache()
    yield
    clear_cache()


@pytest.fixture
def secrets_manager(moto_endpoint):
    return boto3.client("secretsmanager", endpoint_url=moto_endpoint, region_name="us-east-1")


def put(client, value) -> str:
    name = f"videoforge/test/{uuid.uuid4().hex[:8]}"
    client.create_secret(Name=name, SecretString=value if isinstance(value, str) else json.dumps(value))
    return name


def test_plain_and_json_field_references_resolve_and_never_reach_the_logs(
        tmp_path, monkeypatch, moto_endpoint, secrets_manager, caplog, capfd):
    plain_value = f"plain-{uuid.uuid4().hex}"
    db_url = f"sqlite:///{tmp_path}/from-secret.db"
    plain = put(secrets_manager, plain_value)
    bundle = put(secrets_manager, {"url": db_url, "port": 5432})
    capfd.readouterr()  # what the test itself sent to create the secrets is not the app's logging
    caplog.set_level(logging.DEBUG)  # botocore narrates everything at DEBUG, response bodies included
    monkeypatch.setenv("VIDEOFORGE_SECRETS_ENDPOINT_URL", moto_endpoint)
    app = create_app(INSTANCE_PATH=str(tmp_path / "i"), MODULES=["auth"], LOG_LEVEL="DEBUG",
                     SECRET_KEY=f"secretsmanager:{plain}", DATABASE_URL=f"secretsmanager:{bundle}#url",
                     S3_REGION=f"secretsmanager:{bundle}#port")
    assert app.config["SECRET_KEY"] == plain_value
    assert app.config["DATABASE_URL"] == db_url and os.path.exists(tmp_path / "from-secret.db")
    assert app.config["S3_REGION"] == "5432"  # non-string fields come back as JSON text
    app.test_client().get("/healthz")
    out, err = capfd.readouterr()
    for text in (caplog.text, out, err):
        assert plain_value not in text and "from-secret.db" not in text


def test_aws_standard_endpoint_variable_is_honoured(tmp_path, monkeypatch, moto_endpoint, secrets_manager):
    name = put(secrets_manager, "from-aws-variable")
    monkeypatch.setenv("AWS_ENDPOINT_URL_SECRETS_MANAGER", moto_endpoint)
    app = create_app(INSTANCE_PATH=str(tmp_path), MODULES=["auth"], LOG_LEVEL="WARNING",
                     SECRET_KEY=f"secretsmanager:{name}")
    assert app.config["SECRET_KEY"] == "from-aws-variable"


@pytest.mark.parametrize("reference, words", [
    ("secretsmanager:videoforge/test/never-created", "cannot read secret 'videoforge/test/never-created'"),
    ("secretsmanager:{existing}#nosuchfield", "has no JSON field 'nosuchfield'"),
    ("secretsmanager:", "empty Secrets Manager reference"),
])
def test_unresolvable_secret_stops_start_up_with_one_line_naming_the_key(
        tmp_path, monkeypatch, moto_endpoint, secrets_manager, reference, words):
    monkeypatch.setenv("VIDEOFORGE_SECRETS_ENDPOINT_URL", moto_endpoint)
    reference = reference.format(existing=put(secrets_manager, {"a": "b"}))
    with pytest.raises(ConfigError) as err:
        create_app(INSTANCE_PATH=str(tmp_path), MODULES=["auth"], LOG_LEVEL="WARNING", AUTH_SIGNING_KEY=reference)
    message = str(err.value)
    assert message.startswith("VIDEOFORGE_AUTH_SIGNING_KEY: ") and words in message and "\n" not in message


def test_signing_key_from_secrets_manager_signs_local_tokens(tmp_path, monkeypatch, moto_endpoint, secrets_manager):
    from joserfc.jwk import RSAKey

    key = RSAKey.generate_key(2048, private=True)
    key.ensure_kid()
    name = put(secrets_manager, {"signing_key": key.as_pem(private=True).decode()})
    monkeypatch.setenv("VIDEOFORGE_SECRETS_ENDPOINT_URL", moto_endpoint)
    app = create_app(INSTANCE_PATH=str(tmp_path), MODULES=["auth"], LOG_LEVEL="WARNING",
                     AUTH_SIGNING_KEY=f"secretsmanager:{name}#signing_key")
    assert app.extensions["videoforge.signing_key"].kid == key.kid


def test_cli_start_up_with_a_missing_secret_prints_one_line(tmp_path, moto_endpoint):
    env = {**os.environ, "VIDEOFORGE_INSTANCE_PATH": str(tmp_path), "VIDEOFORGE_SECRETS_ENDPOINT_URL": moto_endpoint,
           "VIDEOFORGE_SECRET_KEY": "secretsmanager:videoforge/test/absent"}
    out = subprocess.run([sys.executable, "-m", "videoforge", "routes"], env=env, capture_output=True, text=True)
    assert out.returncode == 2
    last = out.stderr.strip().splitlines()[-1]
    assert last.startswith("configuration error: VIDEOFORGE_SECRET_KEY: cannot read secret 'videoforge/test/absent'")
