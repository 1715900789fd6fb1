"""Helpers for processor tests: a queued video with its source in local storage, and what a job left behind."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

from sqlalchemy import select

from videoforge import outbox
from videoforge.models import MediaAsset, User, Video, new_id, utcnow
from videoforge.modules.processor.service import JobContext
from videoforge.ports.queue import get_queue
from videoforge.ports.storage import get_storage

FAST = {
    "LADDER_HEIGHTS": [144, 180],  # two rungs from a 320x180 clip: 256x144 and 320x180
    "SEGMENT_SECONDS": 2,
    "RETRY_BACKOFF_SECONDS": 0,
    "WORKER_POLL_SECONDS": 0.2,
    "QUEUE_VISIBILITY_TIMEOUT": 30,
}


def queue_video(app, source: Path, *, send: bool = True, title: str = "clip") -> str:
    """A confirmed upload: the source object in storage, the video queued, its job sent in the same transaction."""
    db = app.extensions["videoforge.db"]
    video_id = new_id()
    with db.session() as session:
        user = User(sub=new_id(), email=f"{new_id()[:8]}@example.test")
        session.add(user)
        session.flush()
        key = f"uploads/{user.id}/{video_id}/source"
        get_storage(app).upload_file(key, str(source), "video/mp4")
        session.add(Video(id=video_id, owner_id=user.id, title=title, status="queued", source_key=key,
                          source_size=source.stat().st_size, queued_at=utcnow(), filename=source.name))
        if send:
            get_queue(app).send(outbox.transcode_message(video_id), session=session)
    return video_id


def job_for(app) -> JobContext:
    return JobContext(db=app.extensions["videoforge.db"], queue=get_queue(app), storage=get_storage(app),
               config=dict(app.config))


def video(app, video_id: str) -> Video:
    with app.extensions["videoforge.db"].session() as session:
        return session.get(Video, video_id)


def assets(app, video_id: str) -> list[tuple[str, str, bool]]:
    with app.extensions["videoforge.db"].session() as session:
        rows = session.scalars(select(MediaAsset).where(MediaAsset.video_id == video_id)).all()
        return sorted((a.kind, a.rung, a.complete) for a in rows)


EXPECTED_ASSETS = sorted([("poster", "", True), ("storyboard", "", True),
                          ("thumbnails", "", True), ("variant", "144p", True), ("variant", "180p", True)])


def stored_files(app, video_id: str) -> list[str]:
    """Every object under processed/{video_id}/, relative to it.

    Dot-files are local storage's half-written temporaries (a killed worker can leave one): not objects.
    """
    root = Path(get_storage(app).root) / "processed" / video_id
    if not root.exists():
        return []
    return sorted(p.relative_to(root).as_posix() for p in root.rglob("*") if p.is_file() and not p.name.startswith("."))


def published_take(app, video_id: str) -> str:
    """The take (processed/{video_id}/takes/{take}/) the video's asset rows name: one for all of them."""
    with app.extensions["videoforge.db"].session() as session:
        keys = session.scalars(select(MediaAsset.key).where(MediaAsset.video_id == video_id)).all()
    [take] = {key.split("/")[3] for key in keys}
    return take


def referenced_files(app, video_id: str) -> list[str]:
    """What the published playlists and artwork reference: any stored file outside this is a leftover (another
    take's files included)."""
    take = published_take(app, video_id)
    root = Path(get_storage(app).root) / "processed" / video_id / "takes" / take
    names = {f"takes/{take}/{name}" for name in ("poster.jpg", "storyboard.jpg", "storyboard.vtt")}
    for playlist in root.glob("*/index.m3u8"):
        rung = f"takes/{take}/{playlist.parent.name}"
        names.add(f"{rung}/index.m3u8")
        for line in playlist.read_text().splitlines():
            if line.startswith("#EXT-X-MAP:"):
                names.add(f"{rung}/" + line.split('URI="', 1)[1].split('"', 1)[0])
            elif line and not line.startswith("#"):
                names.add(f"{rung}/{line}")
    return sorted(names)


def copy(source: Path, target: Path) -> Path:
    shutil.copyfile(source, target)
    return target


def wait_for(condition, timeout: float, what: str, interval: float = 0.1):
    """Poll until `condition()` is truthy (returned), or fail naming what never happened."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(interval)
    raise AssertionError(f"timed out after {timeout:g} s waiting for {what}")


def start_worker(app, *args: str, **settings) -> subprocess.Popen:
    """`videoforge worker` in its own process group, on the test app's database and storage."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("VIDEOFORGE_")}
    config = {**FAST, "QUEUE_VISIBILITY_TIMEOUT": 3, "WORKER_IN_PROCESS": "false", "MODULES": "processor",
              "DATABASE_URL": app.config["DATABASE_URL"], "STORAGE_PATH": app.config["STORAGE_PATH"],
              "INSTANCE_PATH": app.instance_path, "LOG_LEVEL": "INFO", **settings}
    for key, value in config.items():
        env[f"VIDEOFORGE_{key}"] = ",".join(map(str, value)) if isinstance(value, list) else str(value)
    binary = Path(sys.executable).parent / "videoforge"
    command = [str(binary)] if binary.exists() else [sys.executable, "-m", "videoforge"]
    return subprocess.Popen(command + ["worker", *args], env=env, start_new_session=True,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
