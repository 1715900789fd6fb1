"""Gallery module: direct-to-storage uploads, confirm with an outbox, and the video library."""

from __future__ import annotations

from typing import TYPE_CHECKING

from videoforge.modules import Module
from videoforge.modules.gallery import config

if TYPE_CHECKING:
    from flask import Flask

    from videoforge.modules.gallery.housekeeping import CleanupReport


def _blueprints():
    from videoforge.modules.gallery.api import blp

    return [blp]


def _commands():
    from videoforge.modules.gallery.cli import outbox_group, uploads

    return [uploads, outbox_group]


def _housekeeping(app: Flask) -> CleanupReport:
    from videoforge.modules.gallery.housekeeping import clean_up

    return clean_up(app)


module = Module(name="gallery", blueprints=_blueprints, config=config, cli=_commands, housekeeping=_housekeeping)
