"""The Lambda Runtime API on loopback: what a container-image function's runtime client polls for events.

A Lambda image's entrypoint starts the runtime interface client, which asks `AWS_LAMBDA_RUNTIME_API` for the next
event, calls the handler and posts the result back. Serving those three paths lets a test run the image exactly as
Lambda does and hand it events one at a time.
"""

from __future__ import annotations

import json
import queue
import threading
import time
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Self

PREFIX = "/2018-06-01/runtime"


class RuntimeApi:
    """`invoke(event)` queues an event for the runtime and waits for its response (or error)."""

    def __init__(self):
        self._events: queue.Queue[tuple[str, dict]] = queue.Queue()
        self._results: dict[str, dict] = {}
        self._done = threading.Condition()
        self.init_error: dict | None = None
        api = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):  # quiet: failures come back through invoke()
                pass

            def _reply(self, status: int, body: bytes = b"{}", headers: dict | None = None) -> None:
                self.send_response(status)
                for name, value in (headers or {}).items():
                    self.send_header(name, value)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def do_GET(self):
                if self.path != f"{PREFIX}/invocation/next":
                    return self._reply(404)
                request_id, event = api._events.get()
                self._reply(200, json.dumps(event).encode(), {
                    "Lambda-Runtime-Aws-Request-Id": request_id,
                    "Lambda-Runtime-Deadline-Ms": str(int((time.time() + 30) * 1000)),
                    "Lambda-Runtime-Invoked-Function-Arn": "arn:aws:lambda:us-east-1:123456789012:function:videoforge",
                    "Lambda-Runtime-Trace-Id": "Root=1-00000000-000000000000000000000000;Sampled=0",
                })

            def do_POST(self):
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                parts = self.path[len(PREFIX):].strip("/").split("/")
                if parts == ["init", "error"]:
                    api.init_error = json.loads(body or b"{}")
                    with api._done:
                        api._done.notify_all()
                elif len(parts) == 3 and parts[0] == "invocation" and parts[2] in ("response", "error"):
                    with api._done:
                        api._results[parts[1]] = {"kind": parts[2], "body": json.loads(body or b"null")}
                        api._done.notify_all()
                else:
                    return self._reply(404)
                self._reply(202)

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.address = f"127.0.0.1:{self.server.server_address[1]}"
        self._thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self) -> Self:
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.server.shutdown()
        self.server.server_close()

    def invoke(self, event: dict, timeout: float = 60.0) -> dict:
        """The handler's response to `event`; raises with the runtime's error report if it failed."""
        request_id = str(uuid.uuid4())
        self._events.put((request_id, event))
        deadline = time.monotonic() + timeout
        with self._done:
            while request_id not in self._results:
                if self.init_error is not None:
                    raise RuntimeError(f"the function failed to start: {self.init_error}")
                left = deadline - time.monotonic()
                if left <= 0:
                    raise TimeoutError(f"no response to the event after {timeout:.0f} s")
                self._done.wait(left)
            result = self._results.pop(request_id)
        if result["kind"] == "error":
            raise RuntimeError(f"the handler raised: {result['body']}")
        return result["body"]
