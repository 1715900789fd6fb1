"""Deployment checks: run ansible-playbook and ansible-lint from the venv; provision S3/SQS/Cognito/secrets on loopback moto."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.moto import DUMMY_AWS_ENV, MotoServer

ROOT = Path(__file__).resolve().parents[2]
ANSIBLE_DIR = ROOT / "ansible"
BIN = Path(sys.executable).parent
PYTHON = str(Path(sys.executable))  # the venv's interpreter: interpreter discovery picks a broken shim here


def ansible_env(**extra: str) -> dict[str, str]:
    """Environment for ansible commands: this folder's ansible.cfg, no colour, dummy AWS credentials."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "ANSIBLE_"))}
    env.update(DUMMY_AWS_ENV)
    env.update(ANSIBLE_CONFIG=str(ANSIBLE_DIR / "ansible.cfg"), ANSIBLE_NOCOLOR="1", ANSIBLE_FORCE_COLOR="0",
               ANSIBLE_LOCAL_TEMP=str(Path(os.environ.get("TMPDIR", "/tmp")) / "vf-ansible-local"),
               PATH=f"{BIN}{os.pathsep}{os.environ.get('PATH', '')}")
    env.update(extra)
    return env


def run_ansible(tool: str, *args: str, timeout: float = 300, **env: str) -> subprocess.CompletedProcess:
    """Run an ansible tool from the venv in ansible/; the output is kept for assertion messages."""
    return subprocess.run([str(BIN / tool), *args], cwd=ANSIBLE_DIR, env=ansible_env(**env), text=True,
                          capture_output=True, timeout=timeout, stdin=subprocess.DEVNULL)


def recap(output: str) -> dict[str, int]:
    """Counts of the PLAY RECAP line of the (single) host, e.g. {'ok': 7, 'changed': 0, 'failed': 0, ...}."""
    for line in output.splitlines()[::-1]:
        if " : ok=" in line:
            return {k: int(v) for k, v in (pair.split("=") for pair in line.split(":", 1)[1].split())}
    raise AssertionError(f"no PLAY RECAP in output:\n{output[-3000:]}")


@dataclass
class Provisioned:
    """What the storage and queue part of the provisioning playbook created on the loopback server."""

    endpoint_url: str
    bucket: str
    queue_url: str
    dlq_url: str
    first_run: subprocess.CompletedProcess
    second_run: subprocess.CompletedProcess

    def client(self, service: str):
        import boto3

        return boto3.client(service, endpoint_url=self.endpoint_url, region_name="us-east-1",
                            aws_access_key_id="testing", aws_secret_access_key="testing")


@pytest.fixture(scope="session")
def deploy_moto():
    """A moto_server of our own: others' tests reset theirs, and the contract suites need a purge per test."""
    server = MotoServer()
    if not server.binary:
        pytest.fail("moto_server not installed (pip install 'moto[server]')")
    with pytest.MonkeyPatch.context() as patch:
        for name, value in DUMMY_AWS_ENV.items():
            patch.setenv(name, value)
        # Real SQS allows one purge a minute; the contract suites start each test from empty queues.
        patch.setenv("MOTO_SQS_ENFORCE_STRICT_QUEUE_PURGE_BEHAVIOUR", "false")
        server.start()
        try:
            yield server  # the dummy credentials stay set: the app's adapters use boto3's default chain
        finally:
            server.stop()


@pytest.fixture(scope="session")
def provisioned(deploy_moto) -> Provisioned:
    """Run the parts of provision.yml that need no VPC (storage, queue, identity, secrets) twice against the
    loopback endpoint; the second run must change nothing."""
    bucket = "vf-deploy-test-media"
    args = ("playbooks/provision.yml", "--tags", "storage,queue,identity,secrets",
            "-e", f"videoforge_aws_endpoint_url={deploy_moto.endpoint_url}",
            "-e", f"videoforge_bucket={bucket}", "-e", "videoforge_name=vf-deploy-test",
            "-e", "videoforge_cognito_domain_prefix=vf-deploy-test",
            "-e", f"ansible_python_interpreter={PYTHON}")
    first = run_ansible("ansible-playbook", *args)
    assert first.returncode == 0, first.stdout[-4000:] + first.stderr[-2000:]
    second = run_ansible("ansible-playbook", *args)
    assert second.returncode == 0, second.stdout[-4000:] + second.stderr[-2000:]
    provisioned = Provisioned(deploy_moto.endpoint_url, bucket, "", "", first, second)
    sqs = provisioned.client("sqs")
    provisioned.queue_url = sqs.get_queue_url(QueueName="vf-deploy-test-jobs")["QueueUrl"]
    provisioned.dlq_url = sqs.get_queue_url(QueueName="vf-deploy-test-jobs-dlq")["QueueUrl"]
    return provisioned


def redrive_policy(provisioned: Provisioned) -> dict:
    attributes = provisioned.client("sqs").get_queue_attributes(
        QueueUrl=provisioned.queue_url, AttributeNames=["All"])["Attributes"]
    return {**attributes, "RedrivePolicy": json.loads(attributes["RedrivePolicy"])}
