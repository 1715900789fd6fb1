"""Processor test fixtures: one small clip per module, and an app with the fast two-rung ladder."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.media import make_clip
from tests.modules.processor.jobs import FAST


@pytest.fixture(scope="module")
def clip(tmp_path_factory) -> Path:
    return make_clip(tmp_path_factory.mktemp("clips") / "clip.mp4", 320, 180, seconds=3)


@pytest.fixture
def app(make_app):
    return make_app(**FAST)
