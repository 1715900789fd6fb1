"""List-videos under load on loopback: through the gateway (split mode) against the gallery process directly.

Starts a gallery and a gateway under gunicorn (PostgreSQL when reachable, else one SQLite file), signs a
user up, adds some videos, then drives both URLs with the same load generator in one run: wrk when it is
installed, else the asyncio keep-alive generator below (no extra installs, so it runs anywhere CI does).

    .venv/bin/python benchmarks/gateway_load.py --connections 50 --seconds 20 [--generator python|wrk]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from urllib.parse import urlsplit

import requests

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)

from tests.topologies.harness import Topology, base_env, gunicorn, run_migrations  # noqa: E402

PG_ADMIN_URL = os.environ.get("VIDEOFORGE_TEST_PG", "postgresql+psycopg://postgres@127.0.0.1:5432/test")
MAX_SECONDS = 60


async def _connection(host: str, port: int, request: bytes, until: float, latencies: list, errors: list):
    reader = writer = None
    while time.perf_counter() < until:
        try:
            if writer is None:
                reader, writer = await asyncio.open_connection(host, port)
            started = time.perf_counter()
            writer.write(request)
            head = await reader.readuntil(b"\r\n\r\n")
            status = int(head.split(b" ", 2)[1])
            match = re.search(rb"(?i)\r\ncontent-length:\s*(\d+)", head)
            if match:
                await reader.readexactly(int(match.group(1)))
            else:  # gunicorn answers streamed bodies chunked: read to the terminating chunk
                while True:
                    size = int((await reader.readuntil(b"\r\n")).strip(), 16)
                    await reader.readexactly(size + 2)
                    if size == 0:
                        break
            latencies.append(time.perf_counter() - started)
            if status != 200:
                errors.append(status)
            if re.search(rb"(?i)\r\nconnection:\s*close", head):
                writer.close()
                writer = None
        except (OSError, asyncio.IncompleteReadError, ValueError) as exc:
            errors.append(type(exc).__name__)
            if writer is not None:
                writer.close()
            writer = None
    if writer is not None:
        writer.close()


def python_load(url: str, headers: dict[str, str], connections: int, seconds: float) -> dict:
    """Keep-alive GETs from `connections` concurrent connections for `seconds`."""
    parts = urlsplit(url)
    lines = [f"GET {parts.path}?{parts.query} HTTP/1.1" if parts.query else f"GET {parts.path} HTTP/1.1",
             f"Host: {parts.netloc}", *(f"{k}: {v}" for k, v in headers.items()), "", ""]
    request = "\r\n".join(lines).encode()
    latencies: list[float] = []
    errors: list = []

    async def run():
        until = time.perf_counter() + seconds
        await asyncio.gather(*(_connection(parts.hostname, parts.port, request, until, latencies, errors)
                               for _ in range(connections)))

    started = time.perf_counter()
    asyncio.run(run())
    elapsed = time.perf_counter() - started
    latencies.sort()
    if errors:
        from collections import Counter

        print(f"  errors from {url}: {dict(Counter(errors))}", file=sys.stderr)
    return {"requests": len(latencies), "rps": len(latencies) / elapsed, "errors": len(errors),
            "p50_ms": 1000 * latencies[len(latencies) // 2] if latencies else float("nan"),
            "p99_ms": 1000 * latencies[int(len(latencies) * 0.99)] if latencies else float("nan")}


def wrk_load(url: str, headers: dict[str, str], connections: int, seconds: float) -> dict:
    """The same measurement with wrk (C, so the generator takes less of the machine)."""
    argv = ["wrk", "-t2", f"-c{connections}", f"-d{int(seconds)}s", "--timeout", "10s", "-s", "/dev/stdin", url]
    script = """
done = function(summary, latency, requests)
  local e = summary.errors
  io.write(string.format("P50 %d\\nP99 %d\\nREQ %d\\nERR %d\\n", latency:percentile(50), latency:percentile(99),
    summary.requests, e.connect + e.read + e.write + e.status + e.timeout))
  io.write(string.format("DETAIL connect=%d read=%d write=%d status=%d timeout=%d\\n",
    e.connect, e.read, e.write, e.status, e.timeout))
