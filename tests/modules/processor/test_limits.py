"""Resource limits on every ffmpeg child: applied, and a breach ends as a clear, permanent reason."""

from __future__ import annotations

import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.media import make_clip
from tests.modules.processor.jobs import job_for, queue_video, video
from videoforge.modules.processor import service
from videoforge.modules.processor.encode import transcode_ladder
from videoforge.modules.processor.ladder import plan_ladder
from videoforge.modules.processor.limits import LimitExceeded, Limits, MiB, reap, run, spawn
from videoforge.modules.processor.probe import probe
from videoforge.ports.queue import get_queue

pytestmark = pytest.mark.slow

TIGHT_CPU = Limits(cpu_per_second=0, cpu_min_seconds=1)


@pytest.fixture(scope="module")
def busy_clip(tmp_path_factory) -> Path:
    """10 s of 640x360: its two-rung ladder needs about 2 CPU seconds, twice TIGHT_CPU."""
    return make_clip(tmp_path_factory.mktemp("limits") / "busy.mp4", 640, 360, seconds=10)


def limits_of_child(limits: Limits, duration: float) -> dict[str, str]:
    """The limits a child started under `limits` really has, as /proc/self/limits shows them."""
    done = run(["cat", "/proc/self/limits"], limits, duration, timeout=10)
    rows = {}
    for line in done.stdout.decode().splitlines()[1:]:
        name, soft, hard = line[:26].strip(), *line[26:].split()[:2]
        rows[name] = f"{soft}/{hard}"
    return rows


@pytest.mark.skipif(sys.platform != "linux", reason="reads /proc")
def test_children_run_with_the_limits():
    limits = Limits(cpu_per_second=3, cpu_min_seconds=60, memory_bytes=900 * MiB, file_bytes=5 * MiB)
    rows = limits_of_child(limits, duration=100)
    assert rows["Max cpu time"] == "300/310"  # scaled with the duration, the hard limit 10 s later
    assert rows["Max data size"] == f"{900 * MiB}/{900 * MiB}"
    assert rows["Max file size"] == f"{5 * MiB}/{5 * MiB}"
    assert limits_of_child(limits, duration=1)["Max cpu time"] == "60/70"  # never below the floor


def test_default_memory_grows_with_the_cores():
    assert Limits().data_bytes() >= (1536 + 384) * MiB
    assert Limits(memory_bytes=700 * MiB).data_bytes() == 700 * MiB
    assert Limits.from_config({"FFMPEG_MEMORY_MB": 800, "FFMPEG_FILE_MB": 2}) == Limits(memory_bytes=800 * MiB,
                                                                                         file_bytes=2 * MiB)


def test_a_ladder_past_its_cpu_time_is_stopped_with_a_clear_reason(busy_clip, tmp_path):
    source = probe(busy_clip)
    with pytest.raises(LimitExceeded, match="^the video needs more processing time than allowed") as caught:
        transcode_ladder(busy_clip, tmp_path, source, plan_ladder(source, heights=(360, 240)), limits=TIGHT_CPU)
    assert caught.value.permanent


def test_a_ladder_writing_too_large_a_file_is_stopped(busy_clip, tmp_path):
    source = probe(busy_clip)
    with pytest.raises(LimitExceeded, match="^the video makes larger files than allowed$"):
        transcode_ladder(busy_clip, tmp_path, source, plan_ladder(source, heights=(360,)),
                         limits=Limits(file_bytes=32 * 1024))


def test_a_ladder_short_of_memory_is_stopped(busy_clip, tmp_path):
    source = probe(busy_clip)
    with pytest.raises(LimitExceeded, match="^the video needs more memory than allowed$"):
        transcode_ladder(busy_clip, tmp_path, source, plan_ladder(source, heights=(360,)),
                         limits=Limits(memory_bytes=128 * MiB))


def test_a_probe_past_its_cpu_time_is_stopped():
    # ffprobe has no SIGXCPU handler: the signal itself ends it. A busy lavfi graph stands in for a bomb.
    with pytest.raises(LimitExceeded, match="processing time"):
        run(["ffprobe", "-v", "error", "-f", "lavfi", "-i", "testsrc2=s=1920x1080:d=3600", "-count_frames",
             "-show_entries", "stream=nb_read_frames"], TIGHT_CPU, timeout=60)


def test_a_terminated_ffmpeg_is_not_taken_for_a_limit():
    """ffmpeg exits 255 on SIGTERM as on SIGXCPU (a stopping worker, systemd): only the CPU it used tells."""
    limits = Limits(cpu_per_second=0, cpu_min_seconds=30)
    proc = spawn(["ffmpeg", "-v", "error", "-f", "lavfi", "-i", "testsrc2=s=320x180:d=600", "-f", "null", "-"],
                 limits, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    time.sleep(0.5)
    proc.send_signal(signal.SIGTERM)
    cpu_used = reap(proc)
    assert proc.returncode == 255 and cpu_used is not None and cpu_used < 30
    limits.check(proc.returncode, cpu_used, duration=10, stderr="")  # an ordinary failure: no LimitExceeded
    with pytest.raises(LimitExceeded):
        limits.check(255, cpu_used=30.2, duration=10, stderr="")
    with pytest.raises(LimitExceeded):
        limits.check(-signal.SIGXCPU, cpu_used=None, duration=10, stderr="")
    limits.check(0, cpu_used=99, duration=10, stderr="")  # finished: whatever it used was allowed


def test_a_job_past_its_limits_is_rejected_not_retried(app, busy_clip):
    video_id = queue_video(app, busy_clip)
    job = job_for(app)
    job.config.update(FFMPEG_CPU_PER_SECOND=0.0, FFMPEG_CPU_MIN_SECONDS=1)
    message = get_queue(app).receive(max_messages=1)[0]
    assert service.handle_message(job, message) == "failed"
    failed = video(app, video_id)
    assert failed.status == "failed" and failed.rejected and not failed.retryable
    assert failed.error.startswith("the video needs more processing time than allowed")
    depth = get_queue(app).depth()
    assert (depth.visible, depth.in_flight, depth.dead) == (0, 0, 0)
