"""Gateway module: one URL space, proxying modules that run elsewhere; request ids, CORS, rate limits."""

from flask import Flask

from videoforge.modules import Module
from videoforge.modules.gateway import config


def setup(app: Flask) -> None:
    """CORS, rate limits and a proxy per remote module, in that order (the app factory trusts proxies)."""
    from videoforge.modules.gateway.cors import install_cors
    from videoforge.modules.gateway.proxy import install_proxies
    from videoforge.modules.gateway.ratelimit import install_rate_limit

    install_cors(app)  # first, so preflights are answered before they could be limited
    install_rate_limit(app)
    install_proxies(app)


module = Module(name="gateway", config=config, setup=setup, needs_database=False, order=10)
