"""Configuration: core defaults, layered sources, typed environment parsing and start-up validation."""

from __future__ import annotations

import os
import runpy
from typing import Any
from urllib.parse import urlsplit

ENV_PREFIX = "VIDEOFORGE_"

DATABASE_URL = ""
"""SQLAlchemy URL; empty means a SQLite file in the instance folder."""
MODULES: list[str] = []
"""Modules enabled in this process; empty means every installed module."""
REMOTE_MODULES: dict[str, str] = {}
"""Modules served elsewhere, as name=url pairs; the gateway proxies their URL prefix."""
STORAGE_BACKEND = "local"
"""Object store adapter: `local` (a folder, app-signed URLs) or `s3`."""
STORAGE_PATH = ""
"""Folder of the local object store; empty means `storage/` in the instance folder."""
S3_BUCKET = ""
"""Bucket for the s3 storage backend."""
S3_ENDPOINT_URL = ""
"""S3 endpoint override for S3-compatible servers; empty means AWS."""
S3_PUBLIC_ENDPOINT_URL = ""
"""Endpoint that browsers use in presigned URLs, when it differs from S3_ENDPOINT_URL."""
S3_REGION = "us-east-1"
"""Region used for signing S3 requests."""
S3_ADDRESSING_STYLE = "path"
"""`path` or `virtual` bucket addressing."""
S3_ACCESS_KEY_ID = ""
"""Access key for S3; empty means boto3's usual chain (instance role, environment, profile)."""
S3_SECRET_ACCESS_KEY = ""
"""Secret key for S3 (use a `secretsmanager:` reference); empty means boto3's usual chain."""
MEDIA_DELIVERY = "storage"
"""Where players fetch segments, posters and sprites: `storage` (the store signs) or `cdn` (CloudFront signs)."""
CDN_URL = ""
"""Base URL of the CloudFront distribution in front of the renditions, e.g. https://d111111abcdef8.cloudfront.net."""
CDN_KEY_PAIR_ID = ""
"""Id of the CloudFront public key (in the distribution's trusted key group) that CDN_PRIVATE_KEY pairs with."""
CDN_PRIVATE_KEY = ""
"""PEM RSA private key that signs CloudFront policies (use a `secretsmanager:` reference)."""
CDN_SIGNED_COOKIES = False
"""Grant media access with CloudFront signed cookies instead of signed URLs (needs CDN_COOKIE_DOMAIN)."""
CDN_COOKIE_DOMAIN = ""
"""Parent domain shared by the app and CDN_URL (e.g. example.com for video. and cdn.example.com)."""
QUEUE_BACKEND = "sql"
"""Job queue adapter: `sql` (a table in the database) or `sqs`."""
SQS_QUEUE_URL = ""
"""URL of the SQS job queue."""
SQS_DLQ_URL = ""
"""URL of the SQS dead-letter queue."""
SQS_ENDPOINT_URL = ""
"""SQS endpoint override for SQS-compatible servers."""
SQS_REGION = "us-east-1"
"""Region of the SQS queues."""
QUEUE_VISIBILITY_TIMEOUT = 120
"""Seconds a received job stays hidden before it is redelivered (the worker extends it while working)."""
QUEUE_MAX_RECEIVES = 3
"""Receives after which a job is dead-lettered."""
MAIL_BACKEND = "local"
"""Mail adapter: `local` (an .eml file per message in MAIL_PATH, and a log line), `smtp` or `ses`."""
MAIL_FROM = ""
"""From address of account mail, e.g. `VideoForge <no-reply@video.example.org>`; required for smtp and ses."""
MAIL_PATH = ""
"""Folder of the local mail backend; empty means `mail/` in the instance folder."""
SMTP_HOST = ""
"""Mail server for the smtp backend."""
SMTP_PORT = 587
"""Its port (587 is the submission port, with STARTTLS)."""
SMTP_STARTTLS = True
"""Upgrade the connection with STARTTLS (the certificate and name are checked) before logging in and sending."""
SMTP_USERNAME = ""
"""Login name on the mail server; empty sends without logging in."""
SMTP_PASSWORD = ""
"""Its password (use a `secretsmanager:` reference)."""
SMTP_TIMEOUT = 10.0
"""Seconds to wait for the mail server at each step."""
SES_REGION = ""
"""Region of Amazon SES for the ses backend; empty means the AWS SDK's usual lookup."""
SES_ENDPOINT_URL = ""
"""SES endpoint override (compatible servers, tests)."""
SES_CONFIGURATION_SET = ""
"""SES configuration set to send with (event publishing, dedicated IPs); empty sends without one."""
AUTH_BACKEND = "local"
"""Identity provider: `local` (embedded issuer) or `cognito`."""
AUTH_ISSUER = ""
"""`iss` of local tokens; empty means the app's public URL + /api/auth."""
AUTH_SIGNING_KEY = ""
"""PEM private key of the local issuer (may be `secretsmanager:<id>`); empty: one made in the instance folder."""
AUTH_RETIRED_PUBLIC_KEYS: list[str] = []
"""PEM public keys of retired signing keys, kept in the JWKS until their tokens expire."""
AUTH_JWKS_URL = ""
"""Where a process that does not issue local tokens fetches the issuer's JWKS (split topologies)."""
AUTH_ACCESS_TOKEN_TTL = 3600
"""Lifetime of local access and id tokens, in seconds."""
AUTH_REFRESH_TOKEN_TTL = 30 * 24 * 3600
"""Lifetime of local refresh tokens, in seconds."""
AUTH_CLIENT_ID = "videoforge-web"
"""Client id that local tokens carry and the verifier requires."""
AUTH_ADMIN_EMAILS: list[str] = []
"""Emails that get the `admin` group when their local account is created."""
AUTH_EMAIL_VERIFICATION = "optional"
"""Local accounts' email check: `required` (no uploads until verified), `optional` (a link is mailed) or `off`.
Core, not the auth module's: the gallery, in any process, refuses uploads by it (the token's `email_verified`)."""
API_KEY_MAX_FAILURES_PER_ADDRESS = 20
"""Refused personal API keys from one client address within API_KEY_FAILURE_WINDOW before further bad ones get
429 (0 is off; a good key always passes). Core: every process that serves an API checks keys."""
API_KEY_FAILURE_WINDOW = 15 * 60
"""Seconds over which refused API keys are counted."""
COGNITO_REGION = ""
"""Region of the Cognito user pool."""
COGNITO_USER_POOL_ID = ""
"""Cognito user pool id."""
COGNITO_CLIENT_ID = ""
"""Cognito app client id."""
COGNITO_JWKS_URL = ""
"""JWKS URL override (default: derived from region and pool id)."""
COGNITO_ISSUER = ""
"""Issuer override (default: derived from region and pool id)."""
COGNITO_DOMAIN = ""
"""Hosted UI domain, e.g. https://example.auth.us-east-1.amazoncognito.com."""
PUBLIC_URL = ""
"""Base URL browsers reach this app at; empty means the scheme and host of each request (see videoforge/urls.py)."""
TRUSTED_PROXY_HOPS = 0
"""Proxies in front of this process (an ALB is 1) whose X-Forwarded-For/-Proto/-Host entries are believed."""
CORS_ORIGINS: list[str] = []
"""Origins allowed to call the API from a browser (the same origin needs none)."""
CSP_EXTRA_SOURCES: list[str] = []
"""Origins the web client may also fetch, show and play from (connect-, img-, media-src), e.g. a CDN before storage."""
CONTENT_SECURITY_POLICY = ""
"""The web client's whole Content-Security-Policy, replacing the one derived from storage and sign-in settings."""
WORKER_IN_PROCESS = True
"""Run processor workers inside the web process (all-in-one); ignored without the processor module."""
WORKER_HEARTBEAT_SECONDS = 10.0
"""How often a worker process refreshes its row in the workers table; three missed beats and it counts as gone.
A core setting: the gallery reads the same registry (estimated starts) in processes that load no processor."""
TRANSCRIPTION_BACKEND = "pocketsphinx"
"""Generated captions: `pocketsphinx` (offline, English), `whisper` (WHISPER_MODEL_DIR), `transcribe` (Amazon, S3
storage) or empty for off. Core, not the processor's: the gallery, in any process, refuses to ask for them when off."""
AUTO_CAPTIONS_LANGUAGE = "en"
"""Language (BCP 47) of a generated track when the upload or the request names none."""
LOG_FORMAT = ""
"""`json` lines or `text`; empty means text for `videoforge run` in a terminal, JSON everywhere else."""
LOG_LEVEL = "INFO"
"""Root log level."""
SECRET_KEY = ""
"""Key for app-signed URLs and sealed database secrets; empty means one created in the instance folder."""
SECRET_KEY_FALLBACKS: list[str] = []
"""Earlier SECRET_KEYs, newest first: they still open TOTP seeds sealed before a rotation."""
MAX_CONTENT_LENGTH = 1024 * 1024
"""Largest JSON request body in bytes (video bytes never pass through the API)."""
SECRETS_ENDPOINT_URL = ""
"""Secrets Manager endpoint override (compatible servers); AWS_ENDPOINT_URL_SECRETS_MANAGER works too."""
SECRETS_REGION = ""
"""Region of Secrets Manager; empty means the AWS SDK's usual lookup (AWS_REGION, instance metadata)."""
AUTO_MIGRATE = True
"""Apply pending migrations at start-up (all-in-one); split deployments run `videoforge db upgrade` instead."""
URL_PREFIXES: dict[str, str] = {"web": ""}
"""Blueprint name to URL prefix, where it should differ from /api/<name>."""
# Webhooks (videoforge/webhooks/): core, as the webhooks module registers endpoints and the worker delivers to them.
WEBHOOK_ALLOW_LOOPBACK = False
"""Development only: endpoints may also be http(s) on loopback (a receiver on this machine); private, link-local
and other non-public addresses stay refused."""
WEBHOOK_TIMEOUT = 5.0
"""Seconds one delivery may take, connecting to reading the answer's first bytes; redirects are not followed."""
WEBHOOK_RETRY_FOR = 24 * 3600
"""Seconds a delivery is retried with exponential back-off before it is marked failed."""
WEBHOOK_RETENTION = 30 * 24 * 3600
"""Seconds events and their delivery logs are kept."""

