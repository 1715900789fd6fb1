"""A live all-in-one server (real `videoforge run`, in-process worker) and a headless Chromium for browser tests."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
CHROMIUM = "/usr/bin/chromium"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_ready(url: str, process: subprocess.Popen, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"server exited with {process.returncode}")
        try:
            with urllib.request.urlopen(url, timeout=1) as response:
                if response.status == 200:
                    return
        except OSError:
            time.sleep(0.2)
    raise RuntimeError(f"{url} not ready after {timeout}s")


@pytest.fixture(scope="session")
def live_server(tmp_path_factory):
    """`videoforge run` on a free loopback port with a fresh instance folder; yields its base URL."""
    if not os.path.isfile(os.path.join(ROOT, "client", "dist", "index.html")):
        pytest.fail("client/dist is missing: `make test` builds it (cd client && npm ci && npm run build)")
    instance = tmp_path_factory.mktemp("instance")
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    env = dict(os.environ, VIDEOFORGE_INSTANCE_PATH=str(instance), VIDEOFORGE_PUBLIC_URL=base,
               VIDEOFORGE_LADDER_HEIGHTS="360,240", VIDEOFORGE_LOG_LEVEL="WARNING",
               VIDEOFORGE_AUTH_ADMIN_EMAILS="admin@example.test")
    log = open(instance / "server.log", "w")
    process = subprocess.Popen([sys.executable, "-m", "videoforge", "run", "--host", "127.0.0.1", "--port",
                                str(port), "--with-threads"], cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
    try:
        wait_ready(base + "/readyz", process)
        yield base
    finally:
        process.terminate()
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
        log.close()


@pytest.fixture(scope="session")
def browser():
    """Debian's Chromium driven by Playwright (never a downloaded browser)."""
    if not os.path.exists(CHROMIUM):
        pytest.fail("chromium is missing: `make test` installs it (apt-get install chromium)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=[
            "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
            "--autoplay-policy=no-user-gesture-required", "--disable-quic", "--no-first-run", "--disable-sync"])
        yield browser
        browser.close()


@pytest.fixture(scope="session")
def artifacts():
    """Folder for screenshots that the run keeps."""
    path = os.path.join(ROOT, "artifacts", "screens")
    shutil.rmtree(path, ignore_errors=True)
    os.makedirs(path)
    return path
