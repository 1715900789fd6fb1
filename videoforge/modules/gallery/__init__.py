"""Gallery module: direct-to-storage uploads, confirm with an outbox, and the video library."""

from videoforge.modules import Module
from videoforge.modules.gallery import config


def _blueprints():
    from videoforge.modules.gallery.api import blp

    return [blp]


module = Module(name="gallery", blueprints=_blueprints, config=config)