CORE_DEFAULTS = {k: v for k, v in dict(globals()).items() if k.isupper() and k != "ENV_PREFIX"}

BACKENDS = {
    "STORAGE_BACKEND": ("local", "s3"),
    "MEDIA_DELIVERY": ("storage", "cdn"),
    "QUEUE_BACKEND": ("sql", "sqs"),
    "AUTH_BACKEND": ("local", "cognito"),
    "AUTH_EMAIL_VERIFICATION": ("required", "optional", "off"),
    "MAIL_BACKEND": ("local", "smtp", "ses"),
    "LOG_FORMAT": ("", "json", "text"),
    "TRANSCRIPTION_BACKEND": ("pocketsphinx", "whisper", "transcribe", ""),
}
URL_KEYS = ("PUBLIC_URL", "CDN_URL", "S3_ENDPOINT_URL", "S3_PUBLIC_ENDPOINT_URL", "SQS_ENDPOINT_URL",
            "SQS_QUEUE_URL", "SQS_DLQ_URL", "COGNITO_JWKS_URL", "COGNITO_DOMAIN", "AUTH_JWKS_URL",
            "SECRETS_ENDPOINT_URL", "SES_ENDPOINT_URL")
REQUIRED_WITH = (
    ("S3_BUCKET", "STORAGE_BACKEND", ("s3",)),
    ("CDN_URL", "MEDIA_DELIVERY", ("cdn",)),
    ("CDN_KEY_PAIR_ID", "MEDIA_DELIVERY", ("cdn",)),
    ("CDN_PRIVATE_KEY", "MEDIA_DELIVERY", ("cdn",)),
    ("SQS_QUEUE_URL", "QUEUE_BACKEND", ("sqs",)),
    ("MAIL_FROM", "MAIL_BACKEND", ("smtp", "ses")),
    ("SMTP_HOST", "MAIL_BACKEND", ("smtp",)),
    ("COGNITO_USER_POOL_ID", "AUTH_BACKEND", ("cognito",)),
    ("COGNITO_CLIENT_ID", "AUTH_BACKEND", ("cognito",)),
)
"""(key, backend key, backends): the key must be set when the backend key names one of those backends."""


