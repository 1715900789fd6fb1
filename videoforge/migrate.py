"""Alembic migrations run against the app's own engine (`videoforge db upgrade`, and at all-in-one start)."""

from __future__ import annotations

import os

from alembic import command
from alembic.config import Config
from flask import Flask

MIGRATIONS = os.path.join(os.path.dirname(__file__), "migrations")


def alembic_config(app: Flask) -> Config:
    """An Alembic config pointing at our scripts and the app's engine."""
    cfg = Config()
    cfg.set_main_option("script_location", MIGRATIONS)
    cfg.attributes["engine"] = app.extensions["videoforge.db"].engine
    return cfg


def upgrade(app: Flask, revision: str = "head") -> None:
    """Apply pending migrations."""
    command.upgrade(alembic_config(app), revision)


def downgrade(app: Flask, revision: str) -> None:
    """Step back to a revision."""
    command.downgrade(alembic_config(app), revision)
