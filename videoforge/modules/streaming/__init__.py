"""Streaming module: access-checked playback info and signed HLS playlists."""

from videoforge.modules import Module
from videoforge.modules.streaming import config


def _blueprints():
    from videoforge.modules.streaming.api import blp

    return [blp]


module = Module(name="streaming", blueprints=_blueprints, config=config)
