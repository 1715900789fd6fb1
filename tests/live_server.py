"""A real HTTP server on loopback for a Flask app, so signed storage URLs are fetched the way browsers do."""

from __future__ import annotations

import threading
from contextlib import contextmanager

from werkzeug.serving import make_server


class LiveServer:
    """Listens on a random loopback port at once; `serve(app)` sets the app it answers with.

    Binding first lets the app be built with the right PUBLIC_URL (signed URLs are absolute).
    """

    def __init__(self):
        self.app = None
        self._server = make_server("127.0.0.1", 0, self._dispatch, threaded=True)
        self.url = f"http://127.0.0.1:{self._server.server_port}"
        self._thread = threading.Thread(target=self._server.serve_forever, name="live-server", daemon=True)
        self._thread.start()

    def _dispatch(self, environ, start_response):
        if self.app is None:
            start_response("503 Service Unavailable", [("Content-Type", "text/plain")])
            return [b"no app yet"]
        return self.app(environ, start_response)

    def serve(self, app) -> None:
        self.app = app

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(5)


@contextmanager
def serving(wsgi_app):
    """Serve a WSGI app on a free loopback port from a thread for a `with` block; yields its base URL."""
    server = make_server("127.0.0.1", 0, wsgi_app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        server.server_close()
