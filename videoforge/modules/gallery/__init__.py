"""Gallery module: direct-to-storage uploads, confirm with an outbox, and the video library."""

from videoforge.modules import Module
from videoforge.modules.gallery import config


def _blueprints():
    from videoforge.modules.gallery.api import blp

    return [blp]


def _commands():
    from videoforge.modules.gallery.cli import outbox_group, uploads

    return [uploads, outbox_group]


module = Module(name="gallery", blueprints=_blueprints, config=config, cli=_commands)
