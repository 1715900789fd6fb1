"""Transcript search over the gallery's lists: titles, descriptions and the cues of ready caption tracks, ranked, on
PostgreSQL's full-text search or SQLite's FTS5 (the tables and triggers of migration 0008).

One meaning on both databases: the query's words are runs of letters and digits (everything else separates them,
so no character of it ever reaches an engine as syntax); a text matches when it holds every word, the last one also
as a prefix ("transc" finds "transcript", for search as you type). A video matches through its title and
description taken together, or through any one cue. Results come in three tiers, each ordered by the engine's own
relevance (bm25 on SQLite, ts_rank on PostgreSQL), then newest first:

1. the title alone holds every word;
2. title and description together do;
3. a cue does.

Tiers rather than one score: scores from the video index and the cue index are not on one scale (bm25 depends on
each index's own statistics, and ts_rank is another measure again), while "the owner named it so" outranking "it is
said at 12:04" holds on both databases and can be tested. Who may see what stays with the caller's query: search
only narrows and orders it.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import (
    Float,
    Select,
    Subquery,
    TableClause,
    case,
    cast,
    column,
    func,
    literal,
    literal_column,
    null,
    select,
    table,
    text,
)
from sqlalchemy.orm import Session
from sqlalchemy.sql.elements import ColumnElement

from videoforge.lifecycle import CaptionStatus
from videoforge.models import Caption, CaptionCue, Video, search_words, video_words

MAX_QUERY_LENGTH = 200
"""Longest `q` accepted (characters); longer is refused with 422, before any database is asked."""

_WORD = re.compile(r"[^\W_]+")  # letters and digits: \w without the underscore, which both engines split on

# SQLite's FTS5 tables (migration 0008); not models, as no model can declare a virtual table.
_videos_fts = table("videos_fts", column("video_id"), column("rank"))
_cues_fts = table("caption_cues_fts", column("rowid"), column("rank"))


@dataclass(frozen=True)
class Match:
    """Where a search result matched: its best cue, or only its title and description (all None)."""

    start: float | None = None
    text: str | None = None
    language: str | None = None


def words(q: str | None) -> list[str]:
    """The words of a query; none (blank, or only punctuation) means no search at all."""
    return _WORD.findall(unicodedata.normalize("NFC", q or ""))


def newest_first() -> list[ColumnElement[Any]]:
    return [Video.created_at.desc(), Video.id.desc()]


def ranked(session: Session, query: Select[Any], found: list[str]) -> tuple[Select[Any], list[ColumnElement[Any]]]:
    """`query` (a select of videos) narrowed to those matching `found`, and the order of the results: best first.
    Without words, `query` as it is, newest first."""
    if not found:
        return query, newest_first()
    hits = _hits(_dialect(session), found)
    tier = case((hits.c.in_title == 1, 1), (hits.c.doc_score.is_not(None), 2), else_=3)
    return (query.join(hits, hits.c.video_id == Video.id),
            [tier, func.coalesce(hits.c.doc_score, hits.c.cue_score), *newest_first()])


def matches(session: Session, videos: Sequence[Video], found: list[str]) -> dict[str, Match]:
    """Each video's best matching cue among its ready tracks (an empty Match where only title or description
    matched), asked once for the whole page. Nothing without words."""
    if not found or not videos:
        return {}
    cues = _cue_hits(_dialect(session), found,
                     CaptionCue.video_id, CaptionCue.start, CaptionCue.text, Caption.language) \
        .where(CaptionCue.video_id.in_([video.id for video in videos])).subquery("cues")
    place = func.row_number().over(partition_by=cues.c.video_id, order_by=(cues.c.score, cues.c.start))
    best = select(cues.c.video_id, cues.c.start, cues.c.text, cues.c.language, place.label("place")).subquery()
    found_cues = {row.video_id: Match(row.start, row.text, row.language)
                  for row in session.execute(select(best).where(best.c.place == 1))}
    return {video.id: found_cues.get(video.id, Match()) for video in videos}


# --- the SQL of each database -----------------------------------------------------------------------------------

def _dialect(session: Session) -> str:
    return session.get_bind().dialect.name


def _hits(dialect: str, found: list[str]) -> Subquery:
    """One row per matching video: `in_title` (1 when the title alone holds every word), `doc_score` (title and
    description) and `cue_score` (its best cue); scores are lower-is-better, None where that part did not match."""
    no_score = cast(null(), Float)
    cue_rows = _cue_hits(dialect, found, CaptionCue.video_id.label("video_id"), literal(0).label("in_title"),
                         no_score.label("doc_score"))
    if dialect == "postgresql":
        query = _tsquery(found)
        document = video_words()
        video_rows = [select(Video.id.label("video_id"),
                             case((search_words(Video.title).bool_op("@@")(query), 1), else_=0).label("in_title"),
                             (-func.ts_rank(document, query)).label("doc_score"), no_score.label("score"))
                      .where(document.bool_op("@@")(query))]
    else:
        every_word = _fts5_query(found)
        video_rows = [
            select(_videos_fts.c.video_id, literal(1).label("in_title"), no_score.label("doc_score"),
                   no_score.label("score")).where(_fts5_match(_videos_fts, f"{{title}} : ({every_word})")),
            select(_videos_fts.c.video_id, literal(0), _videos_fts.c.rank, no_score)
            .where(_fts5_match(_videos_fts, every_word)),
        ]
    rows = video_rows[0].union_all(*video_rows[1:], cue_rows).subquery("found")
    return select(rows.c.video_id, func.max(rows.c.in_title).label("in_title"),
                  func.min(rows.c.doc_score).label("doc_score"), func.min(rows.c.score).label("cue_score")) \
        .group_by(rows.c.video_id).subquery("hits")


def _cue_hits(dialect: str, found: list[str], *columns: Any) -> Select[Any]:
    """`columns` and a lower-is-better `score` for every cue of a ready track that holds every word."""
    ready = Caption.status == CaptionStatus.READY
    if dialect == "postgresql":
        query, words_of_cue = _tsquery(found), search_words(CaptionCue.text)
        return select(*columns, (-func.ts_rank(words_of_cue, query)).label("score")) \
            .join(Caption, Caption.id == CaptionCue.caption_id) \
            .where(words_of_cue.bool_op("@@")(query), ready)
    return select(*columns, _cues_fts.c.rank.label("score")) \
        .select_from(_cues_fts.join(CaptionCue, CaptionCue.id == _cues_fts.c.rowid)) \
        .join(Caption, Caption.id == CaptionCue.caption_id) \
        .where(_fts5_match(_cues_fts, _fts5_query(found)), ready)


def _fts5_query(found: list[str]) -> str:
    """Every word as an FTS5 string (so `NEAR`, `OR`, `-` or `*` typed by a user are words, never operators), the
    last also as a prefix. Quotes are doubled, although a word never holds one."""
    quoted = ['"' + word.replace('"', '""') + '"' for word in found]
    quoted[-1] += "*"
    return " ".join(quoted)


def _fts5_match(fts: TableClause, expression: str) -> ColumnElement[bool]:
    """`<fts table> MATCH :expression`, the expression always a bound parameter."""
    return literal_column(fts.name).bool_op("MATCH")(literal(expression))


def _tsquery(found: list[str]) -> ColumnElement[Any]:
    """PostgreSQL's query for every word, the last also as a prefix. Each word is a quoted lexeme (quotes doubled,
    backslashes escaped) in a bound parameter, so to_tsquery never parses a user's operators; websearch_to_tsquery
    would read `-`, `or` and quotes as operators, which SQLite would not, and cannot match prefixes."""
    from sqlalchemy.dialects.postgresql import to_tsquery  # PostgreSQL's alone: a SQLite process never loads it

    lexemes = ["'" + word.replace("\\", "\\\\").replace("'", "''") + "'" for word in found]
    lexemes[-1] += ":*"
    return to_tsquery(text("'simple'"), literal(" & ".join(lexemes)))