class ConfigError(Exception):
    """A configuration value that stops start-up; the message names the key."""


def defaults_of(namespace) -> dict[str, Any]:
    """Upper-case names of a config module (a module's `config.py`) as a dict."""
    return {k: getattr(namespace, k) for k in dir(namespace) if k.isupper()}


def read_settings_file(path: str) -> dict[str, Any]:
    """Upper-case names defined by a Python settings file (Flask's convention)."""
    if not os.path.isfile(path):
        raise ConfigError(f"VIDEOFORGE_SETTINGS: no such file {path!r}")
    return {k: v for k, v in runpy.run_path(path).items() if k.isupper()}


def parse_env_value(key: str, raw: str, default: object) -> object:
    """Parse one environment string into the type of its default."""
    try:
        return _parsed_like(raw, default)
    except ValueError:
        kind = type(default).__name__
        raise ConfigError(f"{ENV_PREFIX}{key}: {raw!r} is not a valid {kind}") from None


def _parsed_like(raw: str, default: object) -> object:
    """`raw` as the type of `default`: bool, int, float, `name=value,...` dict, comma-separated list; ValueError."""
    if isinstance(default, bool):
        return _parsed_bool(raw)
    if isinstance(default, int):
        return int(raw)
    if isinstance(default, float):
        return float(raw)
    if isinstance(default, dict):
        pairs = [p.split("=", 1) for p in raw.split(",") if p.strip()]
        if any(len(p) != 2 for p in pairs):
            raise ValueError(raw)
        return {name.strip(): value.strip() for name, value in pairs}
    if isinstance(default, (list, tuple)):
        items = [p.strip() for p in raw.split(",") if p.strip()]
        if default and all(isinstance(d, int) for d in default):
            return [int(i) for i in items]
        return items
    return raw


