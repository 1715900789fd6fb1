"""The queue contract: one suite, run unchanged on SQL/SQLite, SQL/PostgreSQL and SQS (moto_server on loopback)."""

from __future__ import annotations

import threading
import time
import uuid

import pytest
from sqlalchemy import text

from tests.ports.conftest import make_sqs_queues, sqs_client
from videoforge import create_app
from videoforge.ports.queue.sql import SqlQueue
from videoforge.ports.queue.sqs import SqsQueue

MAX_RECEIVES = 3


@pytest.fixture(params=["sql-sqlite", pytest.param("sql-postgres", marks=pytest.mark.postgres), "sqs"])
def queue(request, tmp_path):
    """A fresh, empty queue (max 3 receives, 30 s visibility) on each backend."""
    if request.param == "sqs":
        client = sqs_client(request.getfixturevalue("sqs_endpoint"))
        url, dlq_url = make_sqs_queues(client, f"jobs-{uuid.uuid4().hex[:12]}", max_receives=MAX_RECEIVES)
        yield SqsQueue(client, url, dlq_url, visibility_timeout=30, max_receives=MAX_RECEIVES)
        return
    url = f"sqlite:///{tmp_path}/q.db" if request.param == "sql-sqlite" else request.getfixturevalue("pg_url")
    app = create_app(INSTANCE_PATH=str(tmp_path / "instance"), DATABASE_URL=url, MODULES=["processor"],
                     WORKER_IN_PROCESS=False, TESTING=True, LOG_LEVEL="WARNING")
    db = app.extensions["videoforge.db"]
    yield SqlQueue(db, visibility_timeout=30, max_receives=MAX_RECEIVES)
    with db.engine.begin() as conn:
        conn.execute(text("DELETE FROM queue_messages"))
    db.engine.dispose()


def receive_one(queue, **kwargs):
    messages = queue.receive(**kwargs)
    assert len(messages) == 1, messages
    return messages[0]


def test_send_receive_delete(queue):
    sent = queue.send({"type": "transcode", "video_id": "v1", "request_id": "r1"})
    message = receive_one(queue)
    assert message.id == sent
    assert message.body == {"type": "transcode", "video_id": "v1", "request_id": "r1"}
    assert message.receive_count == 1
    assert queue.receive() == []  # hidden while received
    queue.delete(message)
    depth = queue.depth()
    assert (depth.visible, depth.in_flight, depth.dead) == (0, 0, 0)


def test_the_queue_is_named_for_its_metrics(queue):
    # The SQL queue's "jobs"; an SQS queue's own name, the last part of its URL (the playbook's "<stack>-jobs").
    assert queue.name and "/" not in queue.name and "jobs" in queue.name


def test_receive_takes_at_most_max_messages(queue):
    for n in range(5):
        queue.send({"n": n})
    assert len(queue.receive(max_messages=3)) == 3
    assert len(queue.receive(max_messages=3)) == 2


def test_visibility_expires_and_the_message_is_redelivered_with_a_new_receipt(queue):
    queue.send({"n": 1})
    first = receive_one(queue, visibility_timeout=1)
    assert queue.receive() == []
    time.sleep(1.5)
    again = receive_one(queue, visibility_timeout=30)
    assert again.id == first.id
    assert again.receipt != first.receipt
    assert again.receive_count == 2


def test_extending_visibility_keeps_the_message_hidden(queue):
    queue.send({"n": 1})
    message = receive_one(queue, visibility_timeout=1)
    queue.extend(message, 4)
    time.sleep(1.6)
    assert queue.receive() == []
    queue.delete(message)
    assert queue.depth().in_flight == 0


def test_release_makes_it_visible_again_at_once_or_after_a_delay(queue):
    queue.send({"n": 1})
    message = receive_one(queue)
    queue.release(message, error="ffmpeg crashed")
    again = receive_one(queue)
    assert again.receive_count == 2
    queue.release(again, delay=2)
    assert queue.receive() == []
    time.sleep(2.5)
    assert receive_one(queue).receive_count == 3


def test_depth_counts_visible_in_flight_and_dead(queue):
    for n in range(3):
        queue.send({"n": n})
    receive_one(queue)
    depth = queue.depth()
    assert (depth.visible, depth.in_flight, depth.dead) == (2, 1, 0)


def test_dead_letter_after_max_receives_then_redrive(queue):
    queue.send({"video_id": "doomed"})
    for attempt in range(1, MAX_RECEIVES + 1):
        message = receive_one(queue)
        assert message.receive_count == attempt
        queue.release(message, error=f"failure {attempt}")
    assert queue.receive() == []  # one receive too many: dead-lettered, not delivered
    depth = queue.depth()
    assert (depth.visible, depth.in_flight, depth.dead) == (0, 0, 1)
    dead = queue.dead_letters()
    assert [d.body for d in dead] == [{"video_id": "doomed"}]
    assert dead[0].receive_count >= MAX_RECEIVES
    assert dead[0].error in (None, f"failure {MAX_RECEIVES}")  # SQS keeps no error text
    assert queue.dead_letters()[0].id == dead[0].id  # listing twice shows the same letter
    assert queue.redrive([dead[0].id]) == 1
    assert queue.dead_letters() == []
    back = receive_one(queue)
    assert back.body == {"video_id": "doomed"}
    assert back.receive_count == 1


def test_redrive_by_id_leaves_the_others(queue):
    for name in ("a", "b"):
        queue.send({"video_id": name})
    for _ in range(MAX_RECEIVES):
        for message in queue.receive(max_messages=2):
            queue.release(message)
    assert queue.receive(max_messages=2) == []
    dead = {d.body["video_id"]: d.id for d in queue.dead_letters()}
    assert set(dead) == {"a", "b"}
    assert queue.redrive([dead["a"]]) == 1
    assert [d.body["video_id"] for d in queue.dead_letters()] == ["b"]
    assert queue.redrive() == 1
    assert queue.depth().dead == 0


def test_long_poll_waits_and_wakes_for_a_new_message(queue):
    started = time.monotonic()
    assert queue.receive(wait_seconds=1) == []
    assert time.monotonic() - started >= 0.9
    threading.Timer(0.5, queue.send, args=({"late": True},)).start()
    started = time.monotonic()
    message = receive_one(queue, wait_seconds=5)
    assert message.body == {"late": True}
    assert time.monotonic() - started < 4


def test_concurrent_consumers_get_disjoint_messages(queue):
    count = 24
    for n in range(count):
        queue.send({"n": n})
    got: list[list[int]] = [[] for _ in range(4)]
    errors: list[BaseException] = []

    def consume(index: int) -> None:
        try:
            while True:
                messages = queue.receive(max_messages=2)
                if not messages:
                    return
                got[index].extend(m.body["n"] for m in messages)
        except BaseException as exc:  # noqa: BLE001 - surfaced below: a thread's failure must fail the test
            errors.append(exc)

    threads = [threading.Thread(target=consume, args=(i,)) for i in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert not errors
    everything = [n for part in got for n in part]
    assert sorted(everything) == list(range(count))  # each message exactly once
