"""Log format: text for `videoforge run` in a terminal, JSON for every service, and no colour codes inside JSON."""

from __future__ import annotations

import json
import logging
import os
import pty
import socket
import subprocess
import sys
import threading
import time
import urllib.request
from pathlib import Path

import click
import pytest

from videoforge.cli import _default_log_format
from videoforge.logs import JsonFormatter

ROOT = Path(__file__).resolve().parents[2]
COLOURED = "127.0.0.1 - - \x1b[35m\x1b[1mPOST /api/gallery/uploads HTTP/1.1\x1b[0m 201 -"


def test_json_lines_carry_no_terminal_colour_codes():
    record = logging.LogRecord("werkzeug", logging.INFO, __file__, 1, "%s", (COLOURED,), None)
    entry = json.loads(JsonFormatter().format(record))
    assert entry["msg"] == "127.0.0.1 - - POST /api/gallery/uploads HTTP/1.1 201 -"


@pytest.mark.parametrize("command, terminal, expected", [
    ("run", True, "text"),
    ("run", False, "json"),  # piped or redirected: a log collector reads it
    ("worker", True, "json"),  # services stay JSON, terminal or not
    ("db", True, "json"),
])
def test_only_the_development_server_in_a_terminal_defaults_to_text(monkeypatch, command, terminal, expected):
    monkeypatch.setattr(sys.stderr, "isatty", lambda: terminal)
    with click.Context(click.Command(command), info_name=command):
        assert _default_log_format() == expected
    assert _default_log_format() == "json"  # no command at all: gunicorn, Lambda, `python -m entrypoints.worker`


def serve(tmp_path: Path, terminal: bool, **env: str) -> str:
    """Start `videoforge run` with stderr on a terminal (a pty) or a pipe, make one request; what it printed."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    environ = {k: v for k, v in os.environ.items() if not k.startswith("VIDEOFORGE_")}
    environ.update(VIDEOFORGE_INSTANCE_PATH=str(tmp_path / "instance"), VIDEOFORGE_MODULES="auth",
                   VIDEOFORGE_LOG_LEVEL="INFO", **env)
    command = [sys.executable, "-m", "videoforge", "run", "--host", "127.0.0.1", "--port", str(port)]
    if terminal:
        reader, writer = pty.openpty()
        process = subprocess.Popen(command, cwd=ROOT, env=environ, stdin=subprocess.DEVNULL, stdout=writer,
                                   stderr=writer)
        os.close(writer)
    else:
        process = subprocess.Popen(command, cwd=ROOT, env=environ, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                                   stderr=subprocess.STDOUT)
        reader = process.stdout.fileno()
    chunks: list[bytes] = []

    def drain():  # a full pty or pipe would stall the server
        while True:
            try:
                chunk = os.read(reader, 65536)
            except OSError:  # the pty's other side closed
                return
            if not chunk:
                return
            chunks.append(chunk)

    thread = threading.Thread(target=drain, daemon=True)
    thread.start()
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/api/auth/config", timeout=1) as response:
                    assert response.status == 200
                break
            except OSError:
                assert process.poll() is None and time.monotonic() < deadline, b"".join(chunks).decode(errors="replace")
                time.sleep(0.2)
        time.sleep(0.5)  # the access lines follow the answer
    finally:
        process.terminate()
        process.wait(timeout=15)
        thread.join(5)
        if terminal:
            os.close(reader)
    return b"".join(chunks).decode(errors="replace")


def log_lines(output: str) -> list[str]:
    """The logging module's lines (click prints the banner's ` * Serving…` lines itself, in any format)."""
    return [line.strip() for line in output.splitlines() if line.strip() and not line.lstrip().startswith("* ")]


@pytest.mark.slow
def test_videoforge_run_in_a_terminal_logs_readable_text(tmp_path):
    output = serve(tmp_path, terminal=True)
    lines = log_lines(output)
    assert any("INFO videoforge.access: GET /api/auth/config 200" in line for line in lines), output
    assert not any(line.startswith("{") for line in lines), output


@pytest.mark.slow
def test_videoforge_run_piped_logs_json_without_colour_codes(tmp_path):
    output = serve(tmp_path, terminal=False)
    entries = [json.loads(line) for line in log_lines(output)]
    assert any(e["logger"] == "videoforge.access" and e["path"] == "/api/auth/config" for e in entries), output
    assert any(e["logger"] == "werkzeug" for e in entries), output
    assert "\x1b" not in output


@pytest.mark.slow
def test_log_format_set_by_the_operator_wins_in_a_terminal(tmp_path):
    output = serve(tmp_path, terminal=True, VIDEOFORGE_LOG_FORMAT="json")
    entries = [json.loads(line) for line in log_lines(output)]
    assert any(e["logger"] == "videoforge.access" for e in entries), output
    assert not any("\x1b" in e["msg"] for e in entries)
