"""A worker's source cache: each confirmed source downloaded once per worker, shared by its jobs as hard links."""

from __future__ import annotations

import os
import stat
import tempfile
import threading
import time
from pathlib import Path

import pytest

from tests.media import make_clip
from tests.modules.processor.jobs import queue_video, video
from tests.modules.processor.test_chunked import CHUNKED, parts, run_queue, rung_file
from videoforge.models import Video
from videoforge.modules.processor import service, source_cache
from videoforge.modules.processor.playlists import parse_variant
from videoforge.modules.processor.probe import UnplayableSource
from videoforge.modules.processor.service import JobContext
from videoforge.ports.storage import EXTENSION, ObjectStat, get_storage
from videoforge.ports.storage.local import LocalStorage

KEY = "uploads/owner/video/source"


class CountingStorage:
    """The real storage, counting each download by key (and slowed down when asked, to make slots overlap)."""

    def __init__(self, storage, delay: float = 0.0):
        self.storage, self.delay, self.downloads = storage, delay, []

    def __getattr__(self, name):
        return getattr(self.storage, name)

    def download_file(self, key, path, expect=None):
        self.downloads.append(key)
        time.sleep(self.delay)
        self.storage.download_file(key, path, expect=expect)


@pytest.fixture
def store(tmp_path) -> CountingStorage:
    return CountingStorage(LocalStorage(tmp_path / "store", "http://127.0.0.1", "test-secret"))


@pytest.fixture
def work(tmp_path) -> Path:
    folder = tmp_path / "work"
    folder.mkdir()
    return folder


def put(store, key: str, data: bytes, tmp_path: Path) -> ObjectStat:
    """Store `data` under `key` as an upload would; its confirmed size and ETag."""
    source = tmp_path / "upload"
    source.write_bytes(data)
    store.upload_file(key, str(source), "video/mp4")
    return store.stat(key)


def download(store, work: Path, confirmed: ObjectStat | None, cap: int = 1 << 30, key: str = KEY) -> Path:
    """One job's download_source into its own scratch folder under WORK_DIR, as transcode and transcode_chunk do."""
    ctx = JobContext(db=None, queue=None, storage=store, config={"WORK_DIR": str(work), "SOURCE_CACHE_BYTES": cap})
    return service.download_source(ctx, key, confirmed, Path(tempfile.mkdtemp(dir=work)) / "source")


def entries(work: Path) -> dict[str, int]:
    """The cache's entries and their sizes (lock files and half-written fills aside)."""
    folder = work / source_cache.FOLDER
    return {p.name: p.stat().st_size for p in folder.iterdir() if len(p.name) == 64} if folder.exists() else {}


def test_a_fill_then_a_hit_downloads_once_and_links_the_entry(store, work, tmp_path):
    data = os.urandom(50_000)
    confirmed = put(store, KEY, data, tmp_path)
    first, second = download(store, work, confirmed), download(store, work, confirmed)
    assert store.downloads == [KEY]
    assert first.read_bytes() == data and second.read_bytes() == data
    [name] = entries(work)
    entry = work / source_cache.FOLDER / name
    assert name == source_cache.entry_name(KEY, confirmed) and KEY not in name
    assert os.stat(entry).st_ino == first.stat().st_ino == second.stat().st_ino  # links, not copies
    assert entry.stat().st_nlink == 3


