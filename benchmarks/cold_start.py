"""Cold start of the gallery and streaming Lambda handlers against a bare Flask hello-world behind the same adapter.

Each sample is a fresh interpreter (as a new Lambda instance is): import, app creation and one request,
timed from inside the process. Samples of the three handlers alternate, so machine load hits them alike.
The gallery's first request is the public library (200); streaming's is the playback info of an unknown but
well-formed video id (404: the database lookup, access check and error rendering, without presigning).

    .venv/bin/python benchmarks/cold_start.py --samples 15
    .venv/bin/python benchmarks/cold_start.py --instructions   # the same phases counted by valgrind, not timed

Measured as deployed: only the packages the Lambda image installs (setup.cfg's install_requires and what they
require) can be imported; a package the development virtualenv adds (PyYAML, which flask-smorest imports when it is
there) is hidden, as it is absent from the image. `--dev-venv` measures with everything installed here.

`--instructions` runs each handler once under valgrind's callgrind per phase boundary and reports the instructions
each phase executes: slow (minutes), but the same on a loaded machine as on a quiet one, so two versions of the code
can be compared while other jobs run.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

# An HTTP API v2 event (Function URLs send the same shape).
EVENT = """{"version": "2.0", "routeKey": "$default", "rawPath": "%s", "rawQueryString": "",
  "headers": {"host": "x.lambda-url.us-east-1.on.aws", "x-forwarded-proto": "https"},
  "requestContext": {"http": {"method": "GET", "path": "%s", "protocol": "HTTP/1.1", "sourceIp": "127.0.0.1"},
                     "domainName": "x.lambda-url.us-east-1.on.aws", "stage": "$default"},
  "isBase64Encoded": false}"""

# `python -c CODE PHASE` stops right after PHASE (start, import, create, request): how --instructions counts each.
HANDLER = """
import json, os, sys, time
STOP = sys.argv[1] if len(sys.argv) > 1 else ""
t0, c0 = time.perf_counter(), time.process_time()
if STOP == "start": os._exit(0)
import videoforge.app, videoforge.lambda_adapter
t1 = time.perf_counter()
if STOP == "import": os._exit(0)
import entrypoints.lambda_%s as entry
t2 = time.perf_counter()
if STOP == "create": os._exit(0)
reply = entry.handler(json.loads('''%s'''), None)
t3, c3 = time.perf_counter(), time.process_time()
if STOP == "request": os._exit(0)
assert reply["statusCode"] == %d, reply
print(json.dumps({"import": t1 - t0, "create": t2 - t1, "request": t3 - t2, "cpu": c3 - c0}))
"""
# Well-formed (32 hex digits, as ids are) so the 404 comes from the database, not from the id's shape.
UNKNOWN_VIDEO = "/api/streaming/videos/" + "0" * 32
GALLERY = HANDLER % ("gallery", EVENT % ("/api/gallery/public", "/api/gallery/public"), 200)
STREAMING = HANDLER % ("streaming", EVENT % (UNKNOWN_VIDEO, UNKNOWN_VIDEO), 404)

# The adapter file is loaded by path: importing the videoforge package would pull the whole app in.
BARE = """
import json, os, sys, time
STOP = sys.argv[1] if len(sys.argv) > 1 else ""
t0, c0 = time.perf_counter(), time.process_time()
if STOP == "start": os._exit(0)
import importlib.util
from flask import Flask
spec = importlib.util.spec_from_file_location("lambda_adapter", %r)
adapter = importlib.util.module_from_spec(spec); spec.loader.exec_module(adapter)
t1 = time.perf_counter()
if STOP == "import": os._exit(0)
app = Flask("hello")
app.get("/")(lambda: {"hello": "world"})
handler = adapter.make_handler(app)
t2 = time.perf_counter()
if STOP == "create": os._exit(0)
reply = handler(json.loads('''%s'''), None)
t3, c3 = time.perf_counter(), time.process_time()
if STOP == "request": os._exit(0)
assert reply["statusCode"] == 200, reply
print(json.dumps({"import": t1 - t0, "create": t2 - t1, "request": t3 - t2, "cpu": c3 - c0}))
""" % (os.path.join(ROOT, "videoforge", "lambda_adapter.py"), EVENT % ("/", "/"))


# Put before each sample's code: the packages the Lambda image lacks cannot be imported (not timed: before t0).
ABSENT = """
import sys
class _NotInTheImage:
    def find_spec(self, name, path=None, target=None):
        if name.partition(".")[0] in %r:
            raise ModuleNotFoundError(f"No module named {name!r} (not in the Lambda image)", name=name)
