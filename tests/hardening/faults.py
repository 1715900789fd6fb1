"""Servers that tests may stop and start again: a PostgreSQL cluster of their own, weed and moto on fixed ports."""

from __future__ import annotations

import glob
import os
import shutil
import subprocess
import tempfile
import time
from pathlib import Path

from sqlalchemy import create_engine, text

from tests.moto import MotoServer
from tests.servers import WeedServer, free_ports


def postgres_bin() -> Path | None:
    """The newest installed PostgreSQL's bin folder (Debian keeps them under /usr/lib/postgresql/N/bin)."""
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/pg_ctl"), key=lambda p: int(p.split("/")[4]))
    return Path(found[-1]).parent if found else None


def as_postgres(argv: list[str]) -> list[str]:
    """PostgreSQL refuses to run as root: run its tools as the `postgres` system user when we are root."""
    return ["runuser", "-u", "postgres", "--", *argv] if os.geteuid() == 0 else argv


class PostgresCluster:
    """A throw-away PostgreSQL cluster on a free loopback port, never the machine's shared server.

    stop() is `pg_ctl stop -m fast` (open connections are cut, as in a crash or failover); start() brings the
    same data back on the same port.
    """

    def __init__(self):
        self.bin = postgres_bin()
        self.dir = ""
        self.port = 0
        self.url = ""

    def init(self) -> PostgresCluster:
        if self.bin is None:
            raise RuntimeError("PostgreSQL server binaries not found under /usr/lib/postgresql/*/bin")
        self.dir = tempfile.mkdtemp(prefix="vf-pg-")
        os.chmod(self.dir, 0o755)
        if os.geteuid() == 0:
            shutil.chown(self.dir, "postgres", "postgres")
        (self.port,) = free_ports(1)
        self._run("initdb", "-D", f"{self.dir}/data", "-A", "trust", "-U", "postgres", "--no-sync", "-E", "UTF8")
        self.url = f"postgresql+psycopg://postgres@127.0.0.1:{self.port}/postgres"
        return self

    def _run(self, tool: str, *args: str, timeout: float = 60) -> None:
        done = subprocess.run(as_postgres([str(self.bin / tool), *args]), capture_output=True, text=True,
                              timeout=timeout, stdin=subprocess.DEVNULL)
        if done.returncode != 0:
            raise RuntimeError(f"{tool} failed ({done.returncode}):\n{done.stdout}\n{done.stderr}\n{self.log_tail()}")

    def start(self) -> None:
        options = f"-p {self.port} -k {self.dir} -c listen_addresses=127.0.0.1 -c fsync=off -c max_connections=100"
        self._run("pg_ctl", "-D", f"{self.dir}/data", "-l", f"{self.dir}/server.log", "-o", options, "-w",
                  "-t", "60", "start")
        self.wait_ready()

    def wait_ready(self, timeout: float = 30) -> None:
        engine = create_engine(self.url)
        deadline = time.monotonic() + timeout
        try:
            while True:
                try:
                    with engine.connect() as conn:
                        conn.execute(text("SELECT 1"))
                    return
                except Exception:  # still starting (re-raised past the deadline)
                    if time.monotonic() > deadline:
                        raise
                    time.sleep(0.2)
        finally:
            engine.dispose()

    def stop(self) -> None:
        """Fast shutdown: sessions are terminated, the server is gone until start()."""
        self._run("pg_ctl", "-D", f"{self.dir}/data", "-m", "fast", "-w", "-t", "60", "stop")

    def running(self) -> bool:
        return subprocess.run(as_postgres([str(self.bin / "pg_ctl"), "-D", f"{self.dir}/data", "status"]),
                              capture_output=True).returncode == 0

    def log_tail(self, lines: int = 20) -> str:
        try:
            return "\n".join(Path(self.dir, "server.log").read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return ""

    def destroy(self) -> None:
        if self.dir:
            if self.running():
                subprocess.run(as_postgres([str(self.bin / "pg_ctl"), "-D", f"{self.dir}/data", "-m", "immediate",
                                            "stop"]), capture_output=True, timeout=60)
            shutil.rmtree(self.dir, ignore_errors=True)
            self.dir = ""


class RestartableWeed(WeedServer):
    """weed mini that comes back on the same ports with the same data folder after `pause()`."""

    def _launch(self) -> None:
        """As WeedServer's, except that a restart keeps the first launch's folder and ports."""
        if not self._ports:
            self._dir = tempfile.mkdtemp(prefix="vf-weed-")
            self._ports = dict(zip(self._PORT_FLAGS, free_ports(len(self._PORT_FLAGS))))
        self.endpoint_url = f"http://127.0.0.1:{self._ports['s3.port']}"
        args = [
            self.binary, "-logtostderr", "mini", f"-dir={self._dir}", "-ip=127.0.0.1", "-ip.bind=127.0.0.1",
            "-admin.ui=false", "-webdav=false", "-master.telemetry=false", "-s3.port.iceberg=0", "-s3.port.lance=0",
            f"-filer.localSocket={self._dir}/filer.sock", f"-s3.localSocket={self._dir}/s3.sock",
            *(f"-{flag}={port}" for flag, port in self._ports.items()),
        ]
        env = {**os.environ, "AWS_ACCESS_KEY_ID": self.access_key, "AWS_SECRET_ACCESS_KEY": self.secret_key}
        env.pop("AWS_SESSION_TOKEN", None)
        self._log = open(os.path.join(self._dir, "weed.log"), "ab")
        self._process = subprocess.Popen(args, cwd=self._dir, env=env, stdin=subprocess.DEVNULL, stdout=self._log,
                                         stderr=subprocess.STDOUT, start_new_session=True)



class FixedPortMoto(MotoServer):
    """moto_server that restarts on the port it first had (its state is in memory: queues must be made again)."""

    def __init__(self):
        super().__init__()
        self.port = 0

    def start(self, timeout: float = 30.0, attempts: int = 3) -> str:
        if not self.port:
            url = super().start(timeout, attempts)
            self.port = int(url.rsplit(":", 1)[1])
            return url
        fd, self._log_path = tempfile.mkstemp(prefix="vf-moto-", suffix=".log")
        from tests.moto import DUMMY_AWS_ENV

        self._process = subprocess.Popen(
            [self.binary, "-H", "127.0.0.1", "-p", str(self.port)], env={**os.environ, **DUMMY_AWS_ENV},
            stdin=subprocess.DEVNULL, stdout=fd, stderr=subprocess.STDOUT, start_new_session=True)
        os.close(fd)
        if not self._wait_ready(timeout):
            raise RuntimeError(f"moto_server did not come back on port {self.port}:\n{self.log_tail()}")
        return self.endpoint_url