def test_two_slots_asking_at_once_download_once(store, work, tmp_path):
    data = os.urandom(200_000)
    confirmed = put(store, KEY, data, tmp_path)
    store.delay = 0.5  # the second slot arrives while the first is still downloading
    start, got, errors = threading.Barrier(2), [], []

    def slot():
        start.wait()
        try:
            got.append(download(store, work, confirmed))
        except Exception as exc:  # noqa: BLE001 - reported by the assertion below
            errors.append(exc)

    threads = [threading.Thread(target=slot) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(10)
    assert errors == [] and len(got) == 2
    assert store.downloads == [KEY]
    assert all(path.read_bytes() == data for path in got)


def test_a_changed_etag_is_another_entry(store, work, tmp_path):
    old = put(store, KEY, b"a" * 1000, tmp_path)
    assert download(store, work, old).read_bytes() == b"a" * 1000
    new = put(store, KEY, b"b" * 1000, tmp_path)  # the file replaced and confirmed again: same key and size
    assert new.etag != old.etag
    assert download(store, work, new).read_bytes() == b"b" * 1000
    assert store.downloads == [KEY, KEY]
    assert set(entries(work)) == {source_cache.entry_name(KEY, old), source_cache.entry_name(KEY, new)}


def test_a_truncated_entry_is_fetched_again(store, work, tmp_path):
    data = os.urandom(30_000)
    confirmed = put(store, KEY, data, tmp_path)
    job = download(store, work, confirmed)
    entry = work / source_cache.FOLDER / source_cache.entry_name(KEY, confirmed)
    with entry.open("r+b") as cut:  # the disk lost its tail (this also cuts the first job's link, which is done)
        cut.truncate(10_000)
    assert job.stat().st_size == 10_000
    again = download(store, work, confirmed)
    assert again.read_bytes() == data and store.downloads == [KEY, KEY]
    assert entries(work) == {entry.name: len(data)}


def test_the_least_recently_used_entries_go_past_the_cap_and_running_jobs_keep_their_file(store, work, tmp_path):
    size = 40_000
    cap = int(2.5 * size)  # room for two entries
    stats = {name: put(store, f"uploads/o/{name}/source", name.encode() * size, tmp_path) for name in "abc"}

    def get(name: str) -> Path:
        return download(store, work, stats[name], cap=cap, key=f"uploads/o/{name}/source")

    get("a")
    b_job = get("b")
    time.sleep(0.02)  # mtimes apart: "a" used after "b"
    get("a")
    get("c")
    kept = entries(work)
    assert set(kept) == {source_cache.entry_name(f"uploads/o/{n}/source", stats[n]) for n in "ac"}
    assert sum(kept.values()) <= cap
    assert b_job.read_bytes() == b"b" * size  # evicted from the cache, still whole for the job that links it
    assert len(store.downloads) == 3


def test_entries_unused_for_an_hour_go_at_the_next_fill_or_the_idle_workers_sweep(store, work, tmp_path):
    old = put(store, "uploads/o/old/source", b"o" * 100, tmp_path)
    download(store, work, old, key="uploads/o/old/source")
    stale = work / source_cache.FOLDER / source_cache.entry_name("uploads/o/old/source", old)
    hour_ago = time.time() - source_cache.UNUSED_SECONDS - 60
    os.utime(stale, (hour_ago, hour_ago))
    download(store, work, put(store, KEY, b"n" * 100, tmp_path))
    assert not stale.exists() and len(entries(work)) == 1

    [fresh] = entries(work)
    config = {"WORK_DIR": str(work), "SOURCE_CACHE_BYTES": 1 << 30}
    source_cache.sweep(config)  # a worker's housekeeping, no job running
    assert list(entries(work)) == [fresh]  # used a moment ago: kept
    os.utime(work / source_cache.FOLDER / fresh, (hour_ago, hour_ago))
    source_cache.sweep(config)
    assert entries(work) == {}  # an idle worker keeps no upload past the hour
    source_cache.sweep({"WORK_DIR": str(tmp_path / "never-used"), "SOURCE_CACHE_BYTES": 1})  # no folder: nothing


def test_a_cap_of_zero_or_an_unknown_etag_never_caches(store, work, tmp_path):
    confirmed = put(store, KEY, b"x" * 5000, tmp_path)
    download(store, work, confirmed, cap=0)
    download(store, work, confirmed, cap=0)
    download(store, work, None)  # confirmed before ETags were recorded
    download(store, work, None)
    assert store.downloads == [KEY] * 4
    assert not (work / source_cache.FOLDER).exists()


def test_a_source_bigger_than_the_cache_is_not_cached(store, work, tmp_path):
    confirmed = put(store, KEY, b"x" * 5000, tmp_path)
    download(store, work, confirmed, cap=4999)
    download(store, work, confirmed, cap=4999)
    assert store.downloads == [KEY, KEY] and entries(work) == {}


def test_the_folder_is_private_and_its_files_too(store, work, tmp_path):
    confirmed = put(store, KEY, b"x" * 5000, tmp_path)
    old = os.umask(0)  # the modes must come from the cache itself, not from a careful umask
    try:
        download(store, work, confirmed)
    finally:
        os.umask(old)
    folder = work / source_cache.FOLDER
    assert stat.S_IMODE(folder.stat().st_mode) == 0o700
    names = list(folder.iterdir())
    assert sorted(p.suffix for p in names) == ["", ".lock"]
    assert all(stat.S_IMODE(p.stat().st_mode) == 0o600 for p in names), [oct(p.stat().st_mode) for p in names]


def test_a_folder_that_is_not_ours_is_bypassed(store, work, tmp_path):
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    (work / source_cache.FOLDER).symlink_to(elsewhere)  # planted in a shared temp folder before the worker started
    confirmed = put(store, KEY, b"x" * 5000, tmp_path)
    assert download(store, work, confirmed).read_bytes() == b"x" * 5000
    assert download(store, work, confirmed).read_bytes() == b"x" * 5000
    assert store.downloads == [KEY, KEY] and list(elsewhere.iterdir()) == []


def test_a_missing_or_replaced_source_still_fails_as_before_and_leaves_nothing(store, work, tmp_path):
    confirmed = put(store, KEY, b"x" * 5000, tmp_path)
    with pytest.raises(UnplayableSource) as missing:
        download(store, work, confirmed, key="uploads/o/gone/source")
    assert missing.value.reason == "the uploaded file is missing from storage: upload it again"
    put(store, KEY, b"y" * 5000, tmp_path)  # swapped after the confirm
    with pytest.raises(UnplayableSource) as changed:
        download(store, work, confirmed)
    assert changed.value.reason == service.SOURCE_CHANGED
    folder = work / source_cache.FOLDER
    assert list(folder.iterdir()) == []  # no entry, no half-written fill, no lock file


# --- end to end: one worker, one chunked video ----------------------------------------------------------------------

@pytest.fixture(scope="module")
def long_clip(tmp_path_factory) -> Path:
    return make_clip(tmp_path_factory.mktemp("clips") / "long.mp4", 320, 180, seconds=12)


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
@pytest.mark.parametrize(("cap", "downloads"), [(1 << 30, 1), (0, 4)], ids=["cached", "no-cache"])
def test_one_worker_downloads_a_chunked_source_once(make_app, long_clip, tmp_path, cap, downloads):
    work = tmp_path / "work"
    work.mkdir()
    app = make_app(**CHUNKED, WORK_DIR=str(work), SOURCE_CACHE_BYTES=cap)
    store = CountingStorage(get_storage(app))
    app.extensions[EXTENSION] = store
    video_id = queue_video(app, long_clip)
    with app.extensions["videoforge.db"].session() as session:  # confirmed as the gallery's confirm records it
        row = session.get(Video, video_id)
        row.source_etag = store.stat(row.source_key).etag
        key = row.source_key

    assert run_queue(app) == ["done"] * 4  # the plan, then three chunks, one after another on this worker
    assert store.downloads.count(key) == downloads  # without the cache: the plan's and each chunk's
    done = video(app, video_id)
    assert (done.status, done.error) == ("ready", None)
    assert [(p.number, p.status) for p in parts(app, video_id) if p.number >= 0] == [(0, "done"), (1, "done"),
                                                                                       (2, "done")]
    for rung in ("144p", "180p"):
        _, text = rung_file(app, video_id, rung)
        listing = parse_variant(text)
        assert listing.ended and [s.sequence for s in listing.segments] == list(range(6))
        assert sum(s.duration for s in listing.segments) == pytest.approx(12.0, abs=0.05)
    assert [p.name for p in work.iterdir()] == ([source_cache.FOLDER] if cap else [])  # every job's scratch is gone
