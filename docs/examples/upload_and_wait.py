#!/usr/bin/env python3
"""Upload a video with a personal API key and wait for VideoForge's `video.ready` webhook: no password, no polling.

    VIDEOFORGE_API_KEY=vf_... python3 docs/examples/upload_and_wait.py holiday.mp4 --server http://127.0.0.1:5000

The key needs the `manage` scope (it registers a webhook endpoint for the run, and deletes it at the end; `manage`
holds `upload`). The script listens for the webhook itself, on 127.0.0.1, which a server allows only in
development (`VIDEOFORGE_WEBHOOK_ALLOW_LOOPBACK=true make run`). Against a production server, expose the listener
over https at a public address (a reverse proxy or a tunnel) and pass that URL as --webhook-url.

Each webhook is checked as docs/webhooks.md says: HMAC-SHA256 with the endpoint's secret over `t + "." + body`,
compared in constant time with every `v1` in the header (there are two for a while after the secret is rolled: the
new secret's and the old one's), and refused when `t` is more than five minutes away. Events are de-duplicated by id.
Standard library only.
"""

from __future__ import annotations

import argparse
import hashlib
import hmac
import json
import mimetypes
import os
import sys
import threading
import time
import urllib.error
import urllib.request
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

TOLERANCE_SECONDS = 300


def verified(secret: str, header: str, body: bytes, now: float | None = None) -> bool:
    """The VideoForge-Signature check: `t=<unix>,v1=<hex>[,v1=<hex>…]`, each v1 = HMAC-SHA256(a secret,
    f"{t}.".encode() + body); true when any v1 is ours (after a roll, one is the new secret's, one the old's)."""
    timestamp, signatures = None, []
    for item in header.split(","):
        key, _, value = item.strip().partition("=")
        if key == "t" and value.isdigit():
            timestamp = int(value)
        elif key == "v1":
            signatures.append(value.encode())
    if timestamp is None or abs((now or time.time()) - timestamp) > TOLERANCE_SECONDS:
        return False
    expected = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256).hexdigest().encode()
    return any(hmac.compare_digest(expected, signature) for signature in signatures)


class Inbox:
    """Verified events by id (each kept once), and a wake-up for whoever waits on one video."""

    def __init__(self) -> None:
        self.secret = ""
        self.events: dict[str, dict] = {}
        self.arrived = threading.Condition()

    def accept(self, header: str, body: bytes) -> int:
        """The status to answer: 400 for a bad signature, else 200 (also for an event seen before)."""
        if not self.secret or not verified(self.secret, header, body):
            return 400
        event = json.loads(body)
        with self.arrived:
            self.events.setdefault(event["id"], event)
            self.arrived.notify_all()
        return 200

    def wait_for(self, video_id: str, types: set[str], timeout: float) -> dict | None:
        deadline = time.monotonic() + timeout
        with self.arrived:
            while True:
                for event in self.events.values():
                    if event["type"] in types and event["data"].get("video", {}).get("id") == video_id:
                        return event
                left = deadline - time.monotonic()
                if left <= 0 or not self.arrived.wait(left):
                    return None


def listen(inbox: Inbox, host: str, port: int) -> ThreadingHTTPServer:
    class Receiver(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
            status = inbox.accept(self.headers.get("VideoForge-Signature", ""), body)
            self.send_response(status)  # answer at once: VideoForge waits 5 s at most
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, *args) -> None:
            pass

    server = ThreadingHTTPServer((host, port), Receiver)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


class Api:
    """JSON calls with the API key."""

    def __init__(self, server: str, key: str):
        self.server, self.key = server.rstrip("/"), key

    def call(self, method: str, path: str, body: dict | None = None) -> dict:
        data = json.dumps(body).encode() if body is not None else None
        request = urllib.request.Request(self.server + path, data=data, method=method, headers={
            "Authorization": f"Bearer {self.key}", "Content-Type": "application/json"})
        try:
            with urllib.request.urlopen(request, timeout=60) as answer:
                raw = answer.read()
        except urllib.error.HTTPError as exc:
            detail = json.loads(exc.read() or b"{}")
            sys.exit(f"{method} {path}: {exc.code} {detail.get('message', '')} {detail.get('errors', '')}")
        return json.loads(raw) if raw else {}


