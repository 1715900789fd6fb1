"""Operator commands: `videoforge worker`, `videoforge dlq list|redrive`, `videoforge video retry ID`."""

from __future__ import annotations

import json

import click
from flask import current_app
from flask.cli import with_appcontext


@click.command("worker")
@click.option("--burst", is_flag=True, help="Drain the queue, then exit.")
@click.option("--concurrency", "-c", type=click.IntRange(1, 64), default=None,
              help="Jobs at once (default: WORKER_CONCURRENCY).")
@with_appcontext
def worker_command(burst: bool, concurrency: int | None) -> None:
    """Run a transcode worker: long-poll the queue, process, repeat."""
    from videoforge.modules.processor.worker import run_worker

    # The app itself, not the proxy: the worker's threads run outside this context. (Flask types the
    # LocalProxy as the Flask it stands for, so mypy does not know its _get_current_object.)
    app = current_app._get_current_object()  # type: ignore[attr-defined]
    outcomes = run_worker(app, burst=burst, concurrency=concurrency)
    if burst:
        click.echo(f"processed {len(outcomes)} message(s): " + ", ".join(
            f"{name} {outcomes.count(name)}" for name in sorted(set(outcomes))) if outcomes else "queue empty")


@click.group("dlq")
def dlq_group() -> None:
    """Dead-lettered jobs: list and redrive."""


@dlq_group.command("list")
@click.option("--limit", type=click.IntRange(1, 10_000), default=100)
@click.option("--json", "as_json", is_flag=True, help="One JSON object per line.")
@with_appcontext
def dlq_list(limit: int, as_json: bool) -> None:
    """Show dead letters: message id, video, receives and the last error."""
    from videoforge.modules.processor.service import dead_letters
    from videoforge.ports.queue import get_queue

    letters = dead_letters(current_app.extensions["videoforge.db"], get_queue(current_app), limit)
    if not letters:
        click.echo("no dead letters")
    for letter in letters:
        click.echo(json.dumps(letter) if as_json else
                   f"{letter['id']}\tvideo {letter['video_id']}\treceived {letter['receive_count']}x\t"
                   f"{letter['error'] or ''}")


@dlq_group.command("redrive")
@click.argument("ids", nargs=-1)
@with_appcontext
def dlq_redrive(ids: tuple[str, ...]) -> None:
    """Send dead letters (all, or the given message IDS) back to the queue."""
    from videoforge.modules.processor.service import redrive_dead_letters
    from videoforge.ports.queue import get_queue

    moved = redrive_dead_letters(current_app.extensions["videoforge.db"], get_queue(current_app), list(ids) or None)
    click.echo(f"redrove {moved} message(s)")


@click.group("video")
def video_group() -> None:
    """Videos, as an operator sees them."""


@video_group.command("retry")
@click.argument("video_id")
@click.option("--force", is_flag=True, help="Transcode again even if the video is not failed.")
@with_appcontext
def video_retry(video_id: str, force: bool) -> None:
    """Queue a new transcode for the video VIDEO_ID."""
    from videoforge.errors import Refusal
    from videoforge.modules.processor.service import retry_video
    from videoforge.ports.queue import get_queue

    try:
        video = retry_video(current_app.extensions["videoforge.db"], get_queue(current_app), video_id, force=force)
    except Refusal as exc:
        raise click.ClickException(exc.message) from None
    click.echo(f"video {video.id} queued")


def commands() -> list:
    return [worker_command, dlq_group, video_group]
