"""Quotas under concurrency, over real HTTP with real threads: parallel uploads by one user are accepted only as far
as they fit, the rest get the quota's 403, none a 500; on PostgreSQL one user's uploads never wait for another's."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor

import pytest
import requests
from sqlalchemy import create_engine, func, select, text

from tests.conftest import token_for
from videoforge.models import User, Video

pytestmark = pytest.mark.timeout(300)
GiB = 1024**3


def new_user(app, url) -> dict[str, str]:
    """Bearer headers of a user whose row exists (first sight creates it), so only the uploads race."""
    headers = {"Authorization": f"Bearer {token_for(app)}"}
    assert requests.get(f"{url}/api/auth/me", headers=headers, timeout=30).status_code == 200
    return headers


def upload(url, headers, size: int, title: str = "parallel") -> requests.Response:
    return requests.post(f"{url}/api/gallery/uploads", headers=headers, timeout=120, json={
        "title": title, "filename": "clip.mp4", "size": size, "content_type": "video/mp4"})


def uploads_at_once(url, headers, count: int, size: int) -> list[requests.Response]:
    """`count` uploads released together, so their quota checks really overlap."""
    barrier = threading.Barrier(count)

    def one(number: int) -> requests.Response:
        barrier.wait()
        return upload(url, headers, size, f"parallel {number}")

    with ThreadPoolExecutor(count) as pool:
        return list(pool.map(one, range(count)))


def owned(app, headers) -> tuple[int, int]:
    sub = app.extensions["videoforge.verifier"].verify(headers["Authorization"].split()[1]).claims["sub"]
    with app.extensions["videoforge.db"].session() as session:
        count, used = session.execute(select(func.count(Video.id), func.coalesce(func.sum(Video.source_size), 0))
                                      .join(User, User.id == Video.owner_id).where(User.sub == sub)).one()
    return count, int(used)


def test_16_parallel_uploads_of_5_gib_against_a_50_gib_quota_accept_10(gallery_app, http_server):
    app = gallery_app(QUOTA_BYTES=50 * GiB, UPLOAD_MAX_SIZE=5 * GiB, RATE_LIMIT_PER_MINUTE=0)
    headers = new_user(app, http_server.url)
    answers = uploads_at_once(http_server.url, headers, 16, 5 * GiB)
    codes = sorted(a.status_code for a in answers)
    assert codes == [201] * 10 + [403] * 6, [a.text for a in answers if a.status_code not in (201, 403)]
    for refused in (a.json() for a in answers if a.status_code == 403):
        assert list(refused["errors"]["json"]) == ["size"] and "over your quota" in refused["message"]
    assert owned(app, headers) == (10, 50 * GiB)


def test_parallel_uploads_past_the_video_count_quota_accept_only_what_fits(gallery_app, http_server):
    app = gallery_app(QUOTA_VIDEOS=4, RATE_LIMIT_PER_MINUTE=0)
    url = http_server.url
    first, second = new_user(app, url), new_user(app, url)
    assert upload(url, first, 1000).status_code == 201  # one already there counts too
    answers = uploads_at_once(url, first, 12, 1000)
    codes = sorted(a.status_code for a in answers)
    assert codes == [201] * 3 + [403] * 9, [a.text for a in answers if a.status_code not in (201, 403)]
    for refused in (a.json() for a in answers if a.status_code == 403):
        assert list(refused["errors"]["json"]) == ["quota"] and "the most allowed" in refused["message"]
    assert owned(app, first) == (4, 4000)
    assert upload(url, second, 1000).status_code == 201  # a quota is per user


@pytest.mark.parametrize("database_url", ["postgres"], indirect=True)
def test_on_postgresql_one_users_quota_check_waits_only_for_that_users_uploads(gallery_app, http_server,
                                                                                database_url):
    app = gallery_app(RATE_LIMIT_PER_MINUTE=0)
    url = http_server.url
    busy, other = new_user(app, url), new_user(app, url)
    busy_sub = app.extensions["videoforge.verifier"].verify(busy["Authorization"].split()[1]).claims["sub"]
    engine = create_engine(database_url)
    try:
        with engine.connect() as holder:
            # Another upload by `busy` in the middle of its check: it holds busy's row.
            holder.execute(text("SELECT id FROM users WHERE sub = :sub FOR UPDATE"), {"sub": busy_sub})
            with ThreadPoolExecutor(1) as pool:
                waiting = pool.submit(upload, url, busy, 1000)
                assert upload(url, other, 1000).status_code == 201  # not held up by busy's lock
                assert not waiting.done()  # busy's own upload waits its turn...
                holder.rollback()
                assert waiting.result(timeout=60).status_code == 201  # ...and then goes through
    finally:
        engine.dispose()
