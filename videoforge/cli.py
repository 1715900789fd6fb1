"""The `videoforge` command: Flask's CLI plus database, user and module commands."""

from __future__ import annotations

import logging
import sys

import click
from flask import current_app
from flask.cli import FlaskGroup, with_appcontext

from videoforge.app import create_app
from videoforge.config import ConfigError

log = logging.getLogger("videoforge.cli")


def _app_factory():
    try:
        return create_app(default_log_format=_default_log_format())
    except ConfigError as exc:
        click.echo(f"configuration error: {exc}", err=True)
        sys.exit(2)


def _default_log_format() -> str:
    """Text for the development server in a terminal, where a person reads it; JSON for every other process
    (gunicorn, Lambda, workers, commands), whose lines a log pipeline reads. LOG_FORMAT, when set, wins."""
    ctx = click.get_current_context(silent=True)
    serving = ctx is not None and ctx.info_name == "run"
    return "text" if serving and sys.stderr.isatty() else "json"


@click.group(cls=FlaskGroup, create_app=_app_factory, add_version_option=False)
def cli() -> None:
    """VideoForge: run the all-in-one app, a worker, migrations and housekeeping."""


@cli.group("db")
def db_group() -> None:
    """Database migrations."""


@db_group.command("upgrade")
@click.argument("revision", default="head")
@with_appcontext
def db_upgrade(revision: str) -> None:
    """Apply migrations up to REVISION (default: head)."""
    from videoforge.migrate import upgrade

    log.info("applying migrations up to %s", revision)
    upgrade(current_app, revision)
    click.echo(f"database at {revision}")


@db_group.command("downgrade")
@click.argument("revision")
@with_appcontext
def db_downgrade(revision: str) -> None:
    """Step the schema back to REVISION."""
    from videoforge.migrate import downgrade

    downgrade(current_app, revision)
    click.echo(f"database at {revision}")


def main() -> None:
    """Console-script entry point."""
    cli(prog_name="videoforge")
