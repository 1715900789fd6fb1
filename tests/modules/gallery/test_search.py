"""Transcript search (`q` on the public list and My videos): what it finds, for whom, in which order, where in the
video, and that no query a user can type breaks it; on SQLite (FTS5) and PostgreSQL (full-text search)."""

from __future__ import annotations

import json
import random
from datetime import timedelta

import pytest
from sqlalchemy import delete, select, text, update

from videoforge import captions
from videoforge.lifecycle import CaptionStatus
from videoforge.models import Caption, CaptionCue, User, Video, search_words, utcnow
from videoforge.webvtt import Cue

HOSTILE = ['"', '""', "'", "''", '"unclosed', "NEAR(lava volcano)", "lava OR volcano", "lava AND", "NOT lava", "-lava",
           "lava*", "*", "**", "^lava", "title:lava", "{title}: lava", "title : lava", "lava:*", "'lava':*", "(", ")",
           "\\", "\\'", "%", "_", "lava & !volcano", "lava | volcano", "<->", "'; DROP TABLE videos; --", "!!!",
           "...", "?", "日本語", "Ünïcödé", "🎉", "\u0301", "a\u200bb", "\ufeff", "Z̷̢a̸l̵g̶o̴", "‿", "x" * 200]


def db(app):
    return app.extensions["videoforge.db"]


def user_id(app, client, headers) -> str:
    """The id of the user behind `headers` (made by their first request)."""
    assert client.get("/api/gallery/videos", headers=headers).status_code == 200
    with db(app).session() as session:
        return session.scalars(select(User.id).order_by(User.created_at.desc(), User.id)).first()


def add_video(app, owner_id: str, title: str, description: str = "", visibility: str = "public",
              status: str = "ready", age_minutes: int = 0) -> str:
    with db(app).session() as session:
        video = Video(owner_id=owner_id, title=title, description=description, visibility=visibility,
                      status=status, filename="clip.mp4", source_size=1000,
                      created_at=utcnow() - timedelta(minutes=age_minutes))
        session.add(video)
        session.flush()
        return video.id


def add_track(app, video_id: str, language: str, cues: list[tuple[float, str]],
              status: str = CaptionStatus.READY, generated: bool = False) -> str:
    """A caption track with its cues indexed, as uploads and transcription leave it (captions.index_cues)."""
    with db(app).session() as session:
        caption = Caption(video_id=video_id, language=language, label=language, status=status, generated=generated)
        session.add(caption)
        session.flush()
        captions.index_cues(session, caption, [Cue(start, start + 2.0, words) for start, words in cues])
        return caption.id


def replace_cues(app, caption_id: str, cues: list[tuple[float, str]]) -> None:
    with db(app).session() as session:
        captions.index_cues(session, session.get(Caption, caption_id),
                            [Cue(start, start + 2.0, words) for start, words in cues])


def search(client, q: str, headers=None, path: str = "/api/gallery/public", **params):
    response = client.get(path, query_string={"q": q, **params}, headers=headers or {})
    assert response.status_code == 200, response.get_data(as_text=True)
    return response


def titles(response) -> list[str]:
    return [video["title"] for video in response.json]


def assert_fts_index_sound(app) -> None:
    """SQLite: each FTS5 index agrees with its rows (FTS5's own integrity check, which raises when not)."""
    if db(app).url.startswith("sqlite"):
        with db(app).engine.begin() as conn:
            conn.execute(text("INSERT INTO caption_cues_fts(caption_cues_fts) VALUES ('integrity-check')"))
            conn.execute(text("INSERT INTO videos_fts(videos_fts) VALUES ('integrity-check')"))
            indexed = conn.execute(text("SELECT video_id FROM videos_fts ORDER BY video_id")).scalars().all()
            assert indexed == conn.execute(text("SELECT id FROM videos ORDER BY id")).scalars().all()


@pytest.fixture
def app(make_app):
    """The all-in-one app, its rate limit out of the way of the many searches a test sends."""
    return make_app(RATE_LIMIT_PER_MINUTE=100_000, RATE_LIMIT_BURST=100_000)


