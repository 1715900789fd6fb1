"""The one rule for what a test needs from the machine: skip locally with the reason, fail on CI."""

from __future__ import annotations

import os

import pytest


def on_ci() -> bool:
    """CI=true (any value but empty, 0 or false): what the tests need must be there."""
    return os.environ.get("CI", "").strip().lower() not in ("", "0", "false", "no")


def need(condition: object, reason: str) -> None:
    """Go on when `condition` holds. Otherwise skip with `reason` here, and fail with it on CI: a missing server,
    binary or privilege there is a broken CI machine, never a reason to pass quietly."""
    if condition:
        return
    if on_ci():
        pytest.fail(reason, pytrace=False)
    pytest.skip(reason)
