"""The application factory: layered config, the enabled modules, database, identity, docs and errors."""

from __future__ import annotations

import os
import secrets as pysecrets
from typing import Any

from flask import Flask
from werkzeug.middleware.proxy_fix import ProxyFix

from videoforge.apidocs import LazyApi
from videoforge.config import CORE_DEFAULTS, defaults_of, layered, validate
from videoforge.db import Database, close_session
from videoforge.errors import register_error_handlers
from videoforge.headers import install_security_headers
from videoforge.health import health
from videoforge.identity.setup import init_identity
from videoforge.logs import configure_logging, install_request_ids
from videoforge.modules import Module, select_modules
from videoforge.routing import LazyBuilderRule
from videoforge.secrets import resolve_secrets

API_DEFAULTS = {
    "API_TITLE": "VideoForge",
    "API_VERSION": "v1",
    "OPENAPI_VERSION": "3.0.3",
    "OPENAPI_URL_PREFIX": "/api",
    "OPENAPI_JSON_PATH": "openapi.json",
    "OPENAPI_SWAGGER_UI_PATH": "docs",
    "OPENAPI_SWAGGER_UI_URL": "/api/docs/assets/",
    # Swagger UI's default validator badge would send our spec's URL to swagger.io (and break the docs' CSP).
    "OPENAPI_SWAGGER_UI_CONFIG": {"validatorUrl": None},
    "OPENAPI_REDOC_PATH": "redoc",
    "OPENAPI_REDOC_URL": "/api/docs/redoc.standalone.js",
    "API_SPEC_OPTIONS": {
        "info": {"description": "Upload straight to storage, transcode into an HLS ladder, watch and share."},
        "components": {"securitySchemes": {"bearerAuth": {
            "type": "http", "scheme": "bearer",
            "description": "A signed-in session's access token (a JWT from /api/auth/token or Cognito), or a personal "
                           "API key `vf_…` (made on the account page: POST /api/auth/keys). A key acts as its owner "
                           "within its scopes: `read` (GET), `upload` (also create and confirm uploads), `manage` "
                           "(also edit and delete); it never manages keys, credentials or MFA."}}},
        "security": [{"bearerAuth": []}],
    },
}


def create_app(default_log_format: str = "json", **overrides: Any) -> Flask:
    """Build an app serving the modules the config enables; a config error stops here with one line.

    `default_log_format` applies when LOG_FORMAT is empty: `videoforge run` in a terminal asks for `text`.
    """
    instance_path = overrides.pop("INSTANCE_PATH", None) or os.environ.get("VIDEOFORGE_INSTANCE_PATH")
    first = layered(CORE_DEFAULTS, overrides)
    modules = select_modules(first["MODULES"], first["REMOTE_MODULES"])
    config = layered(_defaults_with(modules), overrides)
    validate(config)
    secret_references = resolve_secrets(config)

    app = Flask("videoforge", static_folder=None, instance_relative_config=True,
                instance_path=os.path.abspath(instance_path) if instance_path else None)
    app.url_rule_class = LazyBuilderRule  # before any route is added (videoforge/routing.py)
    for key, value in API_DEFAULTS.items():
        app.config.setdefault(key, value)
    app.config.update(config)
    app.config["SECRET_KEY"] = config["SECRET_KEY"] or _instance_secret(app.instance_path)
    app.extensions["videoforge.modules"] = {m.name: m for m in modules}
    app.extensions["videoforge.secret_references"] = secret_references  # fetched again after a SnapStart restore
    configure_logging(config["LOG_FORMAT"] or default_log_format, config["LOG_LEVEL"])
    install_request_ids(app)

    if any(m.needs_database for m in modules):
        _open_database(app)

    init_identity(app)
    api = LazyApi(app)  # the OpenAPI document is built on first read, not here (videoforge/apidocs.py)
    app.extensions["videoforge.api"] = api
    register_error_handlers(app)
    install_security_headers(app)
    app.register_blueprint(health)
    _register_docs_assets(app)
    for module in modules:
        _mount(app, api, module)
        for command in module.cli():
            app.cli.add_command(command)
    if config.get("AUTO_MIGRATE") and "videoforge.db" in app.extensions:
        from videoforge.migrate import upgrade

        upgrade(app)
    for module in modules:
        if module.setup is not None:
            module.setup(app)
    _trust_proxies(app, int(config["TRUSTED_PROXY_HOPS"]))
    return app


def _defaults_with(modules: list[Module]) -> dict[str, Any]:
    """The core's defaults, then each enabled module's (config.py) for the keys the core leaves out."""
    defaults = dict(CORE_DEFAULTS)
    for module in modules:
        if module.config is not None:
            for key, value in defaults_of(module.config).items():
                defaults.setdefault(key, value)
    return defaults


def _open_database(app: Flask) -> None:
    """The app's Database (DATABASE_URL, else a SQLite file in the instance folder) and its request sessions."""
    url = app.config["DATABASE_URL"] or "sqlite:///" + os.path.join(app.instance_path, "videoforge.db")
    os.makedirs(app.instance_path, exist_ok=True)
    app.config["DATABASE_URL"] = url
    app.extensions["videoforge.db"] = Database(url)
    app.teardown_appcontext(close_session)


def _trust_proxies(app: Flask, hops: int) -> None:
    if hops > 0:
        # Only behind that many proxies of ours are X-Forwarded-For (counted from the right), -Proto and -Host
        # believed: the client address sign-in throttles and rate limits count, and the scheme and host URLs are
        # built on when PUBLIC_URL is unset (videoforge/urls.py). Outermost, so every layer sees them.
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops, x_host=hops)  # type: ignore[method-assign]


def _mount(app: Flask, api: LazyApi, module: Module) -> None:
    # The app owns URL prefixes: /api/<blueprint name> unless the operator maps it elsewhere.
    prefixes = app.config.get("URL_PREFIXES") or {}
    for blueprint in module.blueprints():
        prefix = prefixes.get(blueprint.name, f"/api/{blueprint.name}")
        if hasattr(blueprint, "_docs"):  # a flask-smorest Blueprint: documented in OpenAPI
            api.register_blueprint(blueprint, url_prefix=prefix)
        else:
            app.register_blueprint(blueprint, url_prefix=prefix or None)


def _register_docs_assets(app: Flask) -> None:
    """Serve Swagger UI's files from the installed Python package, so the docs work offline."""
    try:
        import swagger_ui_bundle
    except ImportError:
        return
    from flask import send_from_directory

    @app.get("/api/docs/assets/<path:filename>")
    def swagger_ui_assets(filename: str):
        return send_from_directory(swagger_ui_bundle.swagger_ui_path, filename, max_age=86400)

    @app.get("/api/docs/redoc.standalone.js")
    def redoc_bundle():
        # Copied from npm's redoc package into the client build (client/scripts/copy-vendor.mjs).
        vendor = os.path.join(app.config.get("WEB_DIST") or "", "vendor")
        return send_from_directory(os.path.abspath(vendor), "redoc.standalone.js", max_age=86400)


def _instance_secret(instance_path: str) -> str:
    """A random key made once per instance folder (0600), so signed URLs survive restarts."""
    path = os.path.join(instance_path, "secret_key")
    if not os.path.exists(path):
        os.makedirs(instance_path, exist_ok=True)
        try:
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:
            pass
        else:
            with os.fdopen(fd, "w") as fh:
                fh.write(pysecrets.token_urlsafe(48))
    with open(path) as fh:
        return fh.read().strip()