sys.meta_path.insert(0, _NotInTheImage())
"""


def deployed_packages() -> set[str]:
    """Distributions the Lambda image installs: install_requires and, transitively, what they require."""
    import configparser
    from importlib import metadata

    config = configparser.ConfigParser()
    config.read(os.path.join(ROOT, "setup.cfg"))
    name_of = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]*")
    wanted = [name_of.match(line.strip()).group(0) for line in config["options"]["install_requires"].splitlines()
              if line.strip()]
    found: set[str] = {"videoforge"}
    while wanted:
        name = wanted.pop().lower().replace("_", "-")
        if name in found:
            continue
        found.add(name)
        try:
            requires = metadata.distribution(name).requires or []
        except metadata.PackageNotFoundError:
            continue
        wanted += [name_of.match(r).group(0) for r in requires if "extra ==" not in r]
    return found


def not_in_the_image() -> list[str]:
    """Top-level modules installed here whose every distribution is missing from the Lambda image."""
    from importlib import metadata

    deployed = deployed_packages()
    return sorted(module for module, dists in metadata.packages_distributions().items()
                  if not any(d.lower().replace("_", "-") in deployed for d in dists))


LABELS = {"gallery": "gallery (Mangum+a2wsgi)", "streaming": "streaming (Mangum+a2wsgi)",
          "bare": "bare Flask hello (same)"}


def gallery_env(workdir: str, database_url: str) -> dict[str, str]:
    """A deployed gallery's (and streaming's) shape: S3 storage, tokens checked against a JWKS URL, no migrations."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("VIDEOFORGE_")}
    env.update({
        "VIDEOFORGE_DATABASE_URL": database_url, "VIDEOFORGE_INSTANCE_PATH": os.path.join(workdir, "instance"),
        "VIDEOFORGE_STORAGE_BACKEND": "s3", "VIDEOFORGE_S3_BUCKET": "videos",
        "VIDEOFORGE_S3_ENDPOINT_URL": "http://127.0.0.1:9", "VIDEOFORGE_AUTH_JWKS_URL": "http://127.0.0.1:9/jwks.json",
        "VIDEOFORGE_SECRET_KEY": "benchmark", "VIDEOFORGE_LOG_LEVEL": "WARNING",
        "AWS_ACCESS_KEY_ID": "benchmark", "AWS_SECRET_ACCESS_KEY": "benchmark", "PYTHONDONTWRITEBYTECODE": "0",
    })
    return env


def migrate(env: dict[str, str]) -> None:
    subprocess.run([sys.executable, "-c", "from videoforge import create_app; create_app(MODULES=['gallery'], "
                    "AUTO_MIGRATE=True)"], env=env, cwd=ROOT, check=True)


def sample(code: str, env: dict[str, str]) -> dict[str, float]:
    out = subprocess.run([sys.executable, "-c", code], env=env, cwd=ROOT, capture_output=True, text=True, check=False)
    if out.returncode != 0:
        raise SystemExit(f"sample failed:\n{out.stderr[-3000:]}")
    return {k: v * 1000 for k, v in json.loads(out.stdout.strip().splitlines()[-1]).items()}


PHASES = ("import", "create", "request")


