"""Sign-in and TOTP throttles over real HTTP with real threads: racing guesses get at most the limit checked, a
stranger's failures from elsewhere never lock the owner out where they sign in, and a client cannot claim an address."""

from __future__ import annotations

import http.client
import json
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from urllib.parse import urlsplit

import pyotp
import pytest
from sqlalchemy import func, select

from tests.identity.conftest import PASSWORD, bearer, new_email
from tests.live_server import serving
from videoforge.models import SignInFailure
from videoforge.throttle import network

pytestmark = pytest.mark.timeout(300)


def post(base: str, path: str, body: dict, source: str = "127.0.0.1", headers: dict | None = None):
    """POST from a real loopback address of our choosing (all of 127/8 is ours); (status, JSON, headers)."""
    url = urlsplit(base)
    conn = http.client.HTTPConnection(url.hostname, url.port, timeout=120, source_address=(source, 0))
    try:
        conn.request("POST", path, json.dumps(body), {"Content-Type": "application/json", **(headers or {})})
        response = conn.getresponse()
        return response.status, json.loads(response.read() or b"null"), dict(response.getheaders())
    finally:
        conn.close()


def at_once(calls) -> list:
    """Run the calls in threads released together, so their requests really overlap; their results in order."""
    barrier = threading.Barrier(len(calls))

    def run(call):
        barrier.wait()
        return call()

    with ThreadPoolExecutor(len(calls)) as pool:
        return list(pool.map(run, calls))


def statuses(results) -> list[int]:
    return sorted(status for status, _, _ in results)


def sign_in_call(base, email, password, source="127.0.0.1", code=None, headers=None):
    body = {"email": email, "password": password} | ({"code": code} if code else {})
    return lambda: post(base, "/api/auth/token", body, source, headers)


def enrolled(client, signed_up, confirm: bool = True):
    """An account with TOTP enrolled (and confirmed): (email, password, TOTP generator, access token)."""
    email, password = signed_up()
    access = client.post("/api/auth/token", json={"email": email, "password": password}).get_json()["access_token"]
    otp = pyotp.TOTP(client.post("/api/auth/mfa/totp", headers=bearer(access)).get_json()["secret"])
    if confirm:
        assert client.post("/api/auth/mfa/totp/verify", json={"code": otp.now()}, headers=bearer(access)).status_code \
            == 200
    return email, password, otp, access


def wrong_code(otp: pyotp.TOTP) -> str:
    return str((int(otp.now()) + 500_000) % 1_000_000).zfill(6)


def failures_under(app, key: str) -> int:
    with app.extensions["videoforge.db"].session() as session:
        return session.scalar(select(func.count()).where(SignInFailure.key == key))


def test_20_parallel_wrong_passwords_get_at_most_the_limit_checked_and_the_rest_429(app, signed_up):
    email, _ = signed_up()
    limit = app.config["AUTH_SIGNIN_MAX_FAILURES"]
    with serving(app) as base:
        results = at_once([sign_in_call(base, email, f"wrong-guess-{n}") for n in range(20)])
    codes = statuses(results)
    assert set(codes) <= {401, 429} and codes.count(401) <= limit, codes
    assert all(int(h["Retry-After"]) > 0 for status, _, h in results if status == 429)
    # Refused attempts are not left counted (Retry-After stays true); the checked ones are.
    assert failures_under(app, f"account:{email}|address:127.0.0.1") == codes.count(401)


def test_parallel_wrong_totp_codes_at_sign_in_get_at_most_the_limit_checked(app, client, signed_up):
    email, password, otp, _ = enrolled(client, signed_up)
    limit = app.config["AUTH_SIGNIN_MAX_FAILURES"]
    with serving(app) as base:
        results = at_once([sign_in_call(base, email, password, code=wrong_code(otp)) for _ in range(12)])
    codes = statuses(results)
    assert set(codes) <= {401, 429} and codes.count(401) <= limit, codes
    assert all(body["errors"] == {"code": "invalid"} for status, body, _ in results if status == 401)


def test_parallel_wrong_codes_confirming_totp_get_at_most_the_limit_checked(app, client, signed_up):
    _, _, otp, access = enrolled(client, signed_up, confirm=False)
    limit = app.config["AUTH_SIGNIN_MAX_FAILURES"]
    with serving(app) as base:
        results = at_once([lambda: post(base, "/api/auth/mfa/totp/verify", {"code": wrong_code(otp)},
                                        headers=bearer(access)) for _ in range(12)])
    codes = statuses(results)
    assert set(codes) <= {400, 429} and codes.count(400) <= limit, codes
    assert client.get("/api/auth/me", headers=bearer(access)).get_json()["mfa_enabled"] is False


def test_one_totp_code_signs_in_once_even_when_sent_four_times_at_once(client, signed_up):
    email, password, otp, _ = enrolled(client, signed_up)
    code = otp.at(time.time() + 30)  # not the one that confirmed enrolment
    with serving(client.application) as base:
        results = at_once([sign_in_call(base, email, password, code=code) for _ in range(4)])
    assert statuses(results) == [200, 401, 401, 401], [body for _, body, _ in results]


