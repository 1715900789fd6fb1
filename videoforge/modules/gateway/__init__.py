"""Gateway module: one URL space, proxying modules that run elsewhere; request ids, CORS, rate limits."""

from videoforge.modules import Module
from videoforge.modules.gateway import config


def setup(app) -> None:
    """Trust the configured proxies, then CORS, rate limits and a proxy per remote module (in that order)."""
    from videoforge.modules.gateway.cors import install_cors
    from videoforge.modules.gateway.proxy import install_proxies
    from videoforge.modules.gateway.ratelimit import install_rate_limit

    hops = int(app.config["TRUSTED_PROXY_HOPS"])
    if hops > 0:
        from werkzeug.middleware.proxy_fix import ProxyFix

        # Only then is X-Forwarded-For's client (counted from the right, past our own proxies) believed.
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops, x_host=hops)
    install_cors(app)  # first, so preflights are answered before they could be limited
    install_rate_limit(app)
    install_proxies(app)


module = Module(name="gateway", config=config, setup=setup, needs_database=False, order=10)
