"""The worker as operators run it: real `videoforge worker` processes, SIGKILL and SIGTERM, burst, the in-process pool."""

from __future__ import annotations

import os
import signal
import time

import pytest

from tests.modules.processor.jobs import (
    EXPECTED_ASSETS,
    FAST,
    assets,
    queue_video,
    referenced_files,
    start_worker,
    stored_files,
    video,
    wait_for,
)
from tests.ports.conftest import sqs_endpoint  # noqa: F401 - the moto server fixture, for CloudWatch
from videoforge import waiting
from videoforge.models import QueueMessage
from videoforge.modules.processor import scaling
from videoforge.modules.processor.worker import POOL_EXTENSION, Worker, start_in_process_workers
from videoforge.ports.queue import get_queue

SLOW = {"X264_PRESET": "slower"}  # stretches a 3 s clip's job to several seconds, so it can be interrupted


def playable(app, video_id):
    return any(kind == "variant" for kind, _, _ in assets(app, video_id))


@pytest.mark.slow
def test_a_killed_worker_s_job_is_finished_by_another_without_duplicates(app, clip):
    video_id = queue_video(app, clip)
    first = start_worker(app, **SLOW)
    try:
        wait_for(lambda: playable(app, video_id), 90, "the first segment to be published")
    finally:
        os.killpg(first.pid, signal.SIGKILL)  # the machine dies: worker and ffmpeg alike
        first.wait(10)
    assert video(app, video_id).status == "processing"
    wait_for(lambda: get_queue(app).depth().visible == 1, 20, "the message to become visible again")
    second = start_worker(app, "--burst")
    output, _ = second.communicate(timeout=180)
    assert second.returncode == 0, output.decode()[-3000:]
    done = video(app, video_id)
    assert (done.status, done.attempts, done.error) == ("ready", 2, None)
    assert assets(app, video_id) == EXPECTED_ASSETS
    assert stored_files(app, video_id) == referenced_files(app, video_id)
    depth = get_queue(app).depth()
    assert (depth.visible, depth.in_flight, depth.dead) == (0, 0, 0)


@pytest.mark.slow
@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_first_sigterm_lets_the_running_job_finish(app, clip):
    video_id = queue_video(app, clip)
    worker = start_worker(app, **SLOW)
    try:
        wait_for(lambda: playable(app, video_id), 90, "the job to be under way")
        worker.send_signal(signal.SIGTERM)
        output, _ = worker.communicate(timeout=120)
    finally:
        if worker.poll() is None:
            os.killpg(worker.pid, signal.SIGKILL)
    assert worker.returncode == 0, output.decode()[-3000:]
    assert video(app, video_id).status == "ready"
    assert get_queue(app).depth().in_flight == 0
    with app.extensions["videoforge.db"].session() as session:
        # It took its registry row with it.
        assert waiting.live_worker_slots(session, app.config["WORKER_HEARTBEAT_SECONDS"]) == 0


@pytest.mark.slow
@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_second_sigterm_hands_the_message_back_at_once(app, clip):
    video_id = queue_video(app, clip)
    worker = start_worker(app, **SLOW)
    try:
        wait_for(lambda: video(app, video_id).status == "processing" and video(app, video_id).progress > 0,
                 90, "the job to be under way")
        worker.send_signal(signal.SIGTERM)
        time.sleep(0.3)
        stopped = time.monotonic()
        worker.send_signal(signal.SIGTERM)
        output, _ = worker.communicate(timeout=30)
        assert time.monotonic() - stopped < 10
    finally:
        if worker.poll() is None:
            os.killpg(worker.pid, signal.SIGKILL)
    assert worker.returncode == 0, output.decode()[-3000:]
    back = video(app, video_id)
    assert back.status == "queued" and "handed back" in back.stage
    with app.extensions["videoforge.db"].session() as session:
        row = session.query(QueueMessage).one()
        assert (row.receive_count, row.receipt, row.dead) == (1, None, False)
    assert get_queue(app).depth().visible == 1  # at once, not after the visibility timeout