@pytest.fixture
def alice(app, client, auth_headers):
    headers = auth_headers()
    return headers, user_id(app, client, headers)


def test_titles_descriptions_and_cue_text_are_found_with_where_they_matched(app, client, alice):
    _, owner = alice
    titled = add_video(app, owner, "Volcano diary")
    described = add_video(app, owner, "Holiday", description="We climbed an active volcano at dawn.")
    spoken = add_video(app, owner, "Lecture 3")
    add_track(app, spoken, "en", [(1.0, "Good morning."), (12.5, "Today: how a volcano forms."), (30.0, "Bye.")])
    add_track(app, spoken, "fr", [(12.5, "Aujourd'hui : comment naît un volcan.")])
    add_video(app, owner, "Cooking", description="Pasta.")

    found = search(client, "volcano")
    assert sorted(v["id"] for v in found.json) == sorted([titled, described, spoken])
    by_id = {v["id"]: v["match"] for v in found.json}
    assert by_id[titled] == by_id[described] == {"start": None, "text": None, "language": None}
    assert by_id[spoken] == {"start": 12.5, "text": "Today: how a volcano forms.", "language": "en"}
    prefixed = search(client, "volcan")  # the last word is a prefix as well
    assert len(prefixed.json) == 3 and prefixed.json[-1]["match"]["start"] == 12.5
    french = search(client, "naît volcan")
    assert [(v["id"], v["match"]["language"]) for v in french.json] == [(spoken, "fr")]
    assert search(client, "pasta").json[0]["title"] == "Cooking"
    assert search(client, "nothing-like-this").json == []


def test_every_word_must_be_in_one_cue_or_in_title_and_description(app, client, alice):
    _, owner = alice
    spoken = add_video(app, owner, "Talk")
    add_track(app, spoken, "en", [(3.0, "red apples"), (9.0, "green pears")])
    both = add_video(app, owner, "Red", description="green")
    assert [v["id"] for v in search(client, "red green").json] == [both]  # words of two cues do not add up
    assert [v["id"] for v in search(client, "green pear").json] == [spoken]


def test_ranked_title_then_description_then_cue_text_and_paginated(app, client, alice):
    _, owner = alice
    # Oldest first here, so newest-first order would be the reverse of the ranking.
    in_title = add_video(app, owner, "Glacier walk", age_minutes=30)
    in_description = add_video(app, owner, "Alps", description="A day on the glacier.", age_minutes=20)
    in_cue = add_video(app, owner, "Vlog 12", age_minutes=10)
    add_track(app, in_cue, "en", [(61.0, "and then the glacier cracked")])
    # Inside a tier the engine's relevance decides: a title that is mostly the word outranks a long one.
    in_long_title = add_video(app, owner, "Glacier and mountains and rivers and lakes and forests", age_minutes=40)

    ranked = search(client, "glacier")
    assert [v["id"] for v in ranked.json] == [in_title, in_long_title, in_description, in_cue]
    assert json.loads(ranked.headers["X-Pagination"])["total"] == 4
    first = search(client, "glacier", page=1, page_size=3)
    second = search(client, "glacier", page=2, page_size=3)
    assert [v["id"] for v in first.json + second.json] == [in_title, in_long_title, in_description, in_cue]
    assert json.loads(second.headers["X-Pagination"])["total"] == 4


def test_without_q_the_lists_are_newest_first_without_match(app, client, alice):
    headers, owner = alice
    older = add_video(app, owner, "Older glacier", age_minutes=5)
    newer = add_video(app, owner, "Newer", age_minutes=1)
    for q in (None, "", "   ", "!!!", "--"):  # nothing searchable: no search
        params = {} if q is None else {"q": q}
        for path in ("/api/gallery/public", "/api/gallery/videos"):
            listing = client.get(path, query_string=params, headers=headers)
            assert [v["id"] for v in listing.json] == [newer, older]
            assert all("match" not in v for v in listing.json)


