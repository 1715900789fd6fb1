"""Gunicorn settings for the gateway and split modules: threads, timeouts, graceful stop, JSON access log.

Run: `gunicorn -c gunicorn.conf.py entrypoints.gateway:app`. Environment knobs: GUNICORN_BIND (or PORT),
WEB_CONCURRENCY (worker processes), GUNICORN_THREADS, GUNICORN_TIMEOUT, GUNICORN_GRACEFUL_TIMEOUT.
"""

import json
import os
import time

from gunicorn.glogging import Logger

bind = os.environ.get("GUNICORN_BIND") or f"0.0.0.0:{os.environ.get('PORT', '8000')}"
# Threads, not more processes: the gateway mostly waits on remote modules and the database.
worker_class = "gthread"
workers = int(os.environ.get("WEB_CONCURRENCY") or os.cpu_count() or 2)
threads = int(os.environ.get("GUNICORN_THREADS", "8"))
# Longer than the proxy's read timeout (30 s), so the proxy answers 504 before gunicorn kills a worker.
timeout = int(os.environ.get("GUNICORN_TIMEOUT", "60"))
# On SIGTERM (deploy, scale-in) requests in flight get this long to finish.
graceful_timeout = int(os.environ.get("GUNICORN_GRACEFUL_TIMEOUT", "30"))
# Longer than the ALB's 60 s idle timeout: the balancer closes idle connections first, never us mid-request.
keepalive = 75
# Each worker builds its own app (database pools and threads must not cross a fork).
preload_app = False
if os.path.isdir("/dev/shm"):
    worker_tmp_dir = "/dev/shm"  # heartbeat files off a possibly slow disk
# gunicorn's control socket sits at one fixed path per user: several servers on a host would fight over it.
control_socket_disable = True
accesslog = "-"
errorlog = "-"


class JsonAccessLogger(Logger):
    """Access lines as JSON objects with the same keys as the app's own log lines, request id included."""

    def access(self, resp, req, environ, request_time):
        if not self.access_log_enabled:
            return
        status = resp.status.split(None, 1)[0] if isinstance(resp.status, str) else resp.status
        headers = dict((name.lower(), value) for name, value in resp.headers)
        entry = {
            "ts": round(time.time(), 3), "level": "INFO", "logger": "gunicorn.access",
            "msg": f"{environ['REQUEST_METHOD']} {environ.get('PATH_INFO', '')} {status}",
            "request_id": headers.get("x-request-id"),
            "method": environ["REQUEST_METHOD"], "path": environ.get("PATH_INFO", ""),
            "query": environ.get("QUERY_STRING", ""), "status": int(status),
            "bytes": getattr(resp, "sent", None),
            "duration_ms": round(request_time.total_seconds() * 1000, 1),
            "remote_addr": environ.get("REMOTE_ADDR"), "user_agent": environ.get("HTTP_USER_AGENT"),
            "pid": os.getpid(),
        }
        self.access_log.info(json.dumps(entry))


logger_class = JsonAccessLogger
