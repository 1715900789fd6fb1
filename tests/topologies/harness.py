"""Start VideoForge services as real processes on loopback (gunicorn, the worker), wait for them, stop them."""

from __future__ import annotations

import contextlib
import json
import os
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import requests

from tests.servers import free_ports

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent


class Service:
    """One process of the split topology: its command, environment, log file and (for web ones) its URL."""

    def __init__(self, name: str, argv: list[str], env: dict[str, str], port: int | None = None):
        self.name = name
        self.argv = argv
        self.env = env
        self.port = port
        self.url = f"http://127.0.0.1:{port}" if port else ""
        self.log_path = Path(tempfile.mkstemp(prefix=f"vf-{name}-", suffix=".log")[1])
        self.process: subprocess.Popen | None = None

    def start(self) -> None:
        with open(self.log_path, "ab") as log:
            self.process = subprocess.Popen(self.argv, cwd=ROOT, env=self.env, stdin=subprocess.DEVNULL,
                                            stdout=log, stderr=subprocess.STDOUT, start_new_session=True)

    def wait_ready(self, path: str = "/readyz", timeout: float = 60.0) -> None:
        """Until the service answers 200 at `path`; fails with the log tail if it exits or times out."""
        deadline = time.monotonic() + timeout
        last = None
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"{self.name} exited with {self.process.returncode}:\n{self.log_tail()}")
            try:
                response = requests.get(self.url + path, timeout=2)
                if response.status_code == 200:
                    return
                last = response.status_code
            except requests.RequestException as exc:
                last = type(exc).__name__
            time.sleep(0.2)
        raise TimeoutError(f"{self.name} not ready at {path} after {timeout:.0f} s ({last}):\n{self.log_tail()}")

    def terminate(self) -> None:
        """SIGTERM: graceful (gunicorn finishes requests in flight, the worker its job)."""
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)

    def stop(self, timeout: float = 15.0) -> float:
        """SIGTERM, then SIGKILL if it hangs; returns the seconds it took."""
        started = time.monotonic()
        self.terminate()
        process, self.process = self.process, None
        if process is not None:
            try:
                process.wait(timeout)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(5)
        return time.monotonic() - started

    def log_lines(self) -> list[dict]:
        """The service's JSON log lines (other lines, such as gunicorn's start-up banner, skipped)."""
        lines = []
        for line in self.log_path.read_text(errors="replace").splitlines():
            if line.startswith("{"):
                with contextlib.suppress(ValueError):  # a line that only starts like JSON
                    lines.append(json.loads(line))
        return lines

    def log_tail(self, count: int = 40) -> str:
        return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-count:])


def gunicorn(name: str, app: str, env: dict[str, str], *, workers: int = 1, threads: int = 4) -> Service:
    """A gunicorn process with the project's gunicorn.conf.py, on a free loopback port."""
    (port,) = free_ports(1)
    argv = [str(BIN / "gunicorn"), "-c", str(ROOT / "gunicorn.conf.py"), "--bind", f"127.0.0.1:{port}",
            "--workers", str(workers), "--threads", str(threads), app]
    return Service(name, argv, env, port)


def run_migrations(env: dict[str, str]) -> None:
    """What a deploy does once before starting split services: `videoforge db upgrade`."""
    result = subprocess.run([str(BIN / "videoforge"), "db", "upgrade"], cwd=ROOT, env=env, capture_output=True,
                            text=True, timeout=120)
    if result.returncode != 0:
        raise RuntimeError(f"videoforge db upgrade failed:\n{result.stdout}\n{result.stderr}")


def base_env(**config: str) -> dict[str, str]:
    """This interpreter's environment without any VIDEOFORGE_* of the caller, plus the given config."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("VIDEOFORGE_")}
    env.update({f"VIDEOFORGE_{k}": str(v) for k, v in config.items()})
    env["PYTHONUNBUFFERED"] = "1"
    return env


class Topology:
    """Services started in order and stopped in reverse, whatever happens in between."""

    def __init__(self):
        self.services: dict[str, Service] = {}

    def add(self, service: Service) -> Service:
        self.services[service.name] = service
        return service

    def __getitem__(self, name: str) -> Service:
        return self.services[name]

    def __enter__(self) -> Topology:
        return self

    def __exit__(self, *exc) -> None:
        self.stop()

    def stop(self) -> dict[str, float]:
        """Signal every service at once, then wait for each; returns each one's stop time in seconds."""
        services = list(reversed(list(self.services.values())))
        for service in services:
            service.terminate()
        return {service.name: round(service.stop(), 2) for service in services}

    def cleanup_logs(self) -> None:
        for service in self.services.values():
            service.log_path.unlink(missing_ok=True)