end
"""
    for name, value in headers.items():
        argv[1:1] = ["-H", f"{name}: {value}"]
    out = subprocess.run(argv, input=script, capture_output=True, text=True, timeout=seconds + 30, check=True).stdout
    values = dict(re.findall(r"^(P50|P99|REQ|ERR) (\d+)$", out, re.M))
    if int(values["ERR"]):
        print(f"  errors from {url}: {re.search(r'DETAIL (.*)', out).group(1)}", file=sys.stderr)
    rps = float(re.search(r"Requests/sec:\s*([\d.]+)", out).group(1))
    return {"requests": int(values["REQ"]), "rps": rps, "errors": int(values["ERR"]),
            "p50_ms": int(values["P50"]) / 1000, "p99_ms": int(values["P99"]) / 1000}


def cpu_seconds(master_pid: int) -> float:
    """CPU time (user + system) of a gunicorn master and its workers so far."""
    tick = os.sysconf("SC_CLK_TCK")
    total = 0.0
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as fh:
                fields = fh.read().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(entry) == master_pid or int(fields[1]) == master_pid:  # fields[1] is the parent pid
            total += (int(fields[11]) + int(fields[12])) / tick
    return total


def sequential_latency(urls: dict[str, str], headers: dict[str, str], count: int) -> dict[str, float]:
    """Median ms of one request at a time per target on one keep-alive connection each, the targets taking
    turns so machine noise hits both alike: the proxy's own added latency, without queueing."""
    sessions = {name: requests.Session() for name in urls}
    timings: dict[str, list[float]] = {name: [] for name in urls}
    for _ in range(count):
        for name, url in urls.items():
            started = time.perf_counter()
            sessions[name].get(url, headers=headers, timeout=10).raise_for_status()
            timings[name].append(time.perf_counter() - started)
    return {name: 1000 * statistics.median(values) for name, values in timings.items()}