def test_hidden_videos_are_never_found_by_those_who_may_not_list_them(app, client, alice, auth_headers):
    alice_headers, alice_id = alice
    bob_headers = auth_headers()
    bob_id = user_id(app, client, bob_headers)
    private = add_video(app, alice_id, "Mine", visibility="private")
    unlisted = add_video(app, alice_id, "Link only", visibility="unlisted")
    unready = add_video(app, alice_id, "Soon", visibility="public", status="processing")
    for video_id in (private, unlisted, unready):
        add_track(app, video_id, "en", [(5.0, "the secret password is swordfish")])
    add_video(app, alice_id, "Private swordfish title", visibility="private")
    bobs = add_video(app, bob_id, "Bob's", visibility="private")
    add_track(app, bobs, "en", [(7.0, "swordfish again")])

    assert search(client, "swordfish").json == []
    assert search(client, "swordfish", headers=bob_headers).json == []
    assert json.loads(search(client, "swordfish").headers["X-Pagination"])["total"] == 0
    mine = search(client, "swordfish", headers=alice_headers, path="/api/gallery/videos")
    assert sorted(titles(mine)) == sorted(["Mine", "Link only", "Soon", "Private swordfish title"])
    theirs = search(client, "swordfish", headers=bob_headers, path="/api/gallery/videos")
    assert [(v["id"], v["match"]["start"]) for v in theirs.json] == [(bobs, 7.0)]


def test_only_ready_tracks_are_searched(app, client, alice):
    _, owner = alice
    video = add_video(app, owner, "Interview")
    add_track(app, video, "en", [(2.0, "quartz crystals")], status=CaptionStatus.PROCESSING, generated=True)
    assert search(client, "quartz").json == []
    with db(app).session() as session:
        session.execute(update(Caption).where(Caption.video_id == video).values(status=CaptionStatus.READY))
    assert search(client, "quartz").json[0]["match"]["start"] == 2.0


def test_a_replaced_or_deleted_track_stops_matching_and_the_index_follows(app, client, alice):
    _, owner = alice
    video = add_video(app, owner, "Documentary")
    track = add_track(app, video, "en", [(4.0, "penguins huddle"), (8.0, "in the cold")])
    assert search(client, "penguins").json[0]["match"]["start"] == 4.0

    replace_cues(app, track, [(6.0, "albatross glides")])  # a new version of the track
    assert search(client, "penguins").json == []
    assert search(client, "albatross").json[0]["match"] == {"start": 6.0, "text": "albatross glides",
                                                             "language": "en"}
    assert_fts_index_sound(app)

    with db(app).session() as session:  # deleted as the captions service deletes a track
        caption = session.get(Caption, track)
        captions.index_cues(session, caption, [])
        session.delete(caption)
    assert search(client, "albatross").json == []

    other = add_track(app, video, "de", [(3.0, "Pinguine watscheln")])
    assert search(client, "pinguine").json[0]["match"]["language"] == "de"
    with db(app).session() as session:  # removed by the database alone: its cues go by ON DELETE CASCADE
        session.execute(delete(Caption).where(Caption.id == other))
    assert search(client, "pinguine").json == []
    assert_fts_index_sound(app)


def test_edited_and_deleted_videos_leave_the_results(app, client, alice):
    headers, owner = alice
    video = add_video(app, owner, "Sunrise timelapse", description="over the harbour")
    add_track(app, video, "en", [(1.5, "seagulls everywhere")])
    edited = client.patch(f"/api/gallery/videos/{video}", json={"title": "Sunset timelapse"}, headers=headers)
    assert edited.status_code == 200
    assert search(client, "sunrise").json == []
    assert [v["id"] for v in search(client, "sunset").json] == [video]
    assert_fts_index_sound(app)

    assert client.delete(f"/api/gallery/videos/{video}", headers=headers).status_code == 204
    for q in ("sunset", "harbour", "seagulls"):
        assert search(client, q).json == []
        assert search(client, q, headers=headers, path="/api/gallery/videos").json == []
    assert_fts_index_sound(app)


