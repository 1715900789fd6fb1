"""Under SnapStart, what first requests import lazily is imported before the snapshot; outside it, nothing is."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

INIT = """
import json, os, sys
from snapshot_restore_py import get_before_snapshot
import entrypoints.lambda_streaming as entry
lazy = ("boto3", "botocore", "joserfc")
at_init = sorted(m for m in lazy if m in sys.modules)
before = get_before_snapshot()
while before:
    func, args, kwargs = before.pop()
    func(*args, **kwargs)
print(json.dumps({"at_init": at_init, "in_snapshot": sorted(m for m in lazy if m in sys.modules),
                  "clients": sorted(k for k in ("videoforge.storage", "videoforge.delivery")
                                    if k in entry.handler.app.extensions)}))
"""


def run_init(tmp_path: Path, snapstart: bool) -> dict:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("VIDEOFORGE_", "AWS_"))}
    env.update({"VIDEOFORGE_STORAGE_BACKEND": "s3", "VIDEOFORGE_S3_BUCKET": "videos",
                "VIDEOFORGE_AUTH_JWKS_URL": "http://127.0.0.1:9/jwks.json", "VIDEOFORGE_LOG_LEVEL": "WARNING",
                "VIDEOFORGE_DATABASE_URL": f"sqlite:///{tmp_path}/db.sqlite",
                "VIDEOFORGE_INSTANCE_PATH": str(tmp_path / "instance")})
    if snapstart:
        env["AWS_LAMBDA_INITIALIZATION_TYPE"] = "snap-start"
    result = subprocess.run([sys.executable, "-c", INIT], env=env, cwd=ROOT, capture_output=True, text=True,
                            timeout=120, check=False)
    assert result.returncode == 0, result.stderr[-3000:]
    return json.loads(result.stdout.strip().splitlines()[-1])


def test_a_snapshot_holds_boto3_and_joserfc_but_no_client(tmp_path):
    answer = run_init(tmp_path, snapstart=True)
    assert answer["at_init"] == [], answer  # the init itself stays lean
    assert answer["in_snapshot"] == ["boto3", "botocore", "joserfc"], answer
    assert answer["clients"] == [], answer


def test_without_snapstart_the_cold_path_stays_lazy(tmp_path):
    answer = run_init(tmp_path, snapstart=False)  # no hooks registered: nothing runs before a snapshot
    assert answer == {"at_init": [], "in_snapshot": [], "clients": []}, answer
