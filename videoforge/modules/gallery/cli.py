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
    The workers run the same pass every MODULE_HOUSEKEEPING_SECONDS. Exits 1 when a follow-up erasure failed (it is
    kept for the next run)."""
    from videoforge.modules.gallery.housekeeping import clean_up

    report = clean_up(current_app, older_than)
    click.echo(str(report))
    if report.failed:
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
