"""Deployment checks: run ansible-playbook and ansible-lint from the venv; apply the whole provision.yml to a loopback
moto_server (made to answer as AWS does where moto 5.2 differs: tests/deploy/moto_like_aws.py)."""

from __future__ import annotations

import io
import json
import os
import shutil
import subprocess
import sys
import tarfile
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
                          capture_output=True, timeout=timeout, stdin=subprocess.DEVNULL, check=False)


def recap(output: str) -> dict[str, int]:
    """Counts of the PLAY RECAP line of the (single) host, e.g. {'ok': 7, 'changed': 0, 'failed': 0, ...}."""
    for line in output.splitlines()[::-1]:
        if " : ok=" in line:
            return {k: int(v) for k, v in (pair.split("=") for pair in line.split(":", 1)[1].split())}
    raise AssertionError(f"no PLAY RECAP in output:\n{output[-3000:]}")


@dataclass
class Provisioned:
    """What provision.yml created on the loopback server, and both runs' output."""

    endpoint_url: str
    bucket: str
    queue_url: str
    dlq_url: str
    first_run: subprocess.CompletedProcess
    second_run: subprocess.CompletedProcess
    name: str = "vf-deploy-test"

    def client(self, service: str):
        import boto3

        return boto3.client(service, endpoint_url=self.endpoint_url, region_name="us-east-1",
                            aws_access_key_id="testing", aws_secret_access_key="testing")


def moto_like_aws(folder: Path) -> str:
    """An executable that starts moto_server through tests/deploy/moto_like_aws.py (MotoServer runs one program)."""
    launcher = folder / "moto-like-aws"
    launcher.write_text(f"#!{sys.executable}\nimport runpy, sys\nsys.path.insert(0, {str(ROOT)!r})\n"
                        "runpy.run_module('tests.deploy.moto_like_aws', run_name='__main__')\n")
    launcher.chmod(0o755)
    return str(launcher)


@pytest.fixture(scope="session")
def deploy_moto(tmp_path_factory):
    """A moto_server of our own: others' tests reset theirs, and the contract suites need a purge per test."""
    if not MotoServer().binary:
        pytest.fail("moto_server not installed (pip install 'moto[server]')")
    server = MotoServer(binary=moto_like_aws(tmp_path_factory.mktemp("moto")))
    with pytest.MonkeyPatch.context() as patch:
        for name, value in DUMMY_AWS_ENV.items():
            patch.setenv(name, value)
        # Real SQS allows one purge a minute; the contract suites start each test from empty queues.
        patch.setenv("MOTO_SQS_ENFORCE_STRICT_QUEUE_PURGE_BEHAVIOUR", "false")
        # The IAM roles attach AWS managed policies, which moto loads only when asked.
        patch.setenv("MOTO_IAM_LOAD_MANAGED_POLICIES", "true")
        # Debian's official AMIs (the launch templates look them up) in place of moto's Amazon Linux list.
        patch.setenv("MOTO_AMIS_PATH", str(Path(__file__).with_name("moto_amis.json")))
        server.start()
        try:
            yield server  # the dummy credentials stay set: the app's adapters use boto3's default chain
        finally:
            server.stop()


def release_wheel(folder: Path) -> Path:
    """The wheel the playbook uploads for the instances, built from a copy of the sources (the tree stays clean)."""
    source = folder / "src"
    source.mkdir()
    for name in ("setup.cfg", "pyproject.toml", "README.md"):
        shutil.copy2(ROOT / name, source / name)
    for name in ("videoforge", "entrypoints"):
        shutil.copytree(ROOT / name, source / name, ignore=shutil.ignore_patterns("__pycache__"))
    dist = folder / "dist"
    result = subprocess.run([PYTHON, "-m", "pip", "wheel", "--no-deps", "-q", "-w", str(dist), str(source)],
                            capture_output=True, text=True, timeout=300, check=False)
    assert result.returncode == 0, result.stdout + result.stderr
    client_pages(dist / "videoforge-client-0.1.0.tar.gz")
    return dist


def client_pages(archive: Path) -> Path:
    """The client pages archive the playbook uploads beside the wheel for the gateway (docs/deploy.md packs it from
    the client image): the two pages the web module renders, from client/dist when built, else stand-ins."""
    with tarfile.open(archive, "w:gz") as tar:
        for name in ("index.html", "embed.html"):
            built = ROOT / "client" / "dist" / name
            data = built.read_bytes() if built.is_file() else f"<!doctype html><title>{name}</title>".encode()
            info = tarfile.TarInfo(name)
            info.size, info.mode = len(data), 0o644
            tar.addfile(info, io.BytesIO(data))
    return archive


@pytest.fixture(scope="session")
def provisioned(deploy_moto, tmp_path_factory) -> Provisioned:
    """The whole provision.yml applied twice to the loopback server, every AWS call sent there (AWS_ENDPOINT_URL);
    the second run must change nothing."""
    bucket = "vf-deploy-test-media"
    dist = release_wheel(tmp_path_factory.mktemp("release"))
    args = ("playbooks/provision.yml",
            "-e", f"videoforge_aws_endpoint_url={deploy_moto.endpoint_url}",
            "-e", f"videoforge_bucket={bucket}", "-e", "videoforge_name=vf-deploy-test",
            "-e", "videoforge_cognito_domain_prefix=vf-deploy-test",
            "-e", f"videoforge_release_dir={dist}",
            "-e", f"ansible_python_interpreter={PYTHON}")
    endpoint = {"AWS_ENDPOINT_URL": deploy_moto.endpoint_url}
    first = run_ansible("ansible-playbook", *args, timeout=900, **endpoint)
    assert first.returncode == 0, first.stdout[-6000:] + first.stderr[-2000:]
    second = run_ansible("ansible-playbook", *args, timeout=900, **endpoint)
    assert second.returncode == 0, second.stdout[-6000:] + second.stderr[-2000:]
    provisioned = Provisioned(deploy_moto.endpoint_url, bucket, "", "", first, second)
    sqs = provisioned.client("sqs")
    provisioned.queue_url = sqs.get_queue_url(QueueName="vf-deploy-test-jobs")["QueueUrl"]
    provisioned.dlq_url = sqs.get_queue_url(QueueName="vf-deploy-test-jobs-dlq")["QueueUrl"]
    return provisioned


def changed_tasks(output: str) -> list[str]:
    """Names of the tasks that reported a change (for the idempotence assertion's message)."""
    names, task = [], ""
    for line in output.splitlines():
        if line.startswith("TASK ["):
            task = line[6:].split("]")[0]
        elif line.startswith("changed:") and task not in names:
            names.append(task)
    return names


def pytest_terminal_summary(terminalreporter):
    """How long the image builds took (cold or warm), for the CI log."""
    from tests.deploy.images import BUILD_REPORTS

    for line in BUILD_REPORTS:
        terminalreporter.write_line(line)


def redrive_policy(provisioned: Provisioned) -> dict:
    attributes = provisioned.client("sqs").get_queue_attributes(
        QueueUrl=provisioned.queue_url, AttributeNames=["All"])["Attributes"]
    return {**attributes, "RedrivePolicy": json.loads(attributes["RedrivePolicy"])}