def _parsed_bool(raw: str) -> bool:
    lowered = raw.strip().lower()
    if lowered in ("1", "true", "yes", "on"):
        return True
    if lowered in ("0", "false", "no", "off", ""):
        return False
    raise ValueError(raw)


def layered(defaults: dict[str, Any], overrides: dict[str, Any], environ=os.environ) -> dict[str, Any]:
    """Defaults < settings file < overrides < VIDEOFORGE_* environment."""
    merged = dict(defaults)
    settings = overrides.get("SETTINGS") or environ.get(ENV_PREFIX + "SETTINGS")
    if settings:
        merged.update(read_settings_file(settings))
    merged.update(overrides)
    for name, raw in environ.items():
        if name.startswith(ENV_PREFIX) and name != ENV_PREFIX + "SETTINGS":
            key = name[len(ENV_PREFIX):]
            merged[key] = parse_env_value(key, raw, merged.get(key, defaults.get(key, "")))
    return merged


def validate(config: dict[str, Any]) -> None:
    """Stop start-up with one clear line for an unknown backend or a malformed URL."""
    for key, allowed in BACKENDS.items():
        if config.get(key) not in allowed:
            choices = ", ".join(choice or "empty" for choice in allowed)
            raise ConfigError(f"{ENV_PREFIX}{key}: {config.get(key)!r} is not one of {choices}")
    urls = [(key, config.get(key)) for key in URL_KEYS]
    urls += [(f"REMOTE_MODULES[{name}]", url) for name, url in (config.get("REMOTE_MODULES") or {}).items()]
    for key, value in urls:
        if value and not is_http_url(value):
            raise ConfigError(f"{ENV_PREFIX}{key}: {value!r} is not an http(s) URL")
    for key, backend_key, backends in REQUIRED_WITH:
        if config[backend_key] in backends and not config.get(key):
            raise ConfigError(f"{ENV_PREFIX}{key}: required when {backend_key} is {config[backend_key]}")


def is_http_url(value: str) -> bool:
    """True for an absolute http(s) URL with a host."""
    try:
        parts = urlsplit(value)
        _ = parts.port  # reading it raises on a malformed port
    except ValueError:
        return False
    return parts.scheme in ("http", "https") and bool(parts.hostname)