def instructions(code: str, env: dict[str, str]) -> dict[str, float]:
    """Millions of instructions each phase executes (callgrind's count up to the phase's end, less the one before)."""
    counts = {}
    for stop in ("start", *PHASES):
        out = subprocess.run(["valgrind", "--tool=callgrind", "--callgrind-out-file=/dev/null", sys.executable, "-c",
                              code, stop], env=env, cwd=ROOT, capture_output=True, text=True, check=False)
        found = re.search(r"Collected\s*:\s*(\d+)", out.stderr)
        if out.returncode != 0 or found is None:
            raise SystemExit(f"valgrind run failed:\n{out.stderr[-3000:]}")
        counts[stop] = int(found.group(1)) / 1e6
    return {phase: counts[phase] - counts[before] for before, phase in zip(("start", *PHASES), PHASES, strict=False)}


def report_instructions(codes: dict[str, str], env: dict[str, str]) -> None:
    if shutil.which("valgrind") is None:
        raise SystemExit("--instructions needs valgrind (apt-get install valgrind)")
    # Hash randomisation changes the work a little from run to run; one seed makes the counts repeatable.
    env = {**env, "PYTHONHASHSEED": "0"}
    results = {}
    for name, code in codes.items():
        results[name] = instructions(code, env)
        print(f"counted {name}", file=sys.stderr, flush=True)
    print("millions of instructions per phase (valgrind callgrind; interpreter start-up excluded)")
    print(f"{'handler':<30}{'import':>9}{'create':>9}{'request':>9}{'total':>9}{'x bare':>9}")
    bare = sum(results["bare"].values())
    for name, counts in results.items():
        total = sum(counts.values())
        print(f"{LABELS[name]:<30}{counts['import']:>9.0f}{counts['create']:>9.0f}{counts['request']:>9.0f}"
              f"{total:>9.0f}{total / bare:>9.2f}")


def summary(samples: list[dict[str, float]]) -> dict[str, float]:
    keys = ("import", "create", "request")
    result = {k: statistics.median(s[k] for s in samples) for k in (*keys, "cpu")}
    result["total"] = statistics.median(sum(s[k] for k in keys) for s in samples)
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--samples", type=int, default=11)
    parser.add_argument("--database-url", default="", help="default: a migrated SQLite file in a temp folder")
    parser.add_argument("--dev-venv", action="store_true",
                        help="let the samples import every package installed here, not only the Lambda image's")
    parser.add_argument("--instructions", action="store_true",
                        help="count each phase's instructions with valgrind instead of timing samples")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="vf-cold-") as workdir:
        env = gallery_env(workdir, args.database_url or f"sqlite:///{workdir}/gallery.db")
        migrate(env)
        codes = {"gallery": GALLERY, "streaming": STREAMING, "bare": BARE}
        if not args.dev_venv:
            codes = {name: ABSENT % (set(not_in_the_image()),) + code for name, code in codes.items()}
        for code in codes.values():  # warm the OS file cache and .pyc files once, as a deployed package has them
            sample(code, env)
        if args.instructions:
            report_instructions(codes, env)
            return
        samples: dict[str, list[dict[str, float]]] = {name: [] for name in codes}
        for _ in range(args.samples):
            for name, code in codes.items():
                samples[name].append(sample(code, env))
    results = {name: summary(s) for name, s in samples.items()}
    print(f"samples: {args.samples} each, medians in ms (fresh interpreter per sample; startup itself excluded)")
    print(f"{'handler':<30}{'import':>9}{'create':>9}{'request':>9}{'total':>9}{'CPU':>9}")
    for name, s in results.items():
        print(f"{LABELS[name]:<30}{s['import']:>9.1f}{s['create']:>9.1f}{s['request']:>9.1f}{s['total']:>9.1f}"
              f"{s['cpu']:>9.1f}")
    print(f"load average while measuring: {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores "
          "(wall times stretch with load; CPU times much less)")
    for name in ("gallery", "streaming"):
        s, ratio = results[name], results[name]["total"] / results["bare"]["total"]
        print(f"{name}: {ratio:.2f}x bare   targets: total <= 600 ms ({'met' if s['total'] <= 600 else 'MISSED'}), "
              f"create <= 50 ms ({'met' if s['create'] <= 50 else 'MISSED'})")


if __name__ == "__main__":
    main()