@pytest.mark.slow
def test_burst_with_concurrency_drains_the_queue_and_exits(app, clip):
    ids = [queue_video(app, clip) for _ in range(3)]
    outcomes = Worker(app, concurrency=2, burst=True).run()
    assert sorted(outcomes) == ["done"] * 3
    assert all(video(app, i).status == "ready" for i in ids)
    assert get_queue(app).depth().visible == 0


@pytest.mark.slow
def test_the_in_process_pool_picks_up_jobs_and_scales_with_the_backlog(make_app, clip):
    app = make_app(**FAST, WORKER_MIN=1, WORKER_MAX=2, WORKER_SCALE_SECONDS=0.2, WORKER_HEARTBEAT_SECONDS=0.5)
    ids = [queue_video(app, clip) for _ in range(3)]
    pool = start_in_process_workers(app)
    try:
        assert start_in_process_workers(app) is pool  # once per app
        wait_for(lambda: len(pool._live_slots()) == 2, 15, "a second slot for the backlog")
        with app.extensions["videoforge.db"].session() as session:
            wait_for(lambda: waiting.live_worker_slots(session, 0.5) == 2, 5, "the registry to show 2 slots")
        wait_for(lambda: all(video(app, i).status == "ready" for i in ids), 120, "every job to finish")
        wait_for(lambda: len(pool._live_slots()) == 1, 10, "the pool to shrink back to WORKER_MIN")
    finally:
        pool.stop(hand_back=True, timeout=30)
    assert sorted(pool.outcomes) == ["done"] * 3


def test_workers_start_with_the_server_not_with_the_app(make_app, clip):
    app = make_app(**FAST, TESTING=False, WORKER_IN_PROCESS=True)
    assert POOL_EXTENSION not in app.extensions  # `videoforge db upgrade` and friends build apps too
    app.test_client().get("/healthz")
    pool = app.extensions[POOL_EXTENSION]
    try:
        video_id = queue_video(app, clip)
        wait_for(lambda: video(app, video_id).status == "ready", 60, "the in-process worker to do the job")
    finally:
        pool.stop(hand_back=True, timeout=30)
    assert make_app(**FAST, TESTING=False, WORKER_IN_PROCESS=False).extensions.get(POOL_EXTENSION) is None


def test_desired_slots_follow_backlog_per_worker():
    assert scaling.backlog_per_worker(6, 3) == 2.0
    assert scaling.backlog_per_worker(4, 0) == 4.0  # no worker yet: scale out from zero
    assert scaling.desired_slots(visible=0, busy=0, target=1, minimum=1, maximum=4) == 1
    assert scaling.desired_slots(visible=3, busy=1, target=1, minimum=1, maximum=4) == 4
    assert scaling.desired_slots(visible=3, busy=1, target=2, minimum=1, maximum=4) == 3
    assert scaling.desired_slots(visible=50, busy=2, target=1, minimum=1, maximum=4) == 4
    assert scaling.desired_slots(visible=0, busy=3, target=1, minimum=1, maximum=4) == 3  # never mid-job


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_backlog_per_worker_is_published_to_cloudwatch(app, sqs_endpoint):  # noqa: F811
    import boto3

    client = boto3.client("cloudwatch", endpoint_url=sqs_endpoint, region_name="us-east-1",
                          aws_access_key_id="testing", aws_secret_access_key="testing")
    publisher = scaling.CloudWatchPublisher("VideoForgeTest", get_queue(app).name, client)
    assert publisher.publish(visible=6, workers=4) == 1.5
    metrics = client.list_metrics(Namespace="VideoForgeTest")["Metrics"]
    assert {m["MetricName"] for m in metrics} == {"Backlog", "WorkerSlots", "BacklogPerWorker"}
    assert all(m["Dimensions"] == [{"Name": "Queue", "Value": "jobs"}] for m in metrics)
    stats = client.get_metric_statistics(
        Namespace="VideoForgeTest", MetricName="BacklogPerWorker", Dimensions=[{"Name": "Queue", "Value": "jobs"}],
        StartTime=time.time() - 600, EndTime=time.time() + 600, Period=60, Statistics=["Maximum"])
    assert [p["Maximum"] for p in stats["Datapoints"]] == [1.5]
    assert scaling.CloudWatchPublisher.from_config(dict(app.config), get_queue(app)) is None  # not configured