def test_a_strangers_failures_elsewhere_do_not_lock_the_owner_out_but_slow_the_stranger(app, signed_up):
    email, password = signed_up()
    app.config.update(AUTH_SIGNIN_MAX_FAILURES=2, AUTH_SIGNIN_MAX_FAILURES_PER_ACCOUNT=4)
    with serving(app) as base:
        assert sign_in_call(base, email, password, source="127.0.0.2")()[0] == 200  # where the owner signs in
        # A guesser spread over six addresses, two guesses each (within the per-address limits): the account-wide
        # back-off lets at most four be checked.
        guesses = [sign_in_call(base, email, f"guess-{n}", source=f"127.0.0.{10 + n // 2}") for n in range(12)]
        codes = statuses(at_once(guesses))
        assert set(codes) <= {401, 429} and codes.count(401) <= 4, codes
        # More guesses from fresh addresses, one at a time, until the back-off answers: four checked in all.
        checked = codes.count(401)
        for n in range(5):
            status = sign_in_call(base, email, f"more-{n}", source=f"127.0.1.{n}")()[0]
            if status == 429:
                break
            checked += 1
        assert status == 429 and checked == 4
        # Even the right password is refused at an address the account never signed in from...
        status, _, headers = sign_in_call(base, email, password, source="127.0.0.20")()
        assert status == 429 and int(headers["Retry-After"]) > 0
        # ...and a client cannot claim the owner's address: X-Forwarded-For is believed only from trusted proxies.
        spoofed = sign_in_call(base, email, password, source="127.0.0.21", headers={"X-Forwarded-For": "127.0.0.2"})
        assert spoofed()[0] == 429
        # The owner, where they usually sign in, is not locked out, even while the guesser keeps going.
        owner = at_once([sign_in_call(base, email, password, source="127.0.0.2"),
                         sign_in_call(base, email, "guess-again", source="127.0.0.30")])
        assert [status for status, _, _ in owner] == [200, 429]


def test_behind_a_trusted_proxy_the_forwarded_client_address_is_the_one_counted(make_app):
    app = make_app(TRUSTED_PROXY_HOPS=1, AUTH_SIGNIN_MAX_FAILURES_PER_ACCOUNT=2)
    email = new_email()
    assert app.test_client().post("/api/auth/signup", json={"email": email, "password": PASSWORD}).status_code == 201
    password = PASSWORD

    def via(address: str) -> dict[str, str]:
        return {"X-Forwarded-For": address}  # what the proxy in front adds

    with serving(app) as base:
        assert sign_in_call(base, email, password, headers=via("198.51.100.7"))()[0] == 200
        for n in range(2):
            assert sign_in_call(base, email, "guess", headers=via(f"203.0.113.{n}"))()[0] == 401
        assert sign_in_call(base, email, password, headers=via("203.0.113.99"))()[0] == 429
        assert sign_in_call(base, email, password, headers=via("198.51.100.7"))()[0] == 200


@pytest.mark.parametrize("address, counted_as", [
    ("2001:db8:1:2:aaaa::1", "2001:db8:1:2::/64"),
    ("2001:db8:1:2:ffff:ffff:ffff:ffff", "2001:db8:1:2::/64"),
    ("::ffff:192.0.2.9", "192.0.2.9"),
    ("192.0.2.9", "192.0.2.9"),
    (None, "unknown"),
])
def test_an_ipv6_client_counts_as_its_64_since_it_may_hold_all_of_it(address, counted_as):
    assert network(address) == counted_as


def test_a_burst_of_bad_api_keys_gets_at_most_the_limit_counted_and_the_rest_429(make_app):
    """Refused keys count in the same concurrency-proof counter as sign-ins: 20 unknown keys at once from one address
    leave at most API_KEY_MAX_FAILURES_PER_ADDRESS counted, every other answer a 429 with Retry-After."""
    app = make_app(API_KEY_MAX_FAILURES_PER_ADDRESS=4)
    unknown = {"Authorization": "Bearer vf_" + "A" * 43}

    def get_me():
        url = urlsplit(base)
        conn = http.client.HTTPConnection(url.hostname, url.port, timeout=120)
        try:
            conn.request("GET", "/api/auth/me", headers=unknown)
            response = conn.getresponse()
            return response.status, json.loads(response.read() or b"null"), dict(response.getheaders())
        finally:
            conn.close()

    with serving(app) as base:
        results = at_once([get_me for _ in range(20)])
    codes = statuses(results)
    assert set(codes) <= {401, 429} and codes.count(401) <= 4 and 429 in codes, codes
    assert all(int(h["Retry-After"]) > 0 for status, _, h in results if status == 429)
    assert failures_under(app, f"api-key:{network('127.0.0.1')}") == codes.count(401)
