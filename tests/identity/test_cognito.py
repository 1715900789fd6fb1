"""The Cognito path end to end: a Cognito-protocol server on loopback (moto_server) issues the tokens."""

from __future__ import annotations

import boto3
import pytest

from tests.identity.conftest import assert_error, bearer
from videoforge.config import ConfigError

REGION = "us-east-1"
PASSWORD = "Pool-Password-1234!"


@pytest.fixture
def cognito(moto_endpoint):
    return boto3.client("cognito-idp", endpoint_url=moto_endpoint, region_name=REGION)


def make_pool(cognito, name: str, email: str, groups=()) -> dict:
    """A pool with an app client and one confirmed user; returns ids and that user's tokens."""
    pool_id = cognito.create_user_pool(PoolName=name, UsernameAttributes=["email"])["UserPool"]["Id"]
    client_id = cognito.create_user_pool_client(
        UserPoolId=pool_id, ClientName="web", ExplicitAuthFlows=["ALLOW_USER_PASSWORD_AUTH", "ALLOW_REFRESH_TOKEN_AUTH"],
    )["UserPoolClient"]["ClientId"]
    cognito.admin_create_user(UserPoolId=pool_id, Username=email,
                              UserAttributes=[{"Name": "email", "Value": email}], MessageAction="SUPPRESS")
    cognito.admin_set_user_password(UserPoolId=pool_id, Username=email, Password=PASSWORD, Permanent=True)
    for group in groups:
        cognito.create_group(UserPoolId=pool_id, GroupName=group)
        cognito.admin_add_user_to_group(UserPoolId=pool_id, Username=email, GroupName=group)
    return {"pool_id": pool_id, "client_id": client_id, "email": email,
            "tokens": sign_in(cognito, client_id, email)}


def sign_in(cognito, client_id: str, email: str) -> dict:
    return cognito.initiate_auth(ClientId=client_id, AuthFlow="USER_PASSWORD_AUTH",
                                 AuthParameters={"USERNAME": email, "PASSWORD": PASSWORD})["AuthenticationResult"]


def cognito_app(make_app, moto_endpoint, pool: dict, **overrides):
    settings = dict(
        AUTH_BACKEND="cognito", COGNITO_REGION=REGION, COGNITO_USER_POOL_ID=pool["pool_id"],
        COGNITO_CLIENT_ID=pool["client_id"],
        COGNITO_JWKS_URL=f"{moto_endpoint}/{pool['pool_id']}/.well-known/jwks.json",
        # moto signs with AWS's issuer, not its own address: that is why issuer and JWKS URL are separate keys.
        COGNITO_ISSUER=f"https://cognito-idp.{REGION}.amazonaws.com/{pool['pool_id']}",
        COGNITO_DOMAIN="https://videoforge-test.auth.us-east-1.amazoncognito.com",
    )
    return make_app(**(settings | overrides))


def test_app_accepts_a_token_from_its_pool_and_rejects_another_pools(make_app, moto_endpoint, cognito):
    ours = make_pool(cognito, "videoforge", "alice@example.test", groups=["admin"])
    theirs = make_pool(cognito, "elsewhere", "mallory@example.test", groups=["admin"])
    app = cognito_app(make_app, moto_endpoint, ours)
    client = app.test_client()

    response = client.get("/api/auth/me", headers=bearer(ours["tokens"]["AccessToken"]))
    assert response.status_code == 200, response.get_json()
    me = response.get_json()
    sub = cognito.admin_get_user(UserPoolId=ours["pool_id"], Username="alice@example.test")
    assert me["sub"] == next(a["Value"] for a in sub["UserAttributes"] if a["Name"] == "sub")
    assert me["groups"] == ["admin"] and me["mfa_enabled"] is False  # first sight created the row

    assert_error(client.get("/api/auth/me", headers=bearer(theirs["tokens"]["AccessToken"])), 401)
    assert_error(client.get("/api/auth/me", headers=bearer(ours["tokens"]["IdToken"])), 401)


def test_token_for_another_app_client_of_the_same_pool_is_refused(make_app, moto_endpoint, cognito):
    pool = make_pool(cognito, "two-clients", "bob@example.test")
    other_client = cognito.create_user_pool_client(
        UserPoolId=pool["pool_id"], ClientName="cli", ExplicitAuthFlows=["ALLOW_USER_PASSWORD_AUTH"],
    )["UserPoolClient"]["ClientId"]
    token = sign_in(cognito, other_client, "bob@example.test")["AccessToken"]
    client = cognito_app(make_app, moto_endpoint, pool).test_client()
    assert_error(client.get("/api/auth/me", headers=bearer(token)), 401)
    assert client.get("/api/auth/me", headers=bearer(pool["tokens"]["AccessToken"])).status_code == 200


def test_cognito_groups_follow_the_token(make_app, moto_endpoint, cognito):
    pool = make_pool(cognito, "groups", "carol@example.test", groups=["admin"])
    # Region and issuer left out: both are derived from the pool id, as for a real pool.
    client = cognito_app(make_app, moto_endpoint, pool, COGNITO_REGION="", COGNITO_ISSUER="").test_client()
    assert client.get("/api/auth/me", headers=bearer(pool["tokens"]["AccessToken"])).get_json()["groups"] == ["admin"]
    cognito.admin_remove_user_from_group(UserPoolId=pool["pool_id"], Username="carol@example.test", GroupName="admin")
    fresh = sign_in(cognito, pool["client_id"], "carol@example.test")["AccessToken"]
    assert client.get("/api/auth/me", headers=bearer(fresh)).get_json()["groups"] == []


def test_cognito_backend_serves_the_hosted_ui_config_and_no_local_issuer(make_app, moto_endpoint, cognito):
    pool = make_pool(cognito, "config", "dave@example.test")
    client = cognito_app(make_app, moto_endpoint, pool, PUBLIC_URL="https://video.example.org").test_client()
    config = client.get("/api/auth/config").get_json()
    domain = "https://videoforge-test.auth.us-east-1.amazoncognito.com"
    assert config == {"flow": "cognito", "authorize_url": f"{domain}/oauth2/authorize",
                      "token_url": f"{domain}/oauth2/token", "logout_url": f"{domain}/logout",
                      "client_id": pool["client_id"], "redirect_uri": "https://video.example.org/",
                      "scopes": ["openid", "email", "profile"]}
    assert_error(client.post("/api/auth/signup", json={"email": "e@example.test", "password": "x" * 12}), 404)
    assert_error(client.get("/api/auth/.well-known/jwks.json"), 404)


def test_without_public_url_the_hosted_ui_returns_to_the_host_asked(make_app, moto_endpoint, cognito):
    pool = make_pool(cognito, "callback", "fay@example.test")
    client = cognito_app(make_app, moto_endpoint, pool).test_client()
    asked = client.get("/api/auth/config", base_url="http://192.168.1.20:5055").get_json()
    assert asked["redirect_uri"] == "http://192.168.1.20:5055/"
    fixed = cognito_app(make_app, moto_endpoint, pool, COGNITO_REDIRECT_URI="https://video.example.org/cb")
    asked = fixed.test_client().get("/api/auth/config", base_url="http://localhost:5055").get_json()
    assert asked["redirect_uri"] == "https://video.example.org/cb"


def test_cognito_backend_without_a_hosted_ui_domain_stops_start_up(make_app, moto_endpoint, cognito):
    pool = make_pool(cognito, "nodomain", "erin@example.test")
    with pytest.raises(ConfigError, match="VIDEOFORGE_COGNITO_DOMAIN"):
        cognito_app(make_app, moto_endpoint, pool, COGNITO_DOMAIN="")
