"""Web module: the built client at `/` (history routes), shared videos' watch pages with link previews, their embed
pages, and oEmbed at /api/oembed."""

from videoforge.modules import Module
from videoforge.modules.web import config


def _blueprints():
    from videoforge.modules.web.oembed import blp
    from videoforge.modules.web.views import web

    return [blp, web]


module = Module(name="web", blueprints=_blueprints, config=config, needs_database=False, order=99)
