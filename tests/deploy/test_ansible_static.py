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
