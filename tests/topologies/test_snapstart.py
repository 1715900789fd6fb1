"""A Lambda handler through SnapStart's hooks, run in-process as the Lambda runtime runs them.

The runtime initialises the function (imports, `create_app`, `make_handler`), pops the before-snapshot hooks in
reverse order of registration, snapshots, and on every restore calls the after-restore hooks in order
(snapshot_restore_py's registry). Here the "snapshot" is the same process: what the hooks must prove is that the
restored handler holds nothing from before (connections, secrets, keys, random state, id) and still serves.
"""

from __future__ import annotations

import json
import random
import uuid

import boto3
import pytest
from joserfc.jwk import RSAKey
from snapshot_restore_py import get_after_restore, get_before_snapshot
from sqlalchemy import event

from tests.topologies.events import make_event
from videoforge import snapstart
from videoforge.lambda_adapter import make_handler
from videoforge.secrets import clear_cache


@pytest.fixture
def snapstart_init(monkeypatch):
    """The environment Lambda gives an init that will be snapshotted; the process-wide registry starts empty."""
    monkeypatch.setenv("AWS_LAMBDA_INITIALIZATION_TYPE", snapstart.INITIALIZATION_TYPE)
    before, after = get_before_snapshot(), get_after_restore()
    saved = list(before), list(after)
    before.clear()
    after.clear()
    clear_cache()
    yield
    before[:], after[:] = saved
    clear_cache()


def snapshot_and_restore() -> None:
    """What the runtime does between init and the first invocation of a restored environment."""
    before = get_before_snapshot()
    while before:
        func, args, kwargs = before.pop()  # reverse order of registration
        func(*args, **kwargs)
    for func, args, kwargs in get_after_restore():
        func(*args, **kwargs)


def get(handler, path: str) -> dict:
    reply = handler(make_event("http_api", "GET", path), None)
    return {"status": reply["statusCode"], "body": json.loads(reply["body"])}


def test_a_restored_gallery_serves_with_fresh_connections_secrets_keys_and_randomness(
        snapstart_init, make_app, database_url, moto_endpoint, monkeypatch, signing_key_pem):
    secrets_manager = boto3.client("secretsmanager", endpoint_url=moto_endpoint, region_name="us-east-1")
    name = f"videoforge/snapstart/{uuid.uuid4().hex[:8]}"
    secrets_manager.create_secret(Name=name, SecretString=json.dumps({"url": database_url, "key": "before"}))
    monkeypatch.setenv("VIDEOFORGE_SECRETS_ENDPOINT_URL", moto_endpoint)
    # A gallery Lambda's shape: its database URL and key from Secrets Manager, tokens checked against a JWKS.
    app = make_app(MODULES=["gallery"], DATABASE_URL=f"secretsmanager:{name}#url",
                   SECRET_KEY=f"secretsmanager:{name}#key", AUTH_SIGNING_KEY="",
                   AUTH_JWKS_URL="http://127.0.0.1:9/jwks.json")
    handler = make_handler(app)
    assert len(get_before_snapshot()) == len(get_after_restore()) == 1

    db = app.extensions["videoforge.db"]
    connects = []
    event.listen(db.engine, "connect", lambda *_: connects.append(1))
    jwks = _serve_keys(app, signing_key_pem)
    assert get(handler, "/api/gallery/public")["status"] == 200  # a warm-up during init leaves a pooled connection
    assert db.engine.pool.checkedin() == 1 and connects == []  # (the one init's migration check opened)
    jwks.source.keyset(jwks.kid)
    assert jwks.fetches == 1
    instance = app.extensions[snapstart.INSTANCE_ID]
    copied_state = random.getstate()
    secrets_manager.put_secret_value(SecretId=name, SecretString=json.dumps({"url": database_url, "key": "after"}))

    snapshot_and_restore()

    assert db.engine.pool.checkedin() == 0  # nothing pooled from before the snapshot
    assert "videoforge.storage" not in app.extensions and "videoforge.delivery" not in app.extensions
    assert app.config["SECRET_KEY"] == "after"  # secrets fetched again: a rotation reaches an old snapshot
    assert app.extensions[snapstart.INSTANCE_ID] != instance
    copy = random.Random()
    copy.setstate(copied_state)
    assert [random.random() for _ in range(3)] != [copy.random() for _ in range(3)]
    reply = get(handler, "/api/gallery/public")
    assert reply["status"] == 200 and reply["body"] == []
    assert len(connects) == 1  # served on a connection made after the restore
    jwks.source.keyset(jwks.kid)
    assert jwks.fetches == 2  # the JWKS is fetched again on the first token after the restore


def test_a_restore_with_a_new_database_url_gets_a_new_database(snapstart_init, make_app, database_url,
                                                                moto_endpoint, monkeypatch, tmp_path):
    secrets_manager = boto3.client("secretsmanager", endpoint_url=moto_endpoint, region_name="us-east-1")
    name = f"videoforge/snapstart/{uuid.uuid4().hex[:8]}"
    secrets_manager.create_secret(Name=name, SecretString=database_url)
    monkeypatch.setenv("VIDEOFORGE_SECRETS_ENDPOINT_URL", moto_endpoint)
    app = make_app(MODULES=["streaming"], DATABASE_URL=f"secretsmanager:{name}")
    handler = make_handler(app)
    old = app.extensions["videoforge.db"]
    moved = f"{database_url}?application_name=rotated" if database_url.startswith("postgresql") else \
        f"sqlite:///{tmp_path}/videoforge.db?timeout=20"
    secrets_manager.put_secret_value(SecretId=name, SecretString=moved)

    snapshot_and_restore()

    assert app.extensions["videoforge.db"] is not old and app.extensions["videoforge.db"].url == moved
    reply = handler(make_event("http_api", "GET", f"/api/streaming/videos/{uuid.uuid4()}"), None)
    assert reply["statusCode"] == 404, reply  # an unknown video, answered from the new database


def test_outside_a_snapshot_init_no_hooks_are_registered(monkeypatch, make_app):
    monkeypatch.delenv("AWS_LAMBDA_INITIALIZATION_TYPE", raising=False)
    before, after = len(get_before_snapshot()), len(get_after_restore())
    make_handler(make_app(MODULES=["gallery"]))
    assert (len(get_before_snapshot()), len(get_after_restore())) == (before, after)


class _serve_keys:
    """Point the app's JWKS source at an in-process key set, counting fetches."""

    def __init__(self, app, pem: str):
        key = RSAKey.import_key(pem)
        key.ensure_kid()
        self.kid = key.kid
        self.fetches = 0
        self.source = app.extensions["videoforge.verifier"].source
        document = {"keys": [key.as_dict(private=False) | {"kid": key.kid, "use": "sig", "alg": "RS256"}]}

        def fetch(_url):
            self.fetches += 1
            return document

        self.source._fetch = fetch
