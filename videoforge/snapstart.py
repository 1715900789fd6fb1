"""Lambda SnapStart: what a handler restored from a snapshot must make again, as the runtime's two hooks.

With SnapStart, Lambda runs a version's init phase (imports, `create_app`) once when the version is published,
snapshots the whole memory and resumes every new execution environment from that one copy. Whatever init made is
then shared by all of them: open sockets, the `random` generator's state, ids, fetched secrets and keys. So:

- before the snapshot: no database connection or HTTP client pool is left open to be copied, and no fetched
  secret or signing key stays cached; the modules a first request imports lazily (boto3, joserfc) are imported,
  since in a snapshot they cost nothing;
- after each restore: the database pool starts empty (`dispose(close=False)`: a connection the snapshot might
  hold belongs to another environment), `random` is seeded again from the kernel, the environment gets its own
  instance id, secrets are fetched again (a rotated database password reaches a months-old snapshot), the JWKS is
  fetched again on the next token, and the S3/SQS clients are made again with new pools.

The hooks are registered with AWS's `snapshot_restore_py` (pip: snapshot-restore-py; the Lambda Python base
images ship it too): the runtime calls the before-snapshot hooks in reverse order of registration and the
after-restore hooks in order, each as `func(*args, **kwargs)`. `make_handler` registers them only when the
runtime says the init is for a snapshot (AWS_LAMBDA_INITIALIZATION_TYPE=snap-start), so other processes and
tests leave that process-wide registry alone.
"""

from __future__ import annotations

import logging
import os
import random
import secrets
from typing import TYPE_CHECKING

from videoforge.secrets import PREFIX, clear_cache, resolve_secrets

if TYPE_CHECKING:
    from flask import Flask

log = logging.getLogger(__name__)

INITIALIZATION_TYPE = "snap-start"
"""AWS_LAMBDA_INITIALIZATION_TYPE when Lambda is initialising a version to snapshot it."""
INSTANCE_ID = "videoforge.instance_id"
"""Key in app.extensions of the execution environment's own id (new after every restore)."""
SECRET_REFERENCES = "videoforge.secret_references"
"""Key in app.extensions of the `secretsmanager:` references the config was resolved from (videoforge/app.py)."""
# The adapters made on first use and cached in app.extensions: each holds an HTTP pool (and, for the SQL queue,
# the Database), so a restored environment makes its own.
CLIENT_EXTENSIONS = ("videoforge.storage", "videoforge.delivery", "videoforge.queue", "videoforge.mail")


def snapshot_init() -> bool:
    """True while Lambda initialises a function version for a SnapStart snapshot."""
    return os.environ.get("AWS_LAMBDA_INITIALIZATION_TYPE") == INITIALIZATION_TYPE


def new_instance_id() -> str:
    """A random id for one execution environment (from the kernel, never from a copied generator)."""
    return secrets.token_hex(8)


def register_hooks(app: Flask) -> None:
    """Register this app's before-snapshot and after-restore hooks with the Lambda runtime."""
    from snapshot_restore_py import register_after_restore, register_before_snapshot

    register_before_snapshot(before_snapshot, app)
    register_after_restore(after_restore, app)


def before_snapshot(app: Flask) -> None:
    """Leave nothing in the snapshot that must not be shared: no open connection, no cached key or secret."""
    _preload(app)
    db = app.extensions.get("videoforge.db")
    if db is not None:
        db.engine.dispose()  # closes the pooled connections init opened (a migration check, a warm-up query)
    _drop_clients(app)
    _forget_keys(app)
    clear_cache()


def after_restore(app: Flask) -> None:
    """Make this execution environment's own connections, randomness, id, secrets and keys."""
    random.seed()  # from os.urandom: restored copies would otherwise draw the same "random" numbers
    app.extensions[INSTANCE_ID] = new_instance_id()
    _refresh_secrets(app)
    db = app.extensions.get("videoforge.db")
    if db is not None:
        db.engine.dispose(close=False)  # forget, never close: a copied socket is another environment's
    _drop_clients(app)
    _forget_keys(app)
    log.info("restored from a SnapStart snapshot as instance %s", app.extensions[INSTANCE_ID])


def _preload(app: Flask) -> None:
    """Import what a restored instance's first requests would otherwise import: code in the snapshot is free.

    Outside SnapStart these stay lazy (each costs a cold start that may never need it). Only modules are
    loaded here: no client, credentials or key is made, so nothing in them is shared between instances.
    """
    import importlib

    wanted = []
    if app.config.get("STORAGE_BACKEND") == "s3" or app.config.get("QUEUE_BACKEND") == "sqs":
        wanted.append("boto3")  # botocore's credential chain (the container provider under SnapStart) and clients
    if "videoforge.verifier" in app.extensions:
        wanted += ["joserfc.jwk", "joserfc.jwt"]  # the first bearer token's check
    for name in wanted:
        importlib.import_module(name)


def _drop_clients(app: Flask) -> None:
    for key in CLIENT_EXTENSIONS:
        app.extensions.pop(key, None)


def _forget_keys(app: Flask) -> None:
    """The next token fetches the JWKS again: a key revoked since the snapshot must stop verifying at once."""
    verifier = app.extensions.get("videoforge.verifier")
    forget = getattr(getattr(verifier, "source", None), "forget", None)
    if forget is not None:
        forget()


def _refresh_secrets(app: Flask) -> None:
    """Fetch every secret the config came from again; a new DATABASE_URL gets a new Database."""
    clear_cache()
    references: dict[str, str] = app.extensions.get(SECRET_REFERENCES) or {}
    if not references:
        return
    config = dict(app.config)
    config.update({key: PREFIX + reference for key, reference in references.items()})
    resolve_secrets(config)
    old_url = app.config.get("DATABASE_URL")
    for key in references:
        app.config[key] = config[key]
    if app.config.get("DATABASE_URL") != old_url and "videoforge.db" in app.extensions:
        from videoforge.db import Database

        app.extensions["videoforge.db"].engine.dispose(close=False)
        app.extensions["videoforge.db"] = Database(app.config["DATABASE_URL"])
