"""The library is queried per page, never per row: 50 queued videos cost the queries 5 cost, with the same answers."""

from __future__ import annotations

from contextlib import contextmanager
from datetime import timedelta

from sqlalchemy import event, select

from videoforge import waiting
from videoforge.models import MediaAsset, User, Video, WorkerHeartbeat, utcnow


@contextmanager
def counted(app):
    """The SQL statements run inside the block (a before_cursor_execute listener on the app's engine)."""
    engine = app.extensions["videoforge.db"].engine
    statements: list[str] = []

    def record(conn, cursor, statement, parameters, context, executemany):
        statements.append(statement)

    event.listen(engine, "before_cursor_execute", record)
    try:
        yield statements
    finally:
        event.remove(engine, "before_cursor_execute", record)


def owner_with_queued_videos(app, client, headers, count: int, start) -> str:
    """A user (made by their first request) owning `count` queued videos, each with a poster; their id."""
    assert client.get("/api/gallery/videos", headers=headers).status_code == 200
    with app.extensions["videoforge.db"].session() as session:
        owner = session.scalars(select(User).order_by(User.created_at.desc(), User.id)).first()
        for n in range(count):
            at = start + timedelta(seconds=2 * n)
            video = Video(owner_id=owner.id, title=f"v{n}", filename=f"v{n}.mp4", source_size=1000,
                          status="queued", created_at=at, queued_at=at)
            video.assets.append(MediaAsset(kind="poster", key=f"processed/{n}/poster.jpg"))
            session.add(video)
        return owner.id


def test_a_page_of_50_queued_videos_runs_the_queries_of_a_page_of_5(app, client, auth_headers):
    now = utcnow()
    few, many = auth_headers(), auth_headers()
    owner_with_queued_videos(app, client, few, 5, now - timedelta(hours=1, seconds=1))
    owner_with_queued_videos(app, client, many, 50, now - timedelta(hours=1))  # interleaved in one queue
    with app.extensions["videoforge.db"].session() as session:
        # Something to wait for: a live worker with two slots, one running job, and finished jobs to average.
        session.add(WorkerHeartbeat(id="host:1:worker", concurrency=2, busy=1, seen_at=utcnow()))
        someone = User(sub="someone-else")
        session.add(someone)
        session.flush()
        session.add(Video(owner_id=someone.id, title="running", status="processing", progress=50.0))
        for n in range(3):
            session.add(Video(owner_id=someone.id, title=f"done{n}", status="ready",
                              started_at=now - timedelta(minutes=10, seconds=30 + 10 * n),
                              finished_at=now - timedelta(minutes=10)))

    with counted(app) as small:
        five = client.get("/api/gallery/videos?page_size=50", headers=few)
    with counted(app) as large:
        fifty = client.get("/api/gallery/videos?page_size=50", headers=many)
    assert (five.status_code, len(five.json), fifty.status_code, len(fifty.json)) == (200, 5, 200, 50)
    # One for the caller, two for the page and its assets, four for the waiting (places, slots, job lengths, running).
    assert len(large) == len(small) <= 8, "\n".join(large)

    # The batched answers are the ones asked one video at a time.
    with app.extensions["videoforge.db"].session() as session:
        slots = waiting.live_worker_slots(session, app.config["WORKER_HEARTBEAT_SECONDS"])
        assert slots == 2
        for shown in five.json + fifty.json:
            video = session.get(Video, shown["id"])
            position = waiting.queue_position(session, video)
            assert shown["queue_position"] == position
            assert shown["estimated_start_seconds"] == waiting.estimated_start_seconds(session, video, slots, position)
            assert shown["poster_url"] and shown["filename"] == video.filename
    # Jobs take 40 s on average; of the two slots one is free, the other in 20 s: place p starts at (p - 1) * 20 s.
    assert sorted((v["queue_position"], v["estimated_start_seconds"]) for v in five.json) == [
        (1, 0), (3, 40), (5, 80), (7, 120), (9, 160)]


def test_a_searched_page_of_50_runs_the_queries_of_a_page_of_5(app, client, auth_headers):
    """`q` adds one query per page (each result's best cue), never one per video."""
    from videoforge import captions
    from videoforge.models import Caption
    from videoforge.webvtt import Cue

    now = utcnow()
    few, many = auth_headers(), auth_headers()
    for headers, count in ((few, 5), (many, 50)):
        owner_id = owner_with_queued_videos(app, client, headers, count, now - timedelta(hours=1))
        with app.extensions["videoforge.db"].session() as session:
            for video in session.scalars(select(Video).where(Video.owner_id == owner_id)):
                caption = Caption(video_id=video.id, language="en", label="English")
                session.add(caption)
                session.flush()
                captions.index_cues(session, caption, [Cue(1.0, 2.0, "nothing here"), Cue(5.0, 6.0, "v marks the spot")])

    with counted(app) as small:
        five = client.get("/api/gallery/videos?page_size=50&q=v", headers=few)
    with counted(app) as large:
        fifty = client.get("/api/gallery/videos?page_size=50&q=v", headers=many)
    assert (five.status_code, len(five.json), fifty.status_code, len(fifty.json)) == (200, 5, 200, 50)
    with counted(app) as unsearched:
        assert client.get("/api/gallery/videos?page_size=50", headers=many).status_code == 200
    assert {v["match"]["start"] for v in five.json + fifty.json} == {5.0}
    assert len(large) == len(small) == len(unsearched) + 1, "\n".join(large)
