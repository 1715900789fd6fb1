"""No SSRF: in production a webhook goes only to https URLs whose host resolves to public addresses, checked at
registration and again at each delivery, which connects to the address it checked; a delivery is short, reads a
bounded answer and follows no redirect."""

from __future__ import annotations

import ipaddress
import json
import time

import pytest
from sqlalchemy import select

from tests.conftest import token_for
from tests.modules.webhooks.conftest import add_video, deliver, deliveries_of, owner_of, register
from videoforge.models import Video, WebhookAttempt
from videoforge.webhooks import EventType, addresses
from videoforge.webhooks.addresses import TargetRefused, check_target, is_allowed, is_public, parse_target
from videoforge.webhooks.events import record_event

NOT_PUBLIC = ["10.0.0.1", "172.16.5.4", "192.168.1.1", "127.0.0.1", "127.1.2.3", "169.254.169.254", "0.0.0.0",
              "100.64.0.1", "224.0.0.1", "240.0.0.1", "255.255.255.255", "198.18.0.1", "192.0.2.1", "::1", "::",
              "fe80::1", "fc00::1", "fd12:3456::1", "ff02::1", "2001:db8::1", "::ffff:127.0.0.1", "::ffff:10.0.0.1",
              "::ffff:169.254.169.254", "64:ff9b::a9fe:a9fe", "64:ff9b::7f00:1", "2002:a00:1::1", "2002:7f00:1::1",
              "2001::1"]
PUBLIC = ["93.184.216.34", "8.8.8.8", "1.1.1.1", "2606:4700:4700::1111", "::ffff:93.184.216.34",
          "64:ff9b::5db8:d822", "2a00:1450:4001:80b::200e"]


@pytest.mark.parametrize("address", NOT_PUBLIC)
def test_non_public_addresses_are_refused(address):
    assert not is_public(ipaddress.ip_address(address))


@pytest.mark.parametrize("address", PUBLIC)
def test_public_addresses_pass(address):
    assert is_public(ipaddress.ip_address(address))


def test_development_allows_loopback_and_nothing_else_private():
    for address in ("127.0.0.1", "::1", "::ffff:127.0.0.1"):
        assert is_allowed(ipaddress.ip_address(address), allow_loopback=True)
        assert not is_allowed(ipaddress.ip_address(address), allow_loopback=False)
    for address in ("10.0.0.1", "169.254.169.254", "fe80::1", "0.0.0.0"):
        assert not is_allowed(ipaddress.ip_address(address), allow_loopback=True)


@pytest.mark.parametrize("url", [
    "http://93.184.216.34/hook", "ftp://93.184.216.34/", "https://user:pw@93.184.216.34/", "https:///hook",
    "https://93.184.216.34:99999/", "https://93.184.216.34/a#frag", "https://93.184.216.34/a b", "//93.184.216.34/",
    "javascript:alert(1)", "https://" + "a" * 2050 + ".com/"])
def test_malformed_or_plain_http_urls_are_refused_in_production(url):
    with pytest.raises(TargetRefused):
        parse_target(url, allow_loopback=False)


def test_names_are_judged_by_every_address_they_resolve_to(monkeypatch):
    monkeypatch.setattr(addresses, "resolve", lambda host, port: [ipaddress.ip_address("93.184.216.34"),
                                                                  ipaddress.ip_address("10.0.0.7")])
    with pytest.raises(TargetRefused, match="non-public"):
        check_target("https://hooks.example.test/x", allow_loopback=False)
    monkeypatch.setattr(addresses, "resolve", lambda host, port: [ipaddress.ip_address("93.184.216.34")])
    target, address = check_target("https://Hooks.Example.test:8443/x?y=1", allow_loopback=False)
    assert (target.host, target.port, target.path, str(address)) == ("hooks.example.test", 8443, "/x?y=1",
                                                                      "93.184.216.34")


def test_an_http_url_must_be_on_loopback_even_in_development(monkeypatch):
    monkeypatch.setattr(addresses, "resolve", lambda host, port: [ipaddress.ip_address("93.184.216.34")])
    with pytest.raises(TargetRefused, match="https"):
        check_target("http://hooks.example.test/", allow_loopback=True)


REFUSED_IN_PRODUCTION = [
    "https://10.0.0.1/hook", "https://169.254.169.254/latest/meta-data/", "https://[::1]/hook",
    "https://[::ffff:127.0.0.1]/hook", "https://[64:ff9b::a9fe:a9fe]/", "https://localhost/hook",
    "https://127.0.0.1:5000/api/admin/queue", "https://0x7f.1/", "https://2130706433/",
    "http://hooks.example.com/hook", "http://127.0.0.1/hook"]


