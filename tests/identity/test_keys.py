"""Signing keys: created once, supplied by config, rotated with the old public key kept; JWKS over HTTP."""

from __future__ import annotations

import json
import os
import stat
import time

import pytest
from flask import Flask
from joserfc.jwk import RSAKey

from tests.conftest import token_for
from tests.identity.conftest import assert_error, bearer
from tests.live_server import serving
from videoforge.config import ConfigError
from videoforge.identity import require_user
from videoforge.identity.keys import KEY_FILE, load_retired_keys, public_keyset
from videoforge.identity.verifier import REFETCH_INTERVAL, InvalidToken, JwksSource


def jwks_kids(client) -> list[str]:
    return [k["kid"] for k in client.get("/api/auth/.well-known/jwks.json").get_json()["keys"]]


def test_key_is_created_once_in_the_instance_folder(make_app, tmp_path):
    first = make_app(AUTH_SIGNING_KEY="")
    path = os.path.join(first.instance_path, KEY_FILE)
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
    second = make_app(AUTH_SIGNING_KEY="")
    kid = first.extensions["videoforge.signing_key"].kid
    assert second.extensions["videoforge.signing_key"].kid == kid
    assert jwks_kids(second.test_client()) == [kid]
    assert "d" not in second.test_client().get("/api/auth/.well-known/jwks.json").get_json()["keys"][0]


def test_key_supplied_by_config_is_used(make_app, tmp_path):
    key = RSAKey.generate_key(2048, private=True)
    key.ensure_kid()
    app = make_app(AUTH_SIGNING_KEY=key.as_pem(private=True).decode(), INSTANCE_PATH=str(tmp_path / "cfg"))
    assert app.extensions["videoforge.signing_key"].kid == key.kid
    assert not os.path.exists(os.path.join(app.instance_path, KEY_FILE))


@pytest.mark.parametrize("value", ["not a pem", "public"])
def test_unusable_configured_key_stops_start_up_naming_the_key(make_app, value):
    if value == "public":
        value = RSAKey.generate_key(2048, private=True).as_pem(private=False).decode()
    with pytest.raises(ConfigError, match="VIDEOFORGE_AUTH_SIGNING_KEY"):
        make_app(AUTH_SIGNING_KEY=value)


def test_rotation_keeps_the_old_public_key_until_its_tokens_expire(make_app):
    before = make_app(AUTH_SIGNING_KEY="")  # the key lives in the instance folder
    old_kid = before.extensions["videoforge.signing_key"].kid
    old_token = token_for(before, sub="rotated-user")
    result = before.test_cli_runner().invoke(args=["rotate-signing-key"])
    assert result.exit_code == 0 and old_kid in result.output
    after = make_app(AUTH_SIGNING_KEY="")  # the restart that picks the new key up
    client = after.test_client()
    new_kid = after.extensions["videoforge.signing_key"].kid
    assert new_kid != old_kid and jwks_kids(client) == [new_kid, old_kid]
    assert client.get("/api/auth/me", headers=bearer(old_token)).status_code == 200
    assert json.loads(_header(token_for(after)))["kid"] == new_kid
    # Once every token the old key signed has expired, it leaves the JWKS and its tokens stop working.
    keep = after.config["AUTH_ACCESS_TOKEN_TTL"] + 30
    assert load_retired_keys({}, after.instance_path, keep, now=time.time() + keep + 1) == []
    retired = os.path.join(after.instance_path, "auth_keys", "retired", f"{old_kid}.pem")
    os.utime(retired, (time.time() - keep - 1,) * 2)
    later = make_app(AUTH_SIGNING_KEY="")
    assert jwks_kids(later.test_client()) == [new_kid]
    assert_error(later.test_client().get("/api/auth/me", headers=bearer(old_token)), 401)


def test_retired_public_keys_from_config_stay_in_the_jwks(make_app, tmp_path):
    old = RSAKey.generate_key(2048, private=True)
    old.ensure_kid()
    issuer = make_app(AUTH_SIGNING_KEY=old.as_pem(private=True).decode())
    old_token = token_for(issuer)
    current = RSAKey.generate_key(2048, private=True)
    current.ensure_kid()
    app = make_app(AUTH_SIGNING_KEY=current.as_pem(private=True).decode(),
                   AUTH_RETIRED_PUBLIC_KEYS=[old.as_pem(private=False).decode()])
    client = app.test_client()
    assert jwks_kids(client) == [current.kid, old.kid]
    assert client.get("/api/auth/me", headers=bearer(old_token)).status_code == 200


def test_rotate_cli_refuses_when_the_key_comes_from_config(make_app):
    key = RSAKey.generate_key(2048, private=True)
    app = make_app(AUTH_SIGNING_KEY=key.as_pem(private=True).decode())
    result = app.test_cli_runner().invoke(args=["rotate-signing-key"])
    assert result.exit_code == 1 and "AUTH_RETIRED_PUBLIC_KEYS" in result.output


