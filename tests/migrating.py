"""What migration tests share: a database with no tables yet (SQLite and PostgreSQL) and Alembic pointed at an
engine. Import the fixture into a test module: `from tests.migrating import empty_database  # noqa: F401`."""

from __future__ import annotations

import pytest
from alembic.config import Config

from tests.conftest import throwaway_pg_database
from videoforge.migrate import MIGRATIONS


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def empty_database(request, tmp_path):
    """The URL of a database with no tables: a new SQLite file, or a throw-away PostgreSQL database."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path}/migrations.db"
    else:
        yield from throwaway_pg_database("vf_" + request.module.__name__.rsplit(".", 1)[-1][:24])


def alembic_config(engine) -> Config:
    """Alembic's configuration for our migrations, run on `engine` (as videoforge.migrate runs them)."""
    config = Config()
    config.set_main_option("script_location", MIGRATIONS)
    config.attributes["engine"] = engine
    return config
