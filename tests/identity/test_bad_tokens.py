"""Every kind of bad bearer token gets 401 in the one JSON error shape; a good one passes."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time

import pytest
from joserfc.jwk import RSAKey

from tests.conftest import token_for
from tests.identity.conftest import assert_error, bearer
from videoforge.identity.setup import local_issuer_url, signing_key
from videoforge.identity.tokens import mint_tokens


def b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def part(obj: dict) -> str:
    return b64(json.dumps(obj).encode())


def unpart(segment: str) -> dict:
    return json.loads(base64.urlsafe_b64decode(segment + "=" * (-len(segment) % 4)))


def mint(app, key=None, **overrides) -> dict:
    args = dict(issuer=local_issuer_url(app.config), client_id=app.config["AUTH_CLIENT_ID"], sub="user-1",
                email="one@example.test", groups=[], ttl=600)
    args.update(overrides)
    return mint_tokens(key or signing_key(app), **args)


def claims_for(app) -> dict:
    now = int(time.time())
    return {"sub": "user-1", "iss": local_issuer_url(app.config), "token_use": "access", "iat": now,
            "exp": now + 600, "client_id": app.config["AUTH_CLIENT_ID"], "cognito:groups": ["admin"]}


def alg_none(app):
    kid = signing_key(app).kid
    return f"{part({'alg': 'none', 'kid': kid, 'typ': 'JWT'})}.{part(claims_for(app))}."


def hs256_with_public_key(app):
    # The classic confusion attack: HMAC keyed with the RSA public key the JWKS publishes.
    key = signing_key(app)
    signing_input = f"{part({'alg': 'HS256', 'kid': key.kid, 'typ': 'JWT'})}.{part(claims_for(app))}"
    mac = hmac.new(key.as_pem(private=False), signing_input.encode(), hashlib.sha256).digest()
    return f"{signing_input}.{b64(mac)}"


def unknown_kid(app):
    other = RSAKey.generate_key(2048, private=True)
    other.ensure_kid()
    return mint(app, key=other)["access_token"]


def known_kid_wrong_key(app):
    other = RSAKey.generate_key(2048, private=True)
    other.ensure_kid()
    token = mint(app, key=other)["access_token"]
    head, payload, sig = token.split(".")
    header = unpart(head) | {"kid": signing_key(app).kid}
    return f"{part(header)}.{payload}.{sig}"


def tampered_payload(app):
    head, payload, sig = mint(app)["access_token"].split(".")
    return f"{head}.{part(unpart(payload) | {'cognito:groups': ['admin']})}.{sig}"


def expired(app):
    return mint(app, now=int(time.time()) - 3600, ttl=600)["access_token"]


def not_yet_valid(app):
    return mint(app, now=int(time.time()) + 600)["access_token"]


def another_instance(app, make_app, tmp_path):
    # Another local issuer (its own key) claiming the same issuer URL and client id.
    other = make_app(INSTANCE_PATH=str(tmp_path / "other-instance"), AUTH_SIGNING_KEY="")
    return token_for(other, sub="user-1")


CASES = {
    "malformed: one part": lambda app: "not-a-jwt",
    "malformed: garbage parts": lambda app: "a.b.c",
    "malformed: header not an object": lambda app: f"{part([1, 2])}.{part({})}.x",
    "alg none": alg_none,
    "HS256 signed with the public key": hs256_with_public_key,
    "unknown kid": unknown_kid,
    "known kid, signed by another key": known_kid_wrong_key,
    "tampered payload": tampered_payload,
    "expired": expired,
    "not yet valid": not_yet_valid,
    "wrong issuer": lambda app: mint(app, issuer="https://elsewhere.example/api/auth")["access_token"],
    "wrong client": lambda app: mint(app, client_id="someone-else")["access_token"],
    "id token where an access token is required": lambda app: mint(app)["id_token"],
}


@pytest.mark.parametrize("case", list(CASES))
def test_bad_token_is_refused_with_401(app, client, case):
    response = client.get("/api/auth/me", headers=bearer(CASES[case](app)))
    body = assert_error(response, 401)
    assert response.headers["WWW-Authenticate"].startswith("Bearer")
    assert "user-1" not in json.dumps(body)  # the reason goes to the log, not to the caller


def test_token_from_another_issuer_instance_is_refused(app, client, make_app, tmp_path):
    assert_error(client.get("/api/auth/me", headers=bearer(another_instance(app, make_app, tmp_path))), 401)


@pytest.mark.parametrize("headers", [{}, {"Authorization": "Bearer "}, {"Authorization": "Basic dXNlcjpwdw=="}])
def test_no_token_is_refused_with_401(client, headers):
    response = client.get("/api/auth/me", headers=headers)
    assert "bearer token" in assert_error(response, 401)["message"]
    assert response.headers["WWW-Authenticate"] == "Bearer"


def test_good_token_passes_and_small_clock_skew_is_tolerated(app, client):
    response = client.get("/api/auth/me", headers=bearer(mint(app)["access_token"]))
    assert response.status_code == 200 and response.get_json()["sub"] == "user-1"
    skewed = mint(app, now=int(time.time()) - 610, ttl=600)["access_token"]  # expired 10 s ago: within leeway
    assert client.get("/api/auth/me", headers=bearer(skewed)).status_code == 200
    early = mint(app, now=int(time.time()) + 10)["access_token"]  # issued 10 s "in the future"
    assert client.get("/api/auth/me", headers=bearer(early)).status_code == 200


def test_require_group_admits_members_only(app, client, auth_headers):
    from videoforge.identity import require_group

    @app.get("/test-only/admin")
    @require_group("admin")
    def admin_only():
        return {"ok": True}

    assert client.get("/test-only/admin", headers=auth_headers()).status_code == 403
    assert client.get("/test-only/admin", headers=auth_headers(groups=["admin"])).get_json() == {"ok": True}
    assert_error(client.get("/test-only/admin"), 401)