def put(url: str, headers: dict, data: bytes) -> str:
    """PUT bytes to a signed storage URL; the ETag storage answers with."""
    request = urllib.request.Request(url, data=data, method="PUT", headers={**headers,
                                                                           "Content-Length": str(len(data))})
    with urllib.request.urlopen(request, timeout=300) as answer:
        return answer.headers.get("ETag", "")


def upload(api: Api, path: Path, title: str) -> str:
    """Create the video, send its bytes straight to storage, confirm; the video's id."""
    size = path.stat().st_size
    content_type = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
    created = api.call("POST", "/api/gallery/uploads", {"title": title, "filename": path.name, "size": size,
                                                        "content_type": content_type})
    video_id, plan = created["video"]["id"], created["upload"]
    parts = None
    with path.open("rb") as source:
        if plan.get("multipart"):
            multipart, parts = plan["multipart"], []
            for part in multipart["parts"]:
                source.seek((part["number"] - 1) * multipart["part_size"])
                etag = put(part["url"], {}, source.read(multipart["part_size"]))
                parts.append({"number": part["number"], "etag": etag})
                print(f"  part {part['number']} of {len(multipart['parts'])} sent")
        else:
            put(plan["url"], plan.get("headers") or {}, source.read())
    api.call("POST", f"/api/gallery/videos/{video_id}/confirm", {"parts": parts} if parts else {})
    return video_id


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("file", type=Path)
    parser.add_argument("--server", default=os.environ.get("VIDEOFORGE_URL", "http://127.0.0.1:5000"))
    parser.add_argument("--key", default=os.environ.get("VIDEOFORGE_API_KEY"), help="vf_… (or VIDEOFORGE_API_KEY)")
    parser.add_argument("--title")
    parser.add_argument("--listen", default="127.0.0.1:0", help="host:port of the local receiver (port 0: any)")
    parser.add_argument("--webhook-url", help="the receiver's public https URL, when not the local one")
    parser.add_argument("--timeout", type=float, default=3600, help="seconds to wait for the webhook")
    args = parser.parse_args()
    if not args.key or not args.key.startswith("vf_"):
        sys.exit("Give a personal API key (vf_…, scope `manage`) with --key or VIDEOFORGE_API_KEY.")

    host, _, port = args.listen.rpartition(":")
    inbox = Inbox()
    receiver = listen(inbox, host or "127.0.0.1", int(port or 0))
    url = args.webhook_url or f"http://{receiver.server_address[0]}:{receiver.server_address[1]}/videoforge"
    api = Api(args.server, args.key)
    endpoint = api.call("POST", "/api/webhooks", {"url": url, "events": ["video.ready", "video.failed"],
                                                  "description": "docs/examples/upload_and_wait.py"})
    inbox.secret = endpoint["secret"]
    try:
        video_id = upload(api, args.file, args.title or args.file.stem)
        print(f"uploaded {args.file.name} as video {video_id}; waiting for its webhook at {url}")
        event = inbox.wait_for(video_id, {"video.ready", "video.failed"}, args.timeout)
    finally:
        api.call("DELETE", f"/api/webhooks/{endpoint['id']}")
        receiver.shutdown()
    if event is None:
        sys.exit(f"no webhook within {args.timeout:g} s")
    video = event["data"]["video"]
    if event["type"] == "video.failed":
        sys.exit(f"video {video_id} failed: {video['error']}")
    print(f"ready: {video['title']} ({video['width']}x{video['height']}, {video['duration']:.1f} s) "
          f"{args.server.rstrip('/')}/watch/{video_id}")


if __name__ == "__main__":
    main()
