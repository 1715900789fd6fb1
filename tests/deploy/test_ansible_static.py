"""Static checks of ansible/: every playbook passes --syntax-check and the tree is ansible-lint clean (production profile)."""

from __future__ import annotations

import pytest

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
