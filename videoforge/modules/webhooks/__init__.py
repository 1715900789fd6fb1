"""Webhooks module: owners register endpoints for their videos' events, read each endpoint's delivery log, send a
test event and replay a delivery. Events are written and delivered by videoforge/webhooks/ (the worker sends)."""

from videoforge.modules import Module
from videoforge.modules.webhooks import config


def _blueprints():
    from videoforge.modules.webhooks.api import blp

    return [blp]


module = Module(name="webhooks", blueprints=_blueprints, config=config)