def database(workdir: str) -> tuple[str, callable]:
    """A throw-away PostgreSQL database if the server answers, else a SQLite file; and how to drop it."""
    from sqlalchemy import create_engine, text

    try:
        admin = create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
        name = f"vf_bench_{uuid.uuid4().hex[:8]}"
        with admin.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
    except Exception:  # noqa: BLE001 - no server: SQLite
        return f"sqlite:///{workdir}/bench.db", lambda: None

    def drop():
        with admin.connect() as conn:
            conn.execute(text(f"SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = '{name}' "
                              "AND pid <> pg_backend_pid()"))
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}"'))

    return PG_ADMIN_URL.rsplit("/", 1)[0] + "/" + name, drop


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--connections", type=int, default=50)
    parser.add_argument("--seconds", type=float, default=20, help=f"per target in all (at most {MAX_SECONDS})")
    parser.add_argument("--rounds", type=int, default=4,
                        help="slices the targets take turns in, so a change in machine load hits both alike")
    parser.add_argument("--videos", type=int, default=20, help="videos in the listed library")
    parser.add_argument("--generator", choices=("auto", "python", "wrk"), default="auto")
    parser.add_argument("--workers", type=int, default=2, help="gunicorn workers per service")
    args = parser.parse_args()
    seconds = min(args.seconds, MAX_SECONDS)
    generator = args.generator if args.generator != "auto" else ("wrk" if shutil.which("wrk") else "python")
    load = wrk_load if generator == "wrk" else python_load

    with tempfile.TemporaryDirectory(prefix="vf-load-") as workdir:
        url, drop = database(workdir)
        gallery = gunicorn("gallery", "videoforge:create_app()", {}, workers=args.workers, threads=8)
        gateway = gunicorn("gateway", "entrypoints.gateway:app", {}, workers=args.workers, threads=16)
        shared = dict(DATABASE_URL=url, AUTO_MIGRATE="false", WORKER_IN_PROCESS="false", LOG_LEVEL="WARNING",
                      PUBLIC_URL=gateway.url, SECRET_KEY="bench", STORAGE_PATH=f"{workdir}/storage",
                      AUTH_JWKS_URL=f"{gateway.url}/api/auth/.well-known/jwks.json", RATE_LIMIT_PER_MINUTE=str(10**9), RATE_LIMIT_BURST=str(10**9))
        gateway.env = base_env(**shared, INSTANCE_PATH=f"{workdir}/gw", MODULES="gateway,auth,web",
                               REMOTE_MODULES=f"gallery={gallery.url}")
        gallery.env = base_env(**shared, INSTANCE_PATH=f"{workdir}/gallery", MODULES="gallery")
        for service in (gateway, gallery):
            # Access lines on every request would measure the terminal, not the proxy.
            service.argv[1:1] = ["--access-logfile", "/dev/null"]
        try:
            run_migrations(base_env(**shared, INSTANCE_PATH=f"{workdir}/migrate", MODULES="gallery,auth"))
            with Topology() as topology:
                for service in (gateway, gallery):
                    topology.add(service).start()
                for service in (gateway, gallery):
                    service.wait_ready()
                headers = sign_up_and_fill(gateway.url, args.videos)
                path = "/api/gallery/videos?page=1&page_size=20"
                for target in (gallery.url, gateway.url):  # warm pools and caches
                    assert requests.get(target + path, headers=headers, timeout=10).status_code == 200
                    load(target + path, headers, 4, 2)
                targets = {"gallery direct": gallery.url, "through gateway": gateway.url}
                rounds: dict[str, list[dict]] = {name: [] for name in targets}
                cpu = {name: {s.name: 0.0 for s in (gateway, gallery)} for name in targets}
                for _ in range(args.rounds):
                    for name, target in targets.items():
                        before = {s.name: cpu_seconds(s.process.pid) for s in (gateway, gallery)}
                        rounds[name].append(load(target + path, headers, args.connections, seconds / args.rounds))
                        for s in (gateway, gallery):
                            cpu[name][s.name] += cpu_seconds(s.process.pid) - before[s.name]
                results = {name: combine(values) for name, values in rounds.items()}
                ratios = [p["p50_ms"] / d["p50_ms"] for d, p in zip(rounds["gallery direct"], rounds["through gateway"])]
                sequential = sequential_latency({"gallery direct": gallery.url + path,
                                                 "through gateway": gateway.url + path}, headers, 300)
                if any(r["errors"] for r in results.values()):  # show why, from the services' own logs
                    for service in (gateway, gallery):
                        for line in service.log_lines():
                            if line.get("level") in ("WARNING", "ERROR"):
                                print(f"  {service.name}: {line.get('msg')} {line.get('exc', '')[-600:]}",
                                      file=sys.stderr)
                topology.cleanup_logs()
        finally:
            drop()

    print(f"GET {path}, {args.connections} connections, {seconds:.0f} s per target in {args.rounds} alternating "
          f"rounds (medians of rounds below), generator {generator}, "
          f"{args.workers} gunicorn workers per service, database {url.split(':')[0]}")
    print(f"{'target':<18}{'requests':>10}{'req/s':>9}{'p50 ms':>9}{'p99 ms':>9}{'errors':>8}{'1-conn p50':>12}")
    for name, r in results.items():
        print(f"{name:<18}{r['requests']:>10}{r['rps']:>9.0f}{r['p50_ms']:>9.1f}{r['p99_ms']:>9.1f}{r['errors']:>8}"
              f"{sequential[name]:>12.2f}")
    for name, spent in cpu.items():
        count = max(results[name]["requests"], 1)
        print(f"CPU per request, {name}: " + ", ".join(f"{service} {1000 * seconds / count:.2f} ms"
                                                      for service, seconds in spent.items()))
    print(f"load average at the end: {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores")
    proxied = results["through gateway"]
    added = statistics.median(ratios) - 1  # per-round ratios: both sides of each saw the same machine
    print(f"one request at a time, the proxy adds {sequential['through gateway'] - sequential['gallery direct']:.2f} ms")
    print(f"proxy adds {100 * added:.0f}% to p50 (median of per-round ratios: "
          f"{', '.join(f'{r:.2f}' for r in ratios)}) (target <= 25%: {'met' if added <= 0.25 else 'MISSED'}); "
          f"errors {proxied['errors']} (target 0: {'met' if proxied['errors'] == 0 else 'MISSED'})")


def combine(rounds: list[dict]) -> dict:
    """Totals of requests and errors, medians of the per-round rates and percentiles."""
    return {"requests": sum(r["requests"] for r in rounds), "errors": sum(r["errors"] for r in rounds),
            **{k: statistics.median(r[k] for r in rounds) for k in ("rps", "p50_ms", "p99_ms")}}


def sign_up_and_fill(gateway: str, videos: int) -> dict[str, str]:
    email, password = f"load-{uuid.uuid4().hex[:8]}@example.test", "benchmark password 123"
    requests.post(f"{gateway}/api/auth/signup", json={"email": email, "password": password}, timeout=10)
    token = requests.post(f"{gateway}/api/auth/token", json={"email": email, "password": password}, timeout=10)
    token.raise_for_status()
    headers = {"Authorization": f"Bearer {token.json()['access_token']}"}
    for number in range(videos):
        created = requests.post(f"{gateway}/api/gallery/uploads", headers=headers, timeout=10, json={
            "title": f"video {number}", "filename": f"v{number}.mp4", "size": 1000 + number,
            "content_type": "video/mp4"})
        created.raise_for_status()
    return headers


if __name__ == "__main__":
    main()
