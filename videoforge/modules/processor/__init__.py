"""Processor module: queue-driven FFmpeg HLS ladder, the worker, and the admin queue API."""

from videoforge.modules import Module
from videoforge.modules.processor import config


def _blueprints():
    from videoforge.modules.processor.api import blp

    return [blp]


module = Module(name="processor", blueprints=_blueprints, config=config)
