"""Hardening fixtures: a PostgreSQL cluster of our own, generated clips, and apps served by real processes."""

from __future__ import annotations

import uuid
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text

from tests.hardening.faults import PostgresCluster, postgres_bin
from tests.media import make_clip
from tests.need import need


@pytest.fixture(scope="session")
def clip(tmp_path_factory) -> Path:
    """A real 2 s 320x180 H.264/AAC clip (~100 KB)."""
    return make_clip(tmp_path_factory.mktemp("hardening-clips") / "clip.mp4", 320, 180, seconds=2)


@pytest.fixture(scope="module")
def pg_cluster():
    """A PostgreSQL cluster of this module's own, on a free loopback port, that tests may stop and start."""
    need(postgres_bin() is not None, "PostgreSQL server binaries (/usr/lib/postgresql/*/bin) are not installed")
    cluster = PostgresCluster().init()
    try:
        cluster.start()
        yield cluster
    finally:
        cluster.destroy()


@pytest.fixture
def cluster_db(pg_cluster):
    """A fresh database in the module's own cluster for one test; its URL."""
    name = f"vf_hard_{uuid.uuid4().hex[:8]}"
    admin = create_engine(pg_cluster.url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    admin.dispose()
    yield pg_cluster.url.rsplit("/", 1)[0] + "/" + name
