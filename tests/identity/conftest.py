"""Identity test helpers: accounts on the local issuer, tokens by hand, the moto server."""

from __future__ import annotations

import itertools

import pytest

PASSWORD = "plum-orchard-41-sky"
_emails = itertools.count()


def new_email() -> str:
    return f"person{next(_emails)}@example.test"


@pytest.fixture
def signed_up(client):
    """Create a local account over HTTP: `signed_up()` -> (email, password)."""

    def make(email: str | None = None, password: str = PASSWORD):
        email = email or new_email()
        response = client.post("/api/auth/signup", json={"email": email, "password": password})
        assert response.status_code == 201, response.get_json()
        return email, password

    return make


@pytest.fixture
def sign_in(client):
    """POST /api/auth/token; returns the response."""

    def post(email: str, password: str = PASSWORD, code: str | None = None, address: str = "127.0.0.1"):
        body = {"email": email, "password": password} | ({"code": code} if code else {})
        return client.post("/api/auth/token", json=body, environ_base={"REMOTE_ADDR": address})

    return post


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def assert_error(response, code: int) -> dict:
    """The one JSON error shape with the expected status."""
    assert response.status_code == code, (response.status_code, response.get_data(as_text=True))
    body = response.get_json()
    assert body["code"] == code and isinstance(body["status"], str) and body["message"]
    return body
