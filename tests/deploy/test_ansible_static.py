"""Static checks of ansible/: every playbook passes --syntax-check, the tree is ansible-lint clean (production profile),
and the load balancer sends the shared watch and embed pages to the gateway."""

from __future__ import annotations

import pytest
import yaml

from tests.deploy.conftest import ANSIBLE_DIR, run_ansible

PLAYBOOKS = sorted(p.relative_to(ANSIBLE_DIR).as_posix() for p in (ANSIBLE_DIR / "playbooks").glob("*.yml"))


def test_the_playbooks_are_found():
    assert {"playbooks/provision.yml", "playbooks/instance.yml"} <= set(PLAYBOOKS)


@pytest.mark.parametrize("playbook", PLAYBOOKS)
def test_playbook_passes_syntax_check(playbook):
    result = run_ansible("ansible-playbook", "--syntax-check", playbook)
    assert result.returncode == 0, result.stdout + result.stderr


def test_ansible_lint_is_clean_at_the_production_profile():
    # .ansible-lint sets profile: production and offline mode; the collections come with the ansible package.
    result = run_ansible("ansible-lint", "--nocolor", "-q", timeout=600)
    assert result.returncode == 0, result.stdout[-6000:] + result.stderr[-3000:]


def test_the_load_balancer_sends_the_shared_pages_to_the_gateway():
    """/watch/* and /embed/* go to the gateway, whose web module renders them (link previews, the owner's
    frame-ancestors), after the API's rule; the gateway mounts the web module and is told where the pages are."""
    tasks = yaml.safe_load((ANSIBLE_DIR / "roles/aws_loadbalancer/tasks/main.yml").read_text())
    [facts] = [task["ansible.builtin.set_fact"] for task in tasks
               if "aws_loadbalancer_rules" in task.get("ansible.builtin.set_fact", {})]
    routes = {pattern: (int(rule["Priority"]), rule["Actions"])
              for rule in facts["aws_loadbalancer_rules"]
              for condition in rule["Conditions"] for pattern in condition["PathPatternConfig"]["Values"]}
    gateway = [{"Type": "forward", "TargetGroupName": "{{ videoforge_name }}-gateway"}]
    for pattern in ("/api/*", "/watch/*", "/embed/*"):
        assert routes[pattern][1] == gateway, pattern
    assert routes["/api/*"][0] < routes["/watch/*"][0] == routes["/embed/*"][0]
    defaults = yaml.safe_load((ANSIBLE_DIR / "roles/gateway/defaults/main.yml").read_text())
    assert "web" in defaults["gateway_modules"]
    environment = (ANSIBLE_DIR / "roles/gateway/templates/gateway.env.j2").read_text()
    assert "VIDEOFORGE_WEB_DIST={{ gateway_web_dist }}" in environment


def test_the_worker_instances_run_the_gallery_s_housekeeping():
    """The ASG's workers enable the gallery (for its housekeeping: stale uploads, late upload bytes) beside the
    processor: the gallery itself runs on Lambda, where nothing runs periodically."""
    defaults = yaml.safe_load((ANSIBLE_DIR / "roles/worker/defaults/main.yml").read_text())
    assert {"processor", "gallery"} <= set(defaults["worker_modules"])
    environment = (ANSIBLE_DIR / "roles/worker/templates/worker.env.j2").read_text()
    assert "VIDEOFORGE_MODULES={{ worker_modules | join(',') }}" in environment.splitlines()


def test_the_worker_role_may_do_what_the_housekeeping_does_to_the_store():
    """The housekeeping aborts stale multipart uploads and deletes folders: refused on AWS, a pass would stop at the
    oldest stale upload every time, and never reach the rest (moto does not check IAM, so only this test can)."""
    import json

    policy = json.loads((ANSIBLE_DIR / "roles/aws_iam/templates/worker-policy.json.j2").read_text()
                        .replace("{{ ", "").replace(" }}", ""))
    media = next(s for s in policy["Statement"] if s["Sid"] == "Media")
    assert {"s3:DeleteObject", "s3:AbortMultipartUpload", "s3:GetObject", "s3:PutObject"} <= set(media["Action"])
    listing = next(s for s in policy["Statement"] if s["Sid"] == "MediaList")
    assert listing["Action"] == "s3:ListBucket"
