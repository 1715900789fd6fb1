"""The migrations build exactly the models' schema, and upgrade a database that holds data, on SQLite and PostgreSQL."""

from __future__ import annotations

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from sqlalchemy import create_engine, inspect, text

from tests.conftest import throwaway_pg_database
from videoforge import models  # noqa: F401 - registers every table
from videoforge.db import Base
from videoforge.migrate import MIGRATIONS


@pytest.fixture(params=["sqlite", "postgres"])
def empty_database(request, tmp_path):
    """The URL of a database with no tables: a new SQLite file, or a throw-away PostgreSQL database."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path}/migrations.db"
    else:
        yield from throwaway_pg_database("vf_migrations")


@pytest.fixture
def engine(empty_database):
    engine = create_engine(empty_database)
    yield engine
    engine.dispose()


def _alembic(engine) -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", MIGRATIONS)
    cfg.attributes["engine"] = engine
    return cfg


def test_the_migrations_build_exactly_what_the_models_declare(engine):
    command.upgrade(_alembic(engine), "head")
    with engine.connect() as conn:
        differences = compare_metadata(MigrationContext.configure(conn, opts={"compare_type": True}), Base.metadata)
    assert differences == []


def test_widening_the_totp_column_keeps_existing_rows_and_steps_back(engine):
    cfg = _alembic(engine)
    command.upgrade(cfg, "0001")
    with engine.begin() as conn:
        conn.execute(text("INSERT INTO users (id, sub, email, groups, totp_secret, totp_enabled, created_at) "
                          "VALUES ('u1', 's1', 'a@example.test', '[]', 'JBSWY3DPEHPK3PXP', true, CURRENT_TIMESTAMP)"))
    command.upgrade(cfg, "head")
    column = next(c for c in inspect(engine).get_columns("users") if c["name"] == "totp_secret")
    assert column["type"].length == 128
    with engine.connect() as conn:
        assert conn.execute(text("SELECT totp_secret FROM users WHERE id = 'u1'")).scalar() == "JBSWY3DPEHPK3PXP"
    command.downgrade(cfg, "0001")
    column = next(c for c in inspect(engine).get_columns("users") if c["name"] == "totp_secret")
    assert column["type"].length == 64