def test_production_refuses_private_targets_at_registration(production_app, auth_headers):
    client, owner = production_app.test_client(), auth_headers()
    for url in REFUSED_IN_PRODUCTION:
        response = client.post("/api/webhooks", json={"url": url, "events": ["video.ready"]}, headers=owner)
        assert response.status_code == 422, url
        [reason] = response.get_json()["errors"]["json"]["url"]
        assert reason.startswith("This URL cannot receive webhooks"), url
        assert "10.0.0.1" not in reason and "127.0.0.1" not in reason  # no address is echoed back
    assert client.get("/api/webhooks", headers=owner).get_json() == []


def test_production_refuses_a_name_that_resolves_to_loopback_by_delivery_time(production_app, auth_headers,
                                                                            receiver, monkeypatch):
    """DNS rebinding: public when registered, loopback when the event is sent. The receiver hears nothing."""
    app, owner = production_app, auth_headers()
    monkeypatch.setattr(addresses, "resolve", lambda host, port: [ipaddress.ip_address("93.184.216.34")])
    endpoint = register(app.test_client(), owner, f"https://hooks.example.test:{receiver.port}/hook")
    monkeypatch.setattr(addresses, "resolve", lambda host, port: [ipaddress.ip_address("127.0.0.1")])
    announce(app, add_video(app, owner_of(app, endpoint["id"])))
    assert list(deliver(app).values()) == ["pending"]
    [delivery] = deliveries_of(app, endpoint["id"])
    assert delivery.last_error.startswith("refused:") and delivery.last_status_code is None
    assert receiver.requests == []


def test_a_delivery_connects_to_the_address_it_checked(app, client, auth_headers, receiver, monkeypatch):
    """The name is resolved once, by the check; the connection goes to that address (a resolver asked again
    would fail here), and the request still names the host."""
    calls = []

    def resolve_once(host, port):
        calls.append(host)
        return [ipaddress.ip_address("127.0.0.1")]

    monkeypatch.setattr(addresses, "resolve", resolve_once)
    endpoint = register(client, auth_headers(), f"http://receiver.invalid:{receiver.port}/hook")
    announce(app, add_video(app, owner_of(app, endpoint["id"])))
    assert list(deliver(app).values()) == ["delivered"]
    assert calls == ["receiver.invalid", "receiver.invalid"]  # registration, then the delivery
    assert receiver.requests[0].headers["Host"] == f"receiver.invalid:{receiver.port}"


def test_a_slow_answer_times_out(make_app, receiver):
    app = make_app(WEBHOOK_ALLOW_LOOPBACK=True, WEBHOOK_TIMEOUT=0.5)
    receiver.delay = 1.5
    endpoint = register(app.test_client(), {"Authorization": f"Bearer {token_for(app)}"}, receiver.url())
    announce(app, add_video(app, owner_of(app, endpoint["id"])))
    started = time.monotonic()
    assert list(deliver(app).values()) == ["pending"]
    assert time.monotonic() - started < 1.4
    [delivery] = deliveries_of(app, endpoint["id"])
    assert delivery.last_error == "timed out after 0.5 s" and 450 <= last_duration(app) < 1400


def test_a_redirect_is_not_followed(app, client, auth_headers, receiver):
    endpoint = register(client, auth_headers(), receiver.url())
    receiver.status, receiver.location = 302, receiver.url("/elsewhere")
    announce(app, add_video(app, owner_of(app, endpoint["id"])))
    assert list(deliver(app).values()) == ["pending"]
    assert [r.path for r in receiver.requests] == ["/hook"]
    [delivery] = deliveries_of(app, endpoint["id"])
    assert delivery.last_status_code == 302 and delivery.last_error == "answered 302"


def last_duration(app) -> int:
    with app.extensions["videoforge.db"].session() as session:
        return session.scalars(select(WebhookAttempt.duration_ms).order_by(WebhookAttempt.id.desc())).first()


def announce(app, video_id: str) -> None:
    with app.extensions["videoforge.db"].session() as session:
        session.execute(Video.finish(video_id))
        record_event(session, session.get(Video, video_id), EventType.VIDEO_READY)


def test_the_log_keeps_only_the_answers_first_bytes(app, client, auth_headers, receiver):
    owner = auth_headers()
    endpoint = register(client, owner, receiver.url())
    receiver.reply = "é".encode() * 50_000
    announce(app, add_video(app, owner_of(app, endpoint["id"])))
    deliver(app)
    [entry] = client.get(f"/api/webhooks/{endpoint['id']}/deliveries", headers=owner).get_json()
    [attempt] = entry["attempts"]
    assert attempt["status_code"] == 200 and 0 < len(attempt["response"].encode()) <= 1024 + 3
    assert json.loads(receiver.requests[0].body)["type"] == "video.ready"
