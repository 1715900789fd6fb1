"""Transcript search: GIN indexes over PostgreSQL's text-search vectors of videos and caption cues; on SQLite, FTS5
tables kept in step by triggers.

SQLite: `caption_cues_fts` is an external-content index over caption_cues, whose INTEGER PRIMARY KEY is its rowid
(stable, even when a migration copies the table). `videos_fts` keeps its own copy of title and description keyed by
the video's id: the videos table has no integer key, and the implicit rowid an external-content index would point
at may be renumbered by VACUUM or by a batch migration that copies the table. Both tables tokenise alike (unicode61,
diacritics kept, so a word matches what PostgreSQL's 'simple' configuration matches).

A later migration that recreates `videos` or `caption_cues` on SQLite (batch mode "move and copy") drops their
triggers with the old table: it must create them again (the statements below).
"""
from alembic import op
import sqlalchemy as sa


revision = '0008'
down_revision = '0007'
branch_labels = None
depends_on = None

TOKENIZE = "tokenize = 'unicode61 remove_diacritics 0'"

SQLITE_UP = [
    f"CREATE VIRTUAL TABLE caption_cues_fts USING fts5(text, content='caption_cues', content_rowid='id', {TOKENIZE})",
    "INSERT INTO caption_cues_fts(caption_cues_fts) VALUES ('rebuild')",
    # An external-content index is told the old text to remove: exactly what the row held.
    "CREATE TRIGGER caption_cues_fts_insert AFTER INSERT ON caption_cues BEGIN "
    "INSERT INTO caption_cues_fts(rowid, text) VALUES (new.id, new.text); END",
    "CREATE TRIGGER caption_cues_fts_delete AFTER DELETE ON caption_cues BEGIN "
    "INSERT INTO caption_cues_fts(caption_cues_fts, rowid, text) VALUES ('delete', old.id, old.text); END",
    "CREATE TRIGGER caption_cues_fts_update AFTER UPDATE OF text ON caption_cues BEGIN "
    "INSERT INTO caption_cues_fts(caption_cues_fts, rowid, text) VALUES ('delete', old.id, old.text); "
    "INSERT INTO caption_cues_fts(rowid, text) VALUES (new.id, new.text); END",

    f"CREATE VIRTUAL TABLE videos_fts USING fts5(video_id UNINDEXED, title, description, {TOKENIZE})",
    # `rank` is bm25 with a title word worth ten description words (the id column is not searched).
    "INSERT INTO videos_fts(videos_fts, rank) VALUES ('rank', 'bm25(0.0, 10.0, 1.0)')",
    "INSERT INTO videos_fts(video_id, title, description) SELECT id, title, description FROM videos",
    "CREATE TRIGGER videos_fts_insert AFTER INSERT ON videos BEGIN "
    "INSERT INTO videos_fts(video_id, title, description) VALUES (new.id, new.title, new.description); END",
    # Only edits of the searched columns: progress reports update a video many times a minute.
    "CREATE TRIGGER videos_fts_update AFTER UPDATE OF title, description ON videos BEGIN "
    "UPDATE videos_fts SET title = new.title, description = new.description WHERE video_id = old.id; END",
    "CREATE TRIGGER videos_fts_delete AFTER DELETE ON videos BEGIN "
    "DELETE FROM videos_fts WHERE video_id = old.id; END",
]

SQLITE_DOWN = [
    "DROP TRIGGER videos_fts_delete",
    "DROP TRIGGER videos_fts_update",
    "DROP TRIGGER videos_fts_insert",
    "DROP TABLE videos_fts",
    "DROP TRIGGER caption_cues_fts_update",
    "DROP TRIGGER caption_cues_fts_delete",
    "DROP TRIGGER caption_cues_fts_insert",
    "DROP TABLE caption_cues_fts",
]

# The expressions of videoforge.models.video_words and search_words, which the queries spell the same way.
VIDEO_WORDS = ("(setweight(to_tsvector('simple', title), 'A') || "
               "setweight(to_tsvector('simple', description), 'B'))")
CUE_WORDS = "to_tsvector('simple', text)"


def upgrade() -> None:
    dialect = op.get_context().dialect.name
    if dialect == "postgresql":
        op.create_index('ix_videos_search', 'videos', [sa.text(VIDEO_WORDS)], postgresql_using='gin')
        op.create_index('ix_caption_cues_search', 'caption_cues', [sa.text(CUE_WORDS)], postgresql_using='gin')
    elif dialect == "sqlite":
        for statement in SQLITE_UP:
            op.execute(statement)


def downgrade() -> None:
    dialect = op.get_context().dialect.name
    if dialect == "postgresql":
        op.drop_index('ix_caption_cues_search', table_name='caption_cues')
        op.drop_index('ix_videos_search', table_name='videos')
    elif dialect == "sqlite":
        for statement in SQLITE_DOWN:
            op.execute(statement)