def test_words_match_whatever_their_case_and_script(app, client, alice):
    _, owner = alice
    cafe = add_video(app, owner, "Café crème in Zürich")
    tokyo = add_video(app, owner, "Trip")
    add_track(app, tokyo, "ja", [(42.0, "東京 に 行きました")])
    for q in ("café", "CAFÉ", "zürich", "Café, crème!"):
        assert [v["id"] for v in search(client, q).json] == [cafe], q
    assert [v["match"]["start"] for v in search(client, "東京").json] == [42.0]


@pytest.mark.parametrize("path", ["/api/gallery/public", "/api/gallery/videos"])
def test_no_query_a_user_can_type_breaks_search(app, client, alice, path):
    headers, owner = alice
    video = add_video(app, owner, "NEAR OR NOT: lava-volcano AND title")
    add_track(app, video, "en", [(9.0, "lava * NEAR ( volcano ) \"quoted\" 'single' \\ back")])
    for q in HOSTILE:
        search(client, q, headers=headers, path=path)
    # Operators are words like any other.
    for q in ("NEAR", "OR", "NOT", "AND", "near(lava volcano)", "-lava", "lava*", "title:lava", '"quoted"',
              "'single'"):
        assert [v["id"] for v in search(client, q, headers=headers, path=path).json] == [video], q
    rng = random.Random(16)
    alphabet = "\"'*^:-+(){}[]<>&|!~\\%_;,. \t\nNEARORANDNOTlava日本🎉\u0301\u200b\x7f"
    for _ in range(150):
        search(client, "".join(rng.choice(alphabet) for _ in range(rng.randint(1, 60))), headers=headers, path=path)
    for _ in range(50):
        search(client, "".join(chr(rng.randint(1, 0x2FFFF)) for _ in range(rng.randint(1, 30))).replace("\ud800", "")
               .encode("utf-8", "ignore").decode("utf-8"), headers=headers, path=path)


@pytest.mark.parametrize("path", ["/api/gallery/public", "/api/gallery/videos"])
def test_a_query_longer_than_200_characters_is_refused(app, client, alice, path):
    headers, _ = alice
    for q in ("x" * 201, "lava " * 2000):
        refused = client.get(path, query_string={"q": q}, headers=headers)
        assert refused.status_code == 422
        assert "q" in refused.json["errors"]["query"]
    assert client.get(path, query_string={"q": "x" * 200}, headers=headers).status_code == 200


def test_openapi_documents_q_and_match(client):
    spec = client.get("/api/openapi.json").get_json()
    for path in ("/api/gallery/public", "/api/gallery/videos"):
        parameters = {p["name"]: p for p in spec["paths"][path]["get"]["parameters"]}
        assert parameters["q"]["in"] == "query" and parameters["q"]["schema"]["maxLength"] == 200
    schemas = spec["components"]["schemas"]
    assert schemas["Video"]["properties"]["match"]["allOf"] == [{"$ref": "#/components/schemas/Match"}]
    assert set(schemas["Match"]["properties"]) == {"start", "text", "language"}


def test_postgresql_searches_through_the_gin_indexes(app):
    """The queries spell the indexed expressions exactly, so the planner can use the indexes."""
    if not db(app).url.startswith("postgresql"):
        pytest.skip("PostgreSQL's planner")
    from videoforge.modules.gallery import search as gallery_search

    with db(app).session() as session:
        session.execute(text("SET LOCAL enable_seqscan = off"))
        words = ["lava"]
        videos, _ = gallery_search.ranked(session, select(Video), words)
        cues = select(CaptionCue.id).where(search_words(CaptionCue.text).bool_op("@@")(gallery_search._tsquery(words)))
        plans = ["\n".join(row[0] for row in session.execute(text("EXPLAIN " + str(query.compile(
            session.get_bind(), compile_kwargs={"literal_binds": True}))))) for query in (videos, cues)]
    assert "ix_videos_search" in plans[0] and "ix_caption_cues_search" in plans[1], plans