def _with_protected_route(app: Flask) -> Flask:
    @app.get("/test-only/whoami")
    @require_user
    def whoami():
        from videoforge.identity import current_user

        return {"sub": current_user().sub}

    return app


def test_split_process_verifies_local_tokens_through_the_issuers_jwks_url(make_app, tmp_path):
    issuer = make_app()
    with serving(issuer) as base:
        gallery = _with_protected_route(make_app(MODULES=["gallery"], INSTANCE_PATH=str(tmp_path / "gallery"),
                                                 AUTH_SIGNING_KEY="",
                                                 AUTH_JWKS_URL=f"{base}/api/auth/.well-known/jwks.json"))
        assert "videoforge.signing_key" not in gallery.extensions  # it holds no private key
        client = gallery.test_client()
        response = client.get("/test-only/whoami", headers=bearer(token_for(issuer, sub="split-user")))
        assert response.status_code == 200 and response.get_json() == {"sub": "split-user"}
        foreign = make_app(INSTANCE_PATH=str(tmp_path / "foreign"), AUTH_SIGNING_KEY="")
        assert_error(client.get("/test-only/whoami", headers=bearer(token_for(foreign))), 401)


def test_split_process_verifies_with_a_shared_signing_key(make_app, tmp_path):
    issuer = make_app()
    pem = issuer.extensions["videoforge.signing_key"].as_pem(private=True).decode()
    gallery = _with_protected_route(make_app(MODULES=["gallery"], INSTANCE_PATH=str(tmp_path / "gallery"),
                                             AUTH_SIGNING_KEY=pem))
    response = gallery.test_client().get("/test-only/whoami", headers=bearer(token_for(issuer, sub="shared")))
    assert response.get_json() == {"sub": "shared"}


def test_jwks_source_refetches_on_unknown_kid_at_most_once_a_minute():
    first, second = (RSAKey.generate_key(2048, private=True) for _ in range(2))
    for key in (first, second):
        key.ensure_kid()
    published = {"keys": public_keyset(first)}
    hits = []

    def jwks_app(environ, start_response):
        hits.append(environ["PATH_INFO"])
        start_response("200 OK", [("Content-Type", "application/json")])
        return [json.dumps(published["keys"].as_dict(private=False)).encode()]

    clock = [1000.0]
    with serving(jwks_app) as base:
        source = JwksSource(f"{base}/jwks.json", clock=lambda: clock[0])
        assert [k.kid for k in source.keyset(first.kid).keys] == [first.kid] and len(hits) == 1
        source.keyset(first.kid)
        assert len(hits) == 1  # cached
        published["keys"] = public_keyset(second, first)
        clock[0] += 10
        assert second.kid not in [k.kid for k in source.keyset(second.kid).keys]  # too soon to refetch
        assert len(hits) == 1
        clock[0] += REFETCH_INTERVAL
        assert second.kid in [k.kid for k in source.keyset(second.kid).keys] and len(hits) == 2
        source.keyset("nobody-has-this-kid")
        source.keyset("nor-this-one")
        assert len(hits) == 2  # a flood of made-up kids costs one fetch a minute at most


def test_jwks_source_unreachable_fails_the_token_not_the_process():
    key = RSAKey.generate_key(2048, private=True)
    key.ensure_kid()
    up = [False]

    def flaky(environ, start_response):
        if not up[0]:
            start_response("503 Service Unavailable", [("Content-Type", "text/plain")])
            return [b"down"]
        start_response("200 OK", [("Content-Type", "application/json")])
        return [json.dumps(public_keyset(key).as_dict(private=False)).encode()]

    clock = [0.0]
    with serving(flaky) as base:
        source = JwksSource(f"{base}/jwks.json", clock=lambda: clock[0])
        with pytest.raises(InvalidToken, match="cannot fetch JWKS"):
            source.keyset(key.kid)
        up[0] = True
        clock[0] += 1
        with pytest.raises(InvalidToken, match="no JWKS yet"):  # not hammering a server that just failed
            source.keyset(key.kid)
        clock[0] += 5  # with no keys at all it retries after seconds, not a minute
        assert [k.kid for k in source.keyset(key.kid).keys] == [key.kid]
        up[0] = False
        clock[0] += REFETCH_INTERVAL
        assert [k.kid for k in source.keyset("unknown").keys] == [key.kid]  # a failed refetch keeps the old keys


def _header(token: str) -> str:
    import base64

    head = token.split(".")[0]
    return base64.urlsafe_b64decode(head + "=" * (-len(head) % 4)).decode()
