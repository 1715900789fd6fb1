"""Migration 0014 (a rolled secret's predecessor) on SQLite and PostgreSQL, on the app's own engine (SQLite with its
foreign keys on): it adds its two columns to a table that holds endpoints, steps back without them, and alters the
table in place both ways, so the endpoints' delivery logs (which a copied and dropped table would take with it, ON
DELETE CASCADE) and the search triggers (0008) survive."""

from __future__ import annotations

import pytest
from alembic import command
from sqlalchemy import inspect, text

from tests.migrating import alembic_config
from tests.migrating import empty_database as empty_database  # a fixture, for this file's tests
from videoforge.db import make_engine

NEW_COLUMNS = {"previous_secret", "previous_secret_expires_at"}


@pytest.fixture
def engine(empty_database):
    engine = make_engine(empty_database)  # what `videoforge db upgrade` migrates with
    yield engine
    engine.dispose()


def columns(engine) -> set[str]:
    return {column["name"] for column in inspect(engine).get_columns("webhook_endpoints")}


def deliveries(engine) -> list[str]:
    with engine.connect() as conn:
        return list(conn.execute(text("SELECT id FROM webhook_deliveries")).scalars())


def triggers(engine) -> set[str]:
    if engine.dialect.name != "sqlite":
        return set()
    with engine.connect() as conn:
        return set(conn.execute(text("SELECT name FROM sqlite_master WHERE type = 'trigger'")).scalars())


def test_the_roll_columns_come_and_go_and_keep_the_endpoints(engine):
    config = alembic_config(engine)
    command.upgrade(config, "0013")
    with engine.begin() as conn:
        conn.execute(
            text(
                "INSERT INTO users (id, sub, groups, totp_enabled, created_at) "
                "VALUES ('u1', 's1', '[]', false, CURRENT_TIMESTAMP)"
            )
        )
        conn.execute(
            text(
                "INSERT INTO webhook_endpoints (id, owner_id, url, description, events, secret, enabled, "
                "created_at, updated_at) VALUES ('e1', 'u1', 'https://hooks.example.com/', '', "
                "'[\"video.ready\"]', 'v1:sealed', true, CURRENT_TIMESTAMP, CURRENT_TIMESTAMP)"
            )
        )
        conn.execute(
            text(
                "INSERT INTO webhook_events (id, owner_id, type, payload, created_at) "
                "VALUES ('ev1', 'u1', 'webhook.test', '{}', CURRENT_TIMESTAMP)"
            )
        )
        conn.execute(
            text(
                "INSERT INTO webhook_deliveries (id, event_id, endpoint_id, status, attempts, created_at) "
                "VALUES ('d1', 'ev1', 'e1', 'delivered', 1, CURRENT_TIMESTAMP)"
            )
        )
    search_triggers = triggers(engine)
    assert not NEW_COLUMNS & columns(engine)

    command.upgrade(config, "0014")
    assert columns(engine) >= NEW_COLUMNS
    with engine.connect() as conn:
        row = conn.execute(
            text("SELECT secret, previous_secret, previous_secret_expires_at FROM webhook_endpoints WHERE id = 'e1'")
        ).one()
    assert tuple(row) == ("v1:sealed", None, None)
    assert deliveries(engine) == ["d1"] and triggers(engine) == search_triggers

    command.downgrade(config, "0013")
    assert not NEW_COLUMNS & columns(engine)
    with engine.connect() as conn:
        assert conn.execute(text("SELECT secret FROM webhook_endpoints WHERE id = 'e1'")).scalar() == "v1:sealed"
    assert deliveries(engine) == ["d1"] and triggers(engine) == search_triggers

    command.upgrade(config, "head")
    assert columns(engine) >= NEW_COLUMNS
    if engine.dialect.name == "sqlite":
        assert {t for t in search_triggers if t.startswith("videos_fts")}  # there were triggers to lose
