"""Soak: mixed traffic against the split topology on loopback for a bounded time; 5xx count and memory per process.

Starts gateway, gallery and streaming under gunicorn and one worker, on a throw-away PostgreSQL database, an S3
server (weed) and an SQS server (moto), all on 127.0.0.1. A few client threads sign users up, then mix reads
(libraries, public list, one video, playback info, playlists), edits, uploads (generated clip, PUT to the signed
URL, confirm; the worker transcodes them), deletes and requests that must be refused (anonymous and foreign
reads, 404s). Every answer is counted by status; resident memory (VmRSS) of every VideoForge process is sampled
after warm-up, each minute, and at the end.

    .venv/bin/python benchmarks/soak.py --minutes 10 [--rate 25] [--clients 4] [--json soak.json]

Loopback only; the run stops by itself after --minutes (at most 30) and stops every process it started.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections import Counter
from pathlib import Path
from urllib.parse import urljoin

import requests

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)

from tests.moto import DUMMY_AWS_ENV, MotoServer  # noqa: E402
from tests.servers import WeedServer  # noqa: E402
from tests.topologies.harness import BIN, Service, Topology, base_env, gunicorn, run_migrations  # noqa: E402

PG_ADMIN_URL = os.environ.get("VIDEOFORGE_TEST_PG", "postgresql+psycopg://postgres@127.0.0.1:5432/test")
MAX_MINUTES = 30
WARM_UP_SECONDS = 30
PASSWORD = "soak test password 123"


# --- memory -------------------------------------------------------------------------------------

def rss_kib(pid: int) -> int | None:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    except OSError:
        return None
    return None


def children(pid: int) -> list[int]:
    found = []
    for task in Path(f"/proc/{pid}/task").glob("*/children"):
        try:
            found += [int(p) for p in task.read_text().split()]
        except OSError:
            pass
    return found


def command_name(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/comm").read_text().strip()
    except OSError:
        return "?"


def processes(topology: Topology) -> dict[str, int]:
    """Every long-lived VideoForge process: each gunicorn master and its workers, the worker (not its ffmpeg)."""
    found = {}
    for name, service in topology.services.items():
        pid = service.process.pid
        found[f"{name} ({'master' if name != 'worker' else 'python'})"] = pid
        if name != "worker":
            for number, child in enumerate(sorted(children(pid)), 1):
                found[f"{name} worker {number}"] = child
    return found


def sample(pids: dict[str, int]) -> dict[str, int | None]:
    return {label: rss_kib(pid) for label, pid in pids.items()}


# --- the topology -------------------------------------------------------------------------------

def make_database() -> tuple[str, callable]:
    from sqlalchemy import create_engine, text

    admin = create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
    name = f"vf_soak_{uuid.uuid4().hex[:8]}"
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))

    def drop():
        with admin.connect() as conn:
            conn.execute(text(f"SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = '{name}' "
                              "AND pid <> pg_backend_pid()"))
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}"'))
        admin.dispose()

    return PG_ADMIN_URL.rsplit("/", 1)[0] + "/" + name, drop


def make_queues(endpoint: str) -> tuple[str, str]:
    import boto3

    sqs = boto3.client("sqs", endpoint_url=endpoint, region_name="us-east-1", **{
        "aws_access_key_id": "testing", "aws_secret_access_key": "testing"})
    dlq = sqs.create_queue(QueueName="vf-soak-dlq")["QueueUrl"]
    arn = sqs.get_queue_attributes(QueueUrl=dlq, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    jobs = sqs.create_queue(QueueName="vf-soak", Attributes={
        "VisibilityTimeout": "120", "RedrivePolicy": json.dumps({"deadLetterTargetArn": arn, "maxReceiveCount": "3"})})
    return jobs["QueueUrl"], dlq


def build_topology(workdir: str, database_url: str, weed: WeedServer, moto_url: str) -> Topology:
    jobs, dlq = make_queues(moto_url)
    gallery = gunicorn("gallery", "videoforge:create_app()", {}, workers=1, threads=8)
    streaming = gunicorn("streaming", "videoforge:create_app()", {}, workers=1, threads=8)
    gateway = gunicorn("gateway", "entrypoints.gateway:app", {}, workers=2, threads=8)
    shared = dict(
        DATABASE_URL=database_url, AUTO_MIGRATE="false", WORKER_IN_PROCESS="false", LOG_LEVEL="WARNING",
        PUBLIC_URL=gateway.url, SECRET_KEY="soak-secret", STORAGE_BACKEND="s3", S3_BUCKET=weed.bucket,
        S3_ENDPOINT_URL=weed.endpoint_url, S3_ACCESS_KEY_ID=weed.access_key, S3_SECRET_ACCESS_KEY=weed.secret_key,
        S3_REGION=weed.region, QUEUE_BACKEND="sqs", SQS_QUEUE_URL=jobs, SQS_DLQ_URL=dlq, SQS_ENDPOINT_URL=moto_url,
        SQS_REGION="us-east-1", AUTH_JWKS_URL=f"{gateway.url}/api/auth/.well-known/jwks.json",
        RATE_LIMIT_PER_MINUTE="0",
    )

    def env(name: str, **extra: str) -> dict[str, str]:
        values = base_env(**shared, INSTANCE_PATH=f"{workdir}/instance-{name}", **extra)
        values.update({k: v for k, v in DUMMY_AWS_ENV.items() if k != "AWS_SESSION_TOKEN"})
        values.pop("AWS_SESSION_TOKEN", None)
        return values

    gateway.env = env("gateway", MODULES="gateway,auth,processor,web,webhooks",
                      REMOTE_MODULES=f"gallery={gallery.url},streaming={streaming.url}")
    gallery.env = env("gallery", MODULES="gallery")
    streaming.env = env("streaming", MODULES="streaming")
    for service in (gateway, gallery, streaming):
        service.argv[1:1] = ["--access-logfile", "/dev/null"]  # a line per request would grow the log, not RSS
    worker = Service("worker", [str(BIN / "python"), "-m", "entrypoints.worker"],
                     env("worker", MODULES="processor", WORKER_POLL_SECONDS="2", LADDER_HEIGHTS="144,180",
                         SEGMENT_SECONDS="2"))
    run_migrations(gateway.env)
    topology = Topology()
    for service in (gateway, gallery, streaming, worker):
        topology.add(service).start()
    for service in (gateway, gallery, streaming):
        service.wait_ready()
    return topology


# --- traffic ------------------------------------------------------------------------------------

class Traffic:
    """Client threads sharing counters; each request is timed and its status counted by operation."""

    def __init__(self, gateway: str, clip: bytes, rate: float, clients: int, upload_every: float):
        self.gateway = gateway
        self.clip = clip
        self.interval = clients / rate  # each thread's pause, so all of them together send about `rate`/s
        self.clients = clients
        self.upload_every = upload_every
        self.statuses: Counter = Counter()
        self.by_operation: dict[str, Counter] = {}
        self.server_errors: list[str] = []
        self.unexpected: list[str] = []
        self.latencies: list[float] = []
        self.lock = threading.Lock()
        self.stop = threading.Event()
        self.next_upload = 0.0
        self.users: list[dict] = []

    def call(self, session: requests.Session, operation: str, method: str, url: str, expect=(200,), **kwargs):
        url = urljoin(self.gateway + "/", url)
        started = time.perf_counter()
        try:
            response = session.request(method, url, timeout=30, **kwargs)
        except requests.RequestException as exc:
            with self.lock:
                self.statuses["connection error"] += 1
                self.server_errors.append(f"{operation}: {type(exc).__name__}: {exc}"[:300])
            return None
        elapsed = time.perf_counter() - started
        with self.lock:
            self.latencies.append(elapsed)
            self.statuses[response.status_code] += 1
            self.by_operation.setdefault(operation, Counter())[response.status_code] += 1
            if response.status_code >= 500:
                self.server_errors.append(f"{operation} {method} {url} -> {response.status_code}: {response.text[:200]}")
            elif response.status_code not in expect:
                self.unexpected.append(f"{operation} -> {response.status_code}: {response.text[:200]}")
        return response

    def sign_up(self, session: requests.Session) -> dict:
        email = f"soak-{uuid.uuid4().hex[:10]}@example.test"
        self.call(session, "signup", "POST", "/api/auth/signup", expect=(201,), json={"email": email, "password": PASSWORD})
        token = self.call(session, "token", "POST", "/api/auth/token", json={"email": email, "password": PASSWORD})
        user = {"email": email, "headers": {"Authorization": f"Bearer {token.json()['access_token']}"},
                "refresh": token.json()["refresh_token"], "videos": []}
        with self.lock:
            self.users.append(user)
        return user

    def upload(self, session: requests.Session, user: dict) -> None:
        created = self.call(session, "create upload", "POST", "/api/gallery/uploads", expect=(201,),
                            headers=user["headers"], json={"title": "soak clip", "filename": "clip.mp4",
                                                           "size": len(self.clip), "content_type": "video/mp4",
                                                           "visibility": random.choice(["public", "unlisted", "private"])})
        if created is None or created.status_code != 201:
            return
        video, plan = created.json()["video"], created.json()["upload"]
        self.call(session, "storage PUT", "PUT", plan["url"], data=self.clip, headers=plan.get("headers") or {})
        confirmed = self.call(session, "confirm", "POST", f"/api/gallery/videos/{video['id']}/confirm", expect=(202,),
                              headers=user["headers"], json={})
        if confirmed is not None and confirmed.status_code == 202:
            user["videos"].append(video["id"])

    def step(self, session: requests.Session, user: dict) -> None:
        now = time.monotonic()
        with self.lock:
            upload_now = now >= self.next_upload
            if upload_now:
                self.next_upload = now + self.upload_every
        if upload_now:
            self.upload(session, user)
            return
        others = [v for u in self.users if u is not user for v in u["videos"]]
        mine = user["videos"]
        choice = random.random()
        headers = user["headers"]
        if choice < 0.2:
            self.call(session, "my videos", "GET", "/api/gallery/videos?page_size=10", headers=headers)
        elif choice < 0.35:
            self.call(session, "public videos", "GET", "/api/gallery/public")
        elif choice < 0.45 and mine:
            self.call(session, "my video", "GET", f"/api/gallery/videos/{random.choice(mine)}", headers=headers)
        elif choice < 0.6 and mine:
            self.play(session, headers, random.choice(mine))
        elif choice < 0.7 and others:
            # Someone else's video: 200 when public or unlisted, 404 when private, never anything else.
            self.call(session, "foreign video", "GET", f"/api/gallery/videos/{random.choice(others)}", expect=(200, 404),
                      headers=headers)
        elif choice < 0.75 and mine:
            self.call(session, "rename", "PATCH", f"/api/gallery/videos/{random.choice(mine)}", headers=headers,
                      json={"title": f"renamed {uuid.uuid4().hex[:6]}"})
        elif choice < 0.8:
            self.call(session, "me", "GET", "/api/auth/me", headers=headers)
        elif choice < 0.85:
            self.call(session, "missing video", "GET", f"/api/gallery/videos/{uuid.uuid4().hex}", expect=(404,),
                      headers=headers)
        elif choice < 0.9:
            self.call(session, "anonymous library", "GET", "/api/gallery/videos", expect=(401,))
        elif choice < 0.93 and len(mine) > 6:
            victim = mine.pop(0)
            self.call(session, "delete", "DELETE", f"/api/gallery/videos/{victim}", expect=(204,), headers=headers)
        elif choice < 0.95:
            refreshed = self.call(session, "refresh", "POST", "/api/auth/refresh", json={"refresh_token": user["refresh"]})
            if refreshed is not None and refreshed.status_code == 200:
                user["refresh"] = refreshed.json()["refresh_token"]
                user["headers"] = {"Authorization": f"Bearer {refreshed.json()['access_token']}"}
        else:
            self.call(session, "healthz", "GET", "/healthz")

    def play(self, session: requests.Session, headers: dict, video_id: str) -> None:
        info = self.call(session, "playback info", "GET", f"/api/streaming/videos/{video_id}", headers=headers)
        if info is None or info.status_code != 200 or not info.json().get("master_url"):
            return
        master_url = urljoin(self.gateway + "/", info.json()["master_url"])
        master = self.call(session, "master playlist", "GET", master_url)
        if master is None or master.status_code != 200:
            return
        variants = [line for line in master.text.splitlines() if line and not line.startswith("#")]
        if variants:
            self.call(session, "variant playlist", "GET", urljoin(master_url, random.choice(variants)))

    def client(self, seed: int) -> None:
        random.seed(seed)
        session = requests.Session()
        user = self.sign_up(session)
        while not self.stop.is_set():
            try:
                self.step(session, user)
            except Exception as exc:  # noqa: BLE001 - a client bug must show in the report, not end the soak
                with self.lock:
                    self.unexpected.append(f"client error: {type(exc).__name__}: {exc}"[:300])
            self.stop.wait(self.interval)

    def run(self, seconds: float, on_minute) -> None:
        threads = [threading.Thread(target=self.client, args=(n,), daemon=True) for n in range(self.clients)]
        for thread in threads:
            thread.start()
        started = time.monotonic()
        minute = 0
        while time.monotonic() - started < seconds:
            time.sleep(min(1.0, max(0.0, seconds - (time.monotonic() - started))))
            if (time.monotonic() - started) // 60 > minute:
                minute += 1
                on_minute(minute)
        self.stop.set()
        for thread in threads:
            thread.join(35)


def make_clip(path: Path) -> bytes:
    subprocess.run(["ffmpeg", "-v", "error", "-y", "-f", "lavfi", "-i", "testsrc2=s=320x180:r=30:d=2",
                    "-f", "lavfi", "-i", "sine=d=2", "-c:v", "libx264", "-preset", "ultrafast", "-c:a", "aac",
                    "-shortest", str(path)], check=True)
    return path.read_bytes()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--minutes", type=float, default=10, help=f"length of the soak (at most {MAX_MINUTES})")
    parser.add_argument("--rate", type=float, default=25, help="requests per second, all clients together (about)")
    parser.add_argument("--clients", type=int, default=4)
    parser.add_argument("--upload-every", type=float, default=15, help="seconds between uploads (each is transcoded)")
    parser.add_argument("--json", help="also write the results to this file")
    args = parser.parse_args()
    seconds = 60 * min(args.minutes, MAX_MINUTES)

    with tempfile.TemporaryDirectory(prefix="vf-soak-") as workdir:
        clip = make_clip(Path(workdir) / "clip.mp4")
        database_url, drop = make_database()
        weed, moto = WeedServer(), MotoServer()
        os.environ.update(DUMMY_AWS_ENV)
        topology, clean = None, False
        try:
            weed.start()
            moto_url = moto.start()
            topology = build_topology(workdir, database_url, weed, moto_url)
            traffic = Traffic(topology["gateway"].url, clip, args.rate, args.clients, args.upload_every)
            samples: dict[str, dict] = {}

            def on_minute(minute: int) -> None:
                samples[f"{minute} min"] = sample(pids)

            # Warm-up: every path once, so the first sample holds imported code and filled pools, not a cold start.
            warm = Traffic(topology["gateway"].url, clip, args.rate, args.clients, args.upload_every)
            warm.run(WARM_UP_SECONDS, lambda _m: None)
            pids = processes(topology)
            samples["start"] = sample(pids)
            began = time.monotonic()
            traffic.run(seconds, on_minute)
            elapsed = time.monotonic() - began
            samples["end"] = sample(pids)
            dead = [name for name, s in topology.services.items() if s.process.poll() is not None]
            clean = report(args, traffic, warm, samples, pids, elapsed, dead)
        finally:
            if topology is not None:
                topology.stop()
                if clean:
                    topology.cleanup_logs()
                else:
                    print("service logs kept:", ", ".join(str(s.log_path) for s in topology.services.values()))
            moto.stop()
            weed.stop()
            drop()


def report(args, traffic: Traffic, warm: Traffic, samples: dict, pids: dict, elapsed: float, dead: list[str]) -> bool:
    """Print the results; True when there was nothing to investigate (no 5xx, no dead process)."""
    total = sum(traffic.statuses.values())
    five = sum(n for s, n in traffic.statuses.items() if not isinstance(s, int) or s >= 500)
    five += sum(n for s, n in warm.statuses.items() if not isinstance(s, int) or s >= 500)
    latencies = sorted(traffic.latencies) or [0.0]
    p99 = latencies[min(len(latencies) - 1, int(0.99 * len(latencies)))]
    print(f"soak: {elapsed / 60:.1f} min after {WARM_UP_SECONDS} s warm-up, {args.clients} clients, ~{args.rate:g} req/s, "
          f"an upload every {args.upload_every:g} s; split topology on loopback (PostgreSQL, weed S3, moto SQS)")
    print(f"requests {total} ({total / elapsed:.1f}/s), p50 {1000 * statistics.median(latencies):.1f} ms, "
          f"p99 {1000 * p99:.1f} ms; 5xx or connection errors {five} (target 0: {'met' if five == 0 else 'MISSED'})")
    print("statuses:", dict(sorted(((str(k), v) for k, v in traffic.statuses.items()))))
    uploads = traffic.by_operation.get("confirm", Counter())
    print(f"uploads confirmed {uploads.get(202, 0)}; unexpected (non-5xx) answers {len(traffic.unexpected)}")
    for line in (traffic.server_errors + warm.server_errors)[:10]:
        print("  5xx:", line)
    for line in traffic.unexpected[:10]:
        print("  unexpected:", line)
    if dead:
        print("processes that died:", ", ".join(dead))
    print(f"{'process':<26}{'start MiB':>10}{'end MiB':>10}{'peak MiB':>10}{'change':>9}")
    flat = True
    for label in pids:
        values = [s.get(label) for s in samples.values() if s.get(label)]
        start, end = samples["start"].get(label), samples["end"].get(label)
        if not start or not end:
            print(f"{label:<26}{'gone':>10}")
            flat = False
            continue
        change = (end - start) / start
        # Flat: within 10% or 8 MiB of the post-warm-up figure (allocator noise on a ~100 MiB process).
        flat &= change <= 0.10 or (end - start) <= 8 * 1024
        print(f"{label:<26}{start / 1024:>10.1f}{end / 1024:>10.1f}{max(values) / 1024:>10.1f}{100 * change:>+8.1f}%")
    print(f"memory flat (each process within +10% or +8 MiB of its start): {'yes' if flat else 'NO'}")
    if args.json:
        Path(args.json).write_text(json.dumps({
            "minutes": elapsed / 60, "requests": total, "errors_5xx": five, "statuses": {str(k): v for k, v in
                                                                                         traffic.statuses.items()},
            "by_operation": {op: {str(k): v for k, v in c.items()} for op, c in traffic.by_operation.items()},
            "rss_kib": samples, "memory_flat": flat, "server_errors": traffic.server_errors[:50],
            "unexpected": traffic.unexpected[:50]}, indent=2, default=str))
    return five == 0 and not dead


if __name__ == "__main__":
    main()
