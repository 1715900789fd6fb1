"""Webhook fixtures: a receiver on loopback (a small threading HTTP server), apps in development and production
mode, and helpers that register endpoints and make videos for their owners."""

from __future__ import annotations

import contextlib
import hashlib
import hmac
import threading
import time
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from sqlalchemy import select

from videoforge.models import Video, WebhookDelivery, WebhookEndpoint, new_id, utcnow
from videoforge.webhooks.delivery import deliver_due


@dataclass
class Received:
    path: str
    headers: dict[str, str]
    body: bytes


class Receiver:
    """Records every request; answers `status` with `reply` after `delay` seconds (with `location` on a 3xx)."""

    def __init__(self, port: int = 0):
        self.requests: list[Received] = []
        self.status, self.reply, self.delay, self.location = 200, b"thanks", 0.0, None
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                length = int(self.headers.get("Content-Length") or 0)
                receiver.requests.append(Received(self.path, dict(self.headers.items()), self.rfile.read(length)))
                if receiver.delay:
                    time.sleep(receiver.delay)
                self.send_response(receiver.status)
                if receiver.location:
                    self.send_header("Location", receiver.location)
                self.send_header("Content-Length", str(len(receiver.reply)))
                self.end_headers()
                with contextlib.suppress(OSError):  # the sender stops reading after the first bytes
                    self.wfile.write(receiver.reply)

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", port), Handler)
        self.server.daemon_threads = True
        self.port = self.server.server_address[1]
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def url(self, path: str = "/hook") -> str:
        return f"http://127.0.0.1:{self.port}{path}"

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def receiver():
    server = Receiver()
    yield server
    server.stop()


@pytest.fixture
def app(make_app):
    """Development mode: endpoints on loopback allowed (the receiver)."""
    return make_app(WEBHOOK_ALLOW_LOOPBACK=True)


@pytest.fixture
def production_app(make_app):
    return make_app()


def signature_fields(header: str) -> tuple[str, list[str]]:
    """The header's t and its v1 values, in order (two while a rolled secret's predecessor still signs)."""
    items = [item.split("=", 1) for item in header.split(",")]
    [t] = [value for key, value in items if key == "t"]
    return t, [value for key, value in items if key == "v1"]


def expected_signature(secret: str, header: str, body: bytes) -> bool:
    """The documented check, written out here rather than imported: t=<unix>,v1=HMAC-SHA256(secret, t + "." + body),
    accepted when any v1 matches."""
    t, v1s = signature_fields(header)
    mac = hmac.new(secret.encode(), t.encode() + b"." + body, hashlib.sha256).hexdigest()
    return any(hmac.compare_digest(mac, v1) for v1 in v1s) and abs(time.time() - int(t)) < 60


def register(client, headers, url: str, events=("video.ready",), **fields) -> dict:
    """Register an endpoint through the API; its JSON (with the secret)."""
    response = client.post("/api/webhooks", json={"url": url, "events": list(events), **fields}, headers=headers)
    assert response.status_code == 201, response.get_json()
    return response.get_json()


def owner_of(app, endpoint_id: str) -> str:
    with app.extensions["videoforge.db"].session() as session:
        return session.get(WebhookEndpoint, endpoint_id).owner_id


def add_video(app, owner_id: str, status: str = "processing", **columns) -> str:
    """A video of `owner_id` in the middle of a job (queued_at set, as confirm sets it)."""
    video_id = columns.pop("id", None) or new_id()
    with app.extensions["videoforge.db"].session() as session:
        session.add(Video(id=video_id, owner_id=owner_id, title="Holiday", status=status, queued_at=utcnow(),
                          source_key=f"uploads/{owner_id}/{video_id}/source", **columns))
    return video_id


def deliver(app, now=None) -> dict[str, str]:
    """One dispatcher pass, as the worker's dispatcher makes every second."""
    return deliver_due(app.extensions["videoforge.db"], dict(app.config), now=now)


def deliveries_of(app, endpoint_id: str) -> list[WebhookDelivery]:
    with app.extensions["videoforge.db"].session() as session:
        return list(session.scalars(select(WebhookDelivery).where(WebhookDelivery.endpoint_id == endpoint_id)
                                    .order_by(WebhookDelivery.created_at)).all())
