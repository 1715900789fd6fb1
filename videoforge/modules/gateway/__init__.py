"""Gateway module: one URL space, proxying modules that run elsewhere; request ids, CORS, rate limits."""

from videoforge.modules import Module
from videoforge.modules.gateway import config

module = Module(name="gateway", config=config, needs_database=False, order=10)
