"""The instance roles applied to this machine in check mode (-c local --check --diff): they run, and change nothing."""

from __future__ import annotations

import os
import pwd
from pathlib import Path

import pytest

from tests.deploy.conftest import PYTHON, recap, run_ansible

WATCHED = [Path("/etc/videoforge"), Path("/opt/videoforge"), Path("/var/lib/videoforge"),
           Path("/etc/systemd/system/videoforge-worker.service"), Path("/etc/systemd/system/videoforge-gateway.service")]


def user_exists(name: str) -> bool:
    try:
        pwd.getpwnam(name)
        return True
    except KeyError:
        return False


@pytest.fixture(scope="module")
def check_run(tmp_path_factory):
    before = {p: p.exists() for p in WATCHED}, user_exists("videoforge")
    inventory = tmp_path_factory.mktemp("inventory") / "hosts.yml"
    inventory.write_text(
        "all:\n  children:\n"
        "    gateway:\n      hosts:\n        ci-host: {ansible_connection: local}\n"
        "    worker:\n      hosts:\n        ci-host: {}\n")
    result = run_ansible(
        "ansible-playbook", "playbooks/instance.yml", "-i", str(inventory), "--check", "--diff",
        "-e", f"ansible_python_interpreter={PYTHON}",
        "-e", "videoforge_wheel_url=/nonexistent/videoforge-0.1.0-py3-none-any.whl",
        "-e", "worker_asg_name=videoforge-worker", "-e", "worker_lifecycle_hook=videoforge-worker-drain",
        "-e", '{"videoforge_environment": {"VIDEOFORGE_DATABASE_URL": "secretsmanager:videoforge/db#url"}}',
        timeout=600)
    after = {p: p.exists() for p in WATCHED}, user_exists("videoforge")
    return result, before, after


def test_check_mode_run_succeeds(check_run):
    result, _, _ = check_run
    assert result.returncode == 0, result.stdout[-5000:] + result.stderr[-2000:]
    counts = recap(result.stdout)
    assert counts["failed"] == 0 and counts["unreachable"] == 0
    assert counts["changed"] > 0  # a fresh machine would get the user, folders, venv and units


@pytest.mark.skipif(os.geteuid() != 0, reason="the roles need root (become); as non-root check mode is refused earlier")
def test_check_mode_leaves_the_machine_unchanged(check_run):
    _, before, after = check_run
    assert after == before


def test_the_diff_shows_units_that_let_a_job_finish_on_stop(check_run):
    output = check_run[0].stdout
    assert "ExecStart=/opt/videoforge/venv/bin/videoforge worker --concurrency 1" in output
    assert "KillSignal=SIGTERM" in output and "KillMode=mixed" in output
    assert "TimeoutStopSec=900" in output
    assert "entrypoints.gateway:app" in output and "ExecStartPre=/opt/videoforge/venv/bin/videoforge db upgrade" in output
    assert "--group videoforge-worker --hook videoforge-worker-drain" in output


def test_the_environment_file_carries_secret_references_not_values(check_run):
    output = check_run[0].stdout
    assert "VIDEOFORGE_DATABASE_URL=secretsmanager:videoforge/db#url" in output
