"""A real AWS-protocol server on loopback for tests: `moto_server` (Cognito, SQS, Secrets Manager, S3).

Use it from a test module or conftest with `from tests.moto import moto_endpoint  # noqa: F401` and take the
fixture: it is the server's base URL (`http://127.0.0.1:<port>`); pass it as `endpoint_url` to boto3.
While it runs, the AWS credential variables hold dummy values so nothing can reach a real account.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

import pytest

from tests.need import need

DUMMY_AWS_ENV = {
    "AWS_ACCESS_KEY_ID": "testing",
    "AWS_SECRET_ACCESS_KEY": "testing",
    "AWS_SESSION_TOKEN": "testing",
    "AWS_DEFAULT_REGION": "us-east-1",
    "AWS_REGION": "us-east-1",
}


def find_moto_server() -> str | None:
    """The `moto_server` script beside this interpreter (the venv's bin/) or on PATH."""
    beside = Path(sys.executable).parent / "moto_server"
    return str(beside) if beside.is_file() else shutil.which("moto_server")


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class MotoServer:
    """One moto_server process on a random loopback port."""

    def __init__(self, binary: str | None = None):
        self.binary = binary or find_moto_server()
        self.endpoint_url = ""
        self._process: subprocess.Popen | None = None
        self._log_path = ""

    def start(self, timeout: float = 30.0, attempts: int = 3) -> str:
        if not self.binary:
            raise RuntimeError("`moto_server` not found: pip install 'moto[server]'")
        last = ""
        for _ in range(attempts):  # another process may take the port between choosing and binding it
            port = free_port()
            self.endpoint_url = f"http://127.0.0.1:{port}"
            fd, self._log_path = tempfile.mkstemp(prefix="vf-moto-", suffix=".log")
            env = {**os.environ, **DUMMY_AWS_ENV}
            self._process = subprocess.Popen(
                [self.binary, "-H", "127.0.0.1", "-p", str(port)], env=env, stdin=subprocess.DEVNULL,
                stdout=fd, stderr=subprocess.STDOUT, start_new_session=True)
            os.close(fd)
            if self._wait_ready(timeout):
                return self.endpoint_url
            last = self.log_tail()
            self.stop()
        raise RuntimeError(f"moto_server did not start:\n{last}")

    def _wait_ready(self, timeout: float) -> bool:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self._process.poll() is not None:
                return False
            try:
                with urllib.request.urlopen(f"{self.endpoint_url}/moto-api/data.json", timeout=1):
                    return True
            except OSError:
                time.sleep(0.1)
        return False

    def reset(self) -> None:
        """Forget every resource (pools, queues, secrets) without restarting."""
        request = urllib.request.Request(f"{self.endpoint_url}/moto-api/reset", method="POST")
        urllib.request.urlopen(request, timeout=5).close()

    def log_tail(self, lines: int = 30) -> str:
        try:
            return "\n".join(Path(self._log_path).read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return ""

    def stop(self) -> None:
        process, self._process = self._process, None
        if process is not None and process.poll() is None:
            process.terminate()
            try:
                process.wait(10)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(5)
        if self._log_path:
            Path(self._log_path).unlink(missing_ok=True)
            self._log_path = ""


@pytest.fixture(scope="session")
def moto_server():
    """The running MotoServer (for `.reset()`); most tests want `moto_endpoint`."""
    server = MotoServer()
    need(server.binary, "moto_server not installed (pip install 'moto[server]')")
    with pytest.MonkeyPatch.context() as patch:
        for name, value in DUMMY_AWS_ENV.items():
            patch.setenv(name, value)
        server.start()
        try:
            yield server
        finally:
            server.stop()


@pytest.fixture(scope="session")
def moto_endpoint(moto_server) -> str:
    """Base URL of a moto_server on loopback, running for the whole test session."""
    return moto_server.endpoint_url
