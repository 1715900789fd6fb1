"""Gallery housekeeping commands: `videoforge uploads cleanup` and `videoforge outbox relay`."""

from __future__ import annotations

import threading

import click
from flask import current_app
from flask.cli import with_appcontext

from videoforge import outbox


@click.group("uploads")
def uploads() -> None:
    """Uploads that never finished."""


@uploads.command("cleanup")
@click.option("--older-than", type=int, default=None,
              help="Seconds an upload may wait in awaiting_upload (default: UPLOAD_TTL).")
@with_appcontext
def cleanup(older_than: int | None) -> None:
    """Remove uploads left in awaiting_upload past the TTL, and replacing files never confirmed (objects deleted,
    multipart aborted); erase again what upload URLs sent after their upload was erased, once they have expired.
    Exits 1 when a follow-up erasure failed (it is kept for the next run)."""
    from videoforge.erasure import erase_due, url_lifetime
    from videoforge.modules.gallery.originals import cleanup_stale_replacements
    from videoforge.modules.gallery.service import cleanup_stale_uploads
    from videoforge.ports.storage import get_storage

    db, storage, lifetime = current_app.extensions["videoforge.db"], get_storage(current_app), url_lifetime()
    ttl = older_than if older_than is not None else int(current_app.config["UPLOAD_TTL"])
    removed = cleanup_stale_uploads(db, storage, ttl, url_lifetime=lifetime)
    replacements = cleanup_stale_replacements(db, storage, ttl, url_lifetime=lifetime)
    pruned = outbox.prune_sent(db, int(current_app.config["OUTBOX_RETENTION"]))
    erased, failed = erase_due(db, storage)
    click.echo(f"removed {removed} stale uploads and {replacements} stale replacing files; pruned {pruned} relayed "
               f"outbox rows; erased {erased} upload folders again after their URLs expired"
               + (f" ({failed} failed, kept for the next run)" if failed else ""))
    if failed:
        raise SystemExit(1)


@click.group("outbox")
def outbox_group() -> None:
    """Jobs written with their change, waiting to reach the queue."""


@outbox_group.command("relay")
@click.option("--loop", is_flag=True, help="Keep relaying every --interval seconds until interrupted.")
@click.option("--interval", type=float, default=5.0, show_default=True)
@with_appcontext
def relay(loop: bool, interval: float) -> None:
    """Send outbox rows the queue has not received yet (needed only when the queue is SQS)."""
    from videoforge.ports.queue import get_queue

    db = current_app.extensions["videoforge.db"]
    queue = get_queue(current_app)
    if loop:
        stop = threading.Event()
        try:
            outbox.relay_forever(db, queue, stop, interval)
        except KeyboardInterrupt:
            stop.set()
        return
    result = outbox.relay_pending(db, queue)
    click.echo(f"sent {result.sent}, failed {result.failed}, still pending {outbox.pending_count(db)}")
    if result.failed:
        raise SystemExit(1)
