"""The migrations build exactly the models' schema, and upgrade a database that holds data, on SQLite and PostgreSQL."""

from __future__ import annotations

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import create_engine, inspect, text

from tests.migrating import alembic_config
from tests.migrating import empty_database as empty_database  # a fixture, for this file's tests
from videoforge.db import Base
from videoforge.models import declare_search_indexes  # importing models registers every table


@pytest.fixture
def engine(empty_database):
    engine = create_engine(empty_database)
    yield engine
    engine.dispose()


FTS5_SHADOW_SUFFIXES = ("_data", "_idx", "_content", "_docsize", "_config")
"""The tables an FTS5 virtual table keeps its index in (sqlite.org/fts5.html, "shadow tables")."""


def fts5_tables(conn) -> set[str]:
    """SQLite's FTS5 search tables (migration 0008: transcript search) and their shadow tables.

    A virtual table is no model's to declare, so the comparison leaves these out, found by what SQLite says each
    table is rather than by a list of names; every other table, column and index is still compared."""
    if conn.dialect.name != "sqlite":
        return set()
    virtual = conn.execute(text("SELECT name FROM sqlite_master WHERE type = 'table' "
                                "AND sql LIKE 'CREATE VIRTUAL TABLE %' AND lower(sql) LIKE '% using fts5(%'")).scalars()
    return {name + suffix for name in virtual for suffix in ("", *FTS5_SHADOW_SUFFIXES)}


# SQLite cannot reflect expression indexes, so alembic skips the PostgreSQL-only search indexes there (and says so);
# they are compared on PostgreSQL.
@pytest.mark.filterwarnings("ignore:autogenerate skipping metadata-specified expression-based index 'ix_[a-z_]+_search'")
def test_the_migrations_build_exactly_what_the_models_declare(engine):
    declare_search_indexes()  # declared on demand (models.py says why)
    command.upgrade(alembic_config(engine), "head")
    with engine.connect() as conn:
        search_tables = fts5_tables(conn)

        def include_name(name, type_, parent_names):
            return not (type_ == "table" and name in search_tables)

        context = MigrationContext.configure(conn, opts={"compare_type": True, "include_name": include_name})
        differences = compare_metadata(context, Base.metadata)
    assert differences == []
    if engine.dialect.name == "sqlite":
        assert {"videos_fts", "caption_cues_fts_data"} <= search_tables  # the filter has something to leave out


def test_widening_the_totp_column_keeps_existing_rows_and_steps_back(engine):
    cfg = alembic_config(engine)
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


def test_the_rejected_stage_becomes_the_rejected_flag_and_steps_back(engine):
    cfg = alembic_config(engine)
    command.upgrade(cfg, "0004")
    with engine.begin() as conn:
        conn.execute(text("INSERT INTO users (id, sub, groups, totp_enabled, created_at) "
                          "VALUES ('u1', 's1', '[]', false, CURRENT_TIMESTAMP)"))
        for video_id, stage in (("v1", "rejected"), ("v2", "retrying (attempt 2 of 3)")):
            conn.execute(text(
                "INSERT INTO videos (id, owner_id, title, description, visibility, status, progress, stage, filename,"
                " content_type, source_key, source_size, attempts, created_at, updated_at) VALUES (:id, 'u1', 't', '',"
                " 'private', 'failed', 0, :stage, 'a.mp4', 'video/mp4', 'k', 1, 1, CURRENT_TIMESTAMP,"
                " CURRENT_TIMESTAMP)"), {"id": video_id, "stage": stage})
        conn.execute(text("INSERT INTO media_assets (video_id, kind, rung, key, complete, created_at) VALUES "
                          "('v2', 'master', '', 'processed/v2/master.m3u8', true, CURRENT_TIMESTAMP), "
                          "('v2', 'variant', '360p', 'processed/v2/360p/index.m3u8', true, CURRENT_TIMESTAMP)"))
    command.upgrade(cfg, "head")
    with engine.connect() as conn:
        rows = conn.execute(text("SELECT id, rejected, stage FROM videos ORDER BY id")).all()
        assert [(i, bool(r), s) for i, r, s in rows] == [("v1", True, None), ("v2", False, "retrying (attempt 2 of 3)")]
        assert conn.execute(text("SELECT kind FROM media_assets")).scalars().all() == ["variant"]
    command.downgrade(cfg, "0004")
    with engine.connect() as conn:
        assert conn.execute(text("SELECT stage FROM videos WHERE id = 'v1'")).scalar() == "rejected"


def test_search_takes_in_rows_written_before_it_and_steps_back(engine):
    from sqlalchemy import select
    from sqlalchemy.orm import Session

    from videoforge.models import Video
    from videoforge.modules.gallery import search

    cfg = alembic_config(engine)
    command.upgrade(cfg, "0007")
    with engine.begin() as conn:
        conn.execute(text("INSERT INTO users (id, sub, groups, totp_enabled, created_at) "
                          "VALUES ('u1', 's1', '[]', false, CURRENT_TIMESTAMP)"))
        for video_id, title in (("v1", "Walrus colony"), ("v2", "Harbour")):
            conn.execute(text(
                "INSERT INTO videos (id, owner_id, title, description, visibility, status, progress, filename,"
                " content_type, source_key, source_size, attempts, rejected, access_epoch, auto_captions, created_at,"
                " updated_at) VALUES (:id, 'u1', :title, '', 'public', 'ready', 0, 'a.mp4', 'video/mp4', 'k', 1, 0,"
                " false, 0, false, CURRENT_TIMESTAMP, CURRENT_TIMESTAMP)"), {"id": video_id, "title": title})
        conn.execute(text("INSERT INTO captions (id, video_id, language, label, kind, generated, status, key,"
                          " cue_count, created_at, updated_at) VALUES ('c1', 'v2', 'en', 'English', 'subtitles',"
                          " false, 'ready', 'k.vtt', 1, CURRENT_TIMESTAMP, CURRENT_TIMESTAMP)"))
        conn.execute(text("INSERT INTO caption_cues (caption_id, video_id, start, \"end\", text)"
                          " VALUES ('c1', 'v2', 3.5, 5.0, 'a walrus swims by')"))
    command.upgrade(cfg, "head")
    with Session(engine) as session:
        query, order = search.ranked(session, select(Video.id), ["walrus"])
        assert session.scalars(query.order_by(*order)).all() == ["v1", "v2"]
        assert search.matches(session, session.scalars(select(Video).order_by(Video.id)).all(), ["walrus"]) == {
            "v1": search.Match(), "v2": search.Match(3.5, "a walrus swims by", "en")}
    command.downgrade(cfg, "0007")
    names = set(inspect(engine).get_table_names())
    indexes = {i["name"] for table in ("videos", "caption_cues") for i in inspect(engine).get_indexes(table)}
    assert not {"videos_fts", "caption_cues_fts"} & names and not {"ix_videos_search", "ix_caption_cues_search"} & indexes
    command.upgrade(cfg, "head")
