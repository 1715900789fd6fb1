"""A live all-in-one server (real `videoforge run`, in-process worker) and a headless Chromium for browser tests."""

from __future__ import annotations

import contextlib
import dataclasses
import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
CHROMIUM = "/usr/bin/chromium"
SCREENS = os.path.join(ROOT, "artifacts", "screens")
ADMIN_EMAIL = "admin@example.test"
LOG_TAIL_LINES = 120


@dataclasses.dataclass(frozen=True)
class LiveApp:
    """A running `videoforge run`: its base URL and the instance folder (database, storage, server.log)."""

    url: str
    instance: Path
    admin_email: str = ADMIN_EMAIL

    @property
    def log_path(self) -> Path:
        return self.instance / "server.log"

    def log_tail(self, lines: int = LOG_TAIL_LINES) -> str:
        """The log's last lines, without werkzeug's access lines (videoforge.access has each request already)."""
        try:
            text = self.log_path.read_text(errors="replace")
        except OSError as exc:
            return f"(no server log: {exc})"
        access = '"logger": "werkzeug", "msg": "127.0.0.1'
        kept = [line for line in text.splitlines(keepends=True) if access not in line]
        return "".join(kept[-lines:])


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_ready(url: str, process: subprocess.Popen, log_path: Path, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"server exited with {process.returncode}; its log:\n{log_path.read_text()[-4000:]}")
        try:
            with urllib.request.urlopen(url, timeout=1) as response:
                if response.status == 200:
                    return
        except OSError:
            time.sleep(0.2)
    raise RuntimeError(f"{url} not ready after {timeout}s; server log:\n{log_path.read_text()[-4000:]}")


@contextlib.contextmanager
def running_app(instance: Path, *, host_name: str = "127.0.0.1", public_url: bool = True, **env: str):
    """`videoforge run` on a free loopback port with this instance folder and extra VIDEOFORGE_* settings.

    Browsers reach it as `host_name`; with `public_url=False` PUBLIC_URL is left unset, as `make run` leaves it.
    """
    if not os.path.isfile(os.path.join(ROOT, "client", "dist", "index.html")):
        pytest.fail("client/dist is missing: `make test` builds it (cd client && npm ci && npm run build)")
    port = free_port()
    base = f"http://{host_name}:{port}"
    env = dict(os.environ, VIDEOFORGE_INSTANCE_PATH=str(instance), VIDEOFORGE_LOG_LEVEL="INFO",
               VIDEOFORGE_AUTH_ADMIN_EMAILS=ADMIN_EMAIL, **env)
    if public_url:
        env["VIDEOFORGE_PUBLIC_URL"] = base
    else:
        env.pop("VIDEOFORGE_PUBLIC_URL", None)
    app = LiveApp(base, instance)
    log = open(app.log_path, "w")
    process = subprocess.Popen([sys.executable, "-m", "videoforge", "run", "--host", "127.0.0.1", "--port",
                                str(port), "--with-threads"], cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
    try:
        wait_ready(f"http://127.0.0.1:{port}/readyz", process, app.log_path)
        yield app
    finally:
        process.terminate()
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=5)
        log.close()


@pytest.fixture(scope="session")
def live_server(tmp_path_factory):
    """`videoforge run` on a free loopback port with a fresh instance folder; yields a LiveApp."""
    # Two small rungs keep a 5 s clip's transcode to seconds; x264's veryslow preset stretches those seconds
    # (about 6 s on a quiet machine instead of 1) so the page's live progress is there to be seen on any
    # machine; INFO logs make a failure's dump useful.
    with running_app(tmp_path_factory.mktemp("instance"), VIDEOFORGE_LADDER_HEIGHTS="360,240",
                     VIDEOFORGE_X264_PRESET="veryslow",
                     # Files from 16 MiB go in 8 MiB parts, so a multipart upload fits in a test (the clips above
                     # stay single PUTs).
                     VIDEOFORGE_MULTIPART_THRESHOLD=str(16 * 1024**2),
                     VIDEOFORGE_MULTIPART_PART_SIZE=str(8 * 1024**2)) as app:
        yield app


@pytest.fixture(scope="module")
def browser():
    """Debian's Chromium driven by Playwright (never a downloaded browser).

    Module-scoped: Playwright's sync API keeps an asyncio loop running while it is open, which would break
    later tests that run their own loop (Mangum's Lambda handlers).
    """
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
    """Folder for the screenshots that the run keeps (artifacts/screens, emptied once per session)."""
    # Under xdist each worker is a session: only the first empties the folder, and none fails if it exists.
    if os.environ.get("PYTEST_XDIST_WORKER", "gw0") == "gw0":
        shutil.rmtree(SCREENS, ignore_errors=True)
    os.makedirs(SCREENS, exist_ok=True)
    return SCREENS


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    """When a browser test fails, screenshot its open pages and attach the server log to the report."""
    outcome = yield
    report = outcome.get_result()
    if report.when != "call" or not report.failed:
        return
    pages = item.funcargs.get("open_pages") or {}
    for name, page in pages.items():
        path = os.path.join(SCREENS, f"failure-{item.name}-{name}.png")
        try:
            os.makedirs(SCREENS, exist_ok=True)
            page.screenshot(path=path, full_page=True)
            report.sections.append((f"failure screenshot {name}", f"{page.url}\n-> {path}"))
        except Exception as exc:  # noqa: BLE001 - a crashed page must not hide the server log below
            report.sections.append((f"failure screenshot {name}", f"none: {exc}"))
        problems = getattr(page, "problems", None)
        if problems:
            report.sections.append((f"browser problems {name}", "\n".join(problems[-50:])))
    for server in item.funcargs.values():  # live_server, or a test's own server
        if isinstance(server, LiveApp):
            report.sections.append((f"server log (last {LOG_TAIL_LINES} lines of {server.log_path})",
                                    server.log_tail()))


@pytest.fixture
def open_pages():
    """Pages a test opened (name -> Page); if the test fails, each is screenshotted into artifacts/screens."""
    return {}


@pytest.fixture
def new_page(browser, open_pages):
    """`new_page(name)`: a page in its own browser context (own storage, so its own signed-in person).

    The browser's console errors, uncaught exceptions and HTTP errors go into `page.problems` (a list of
    strings) so a test can assert the page ran cleanly (clearing what it provoked on purpose) and a failure
    report shows them.
    """
    contexts = []

    def make(name: str):
        context = browser.new_context(viewport={"width": 1280, "height": 800}, locale="en-GB")
        contexts.append(context)
        page = context.new_page()
        page.set_default_timeout(15_000)
        problems: list[str] = []
        # Chromium logs every failed response as a console error too; the response itself says more.
        page.on("console", lambda m: m.type == "error" and not m.text.startswith("Failed to load resource")
                and problems.append(f"console: {m.text}"))
        page.on("pageerror", lambda exc: problems.append(f"uncaught: {exc}"))
        page.on("response", lambda r: r.status >= 400
                and problems.append(f"HTTP {r.status} {r.request.method} {r.url}"))
        page.problems = problems
        open_pages[name] = page
        return page

    yield make
    for context in contexts:
        context.close()
