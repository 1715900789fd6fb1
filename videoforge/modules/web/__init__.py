"""Web module: serves the built single-page client at `/` with a fallback to index.html."""

from videoforge.modules import Module
from videoforge.modules.web import config


def _blueprints():
    from videoforge.modules.web.views import web

    return [web]


module = Module(name="web", blueprints=_blueprints, config=config, needs_database=False, order=99)
