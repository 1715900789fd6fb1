"""The test suite's one rule for a missing server or tool: skip here with the reason, fail on CI."""

from __future__ import annotations

import pytest

from tests.need import need


@pytest.mark.parametrize("ci", ["", "0", "false"])
def test_a_missing_need_skips_with_its_reason_off_ci(monkeypatch, ci):
    monkeypatch.setenv("CI", ci)
    need(True, "never shown")
    with pytest.raises(pytest.skip.Exception, match="redis-server is not running"):
        need(False, "redis-server is not running")


@pytest.mark.parametrize("ci", ["true", "1", "yes"])
def test_a_missing_need_fails_on_ci(monkeypatch, ci):
    monkeypatch.setenv("CI", ci)
    with pytest.raises(pytest.fail.Exception, match="redis-server is not running"):
        need(False, "redis-server is not running")
