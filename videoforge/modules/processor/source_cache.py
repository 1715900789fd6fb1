"""A worker's copy of the sources it downloaded, so its chunk jobs of one long video fetch the source once.

A chunked transcode hands each chunk to any worker, and every chunk job needs the whole source: without this, a worker
that takes 8 chunks of a 2 GB upload downloads 16 GB. Entries sit in `<WORK_DIR or the temp folder>/vf-sources/`
(0700, files 0600), one per (storage key, confirmed ETag, size), named by a SHA-256 of the three: the key comes from
the video row itself, unique per upload, so a job can only ever be handed its own upload's confirmed bytes. Only a
source whose ETag the confirm recorded is cached. A job gets a hard link to its entry (the scratch folder is on the
same file system), so evicting an entry never pulls a file from under a running ffmpeg: its bytes go with the last
link. After each use the folder is trimmed under SOURCE_CACHE_BYTES, the least recently used entries first, and
entries unused for an hour go too, also on an idle worker (its housekeeping calls `sweep`): the chunks of one video
keep its entry fresh while they run, and a deleted video's upload does not stay on a worker's disk for long.
"""

from __future__ import annotations

import fcntl
import hashlib
import json
import logging
import os
import shutil
import stat
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from videoforge.ports.storage import ObjectStat

log = logging.getLogger("videoforge.processor")

FOLDER = "vf-sources"
UNUSED_SECONDS = 3600
"""An entry no job used for this long is removed at the next use of the cache, whatever room is left."""


def obtain(config: dict[str, Any], key: str, confirmed: ObjectStat | None, path: Path,
           fetch: Callable[[Path], None]) -> None:
    """Put the source at `path`: linked from this worker's cache, filled once by `fetch(target)` (the checked
    download) when missing. Without a confirmed ETag, with the cache off or the source bigger than it, `fetch(path)`.
    `fetch`'s errors reach the caller unchanged; a cache that cannot be used is logged and bypassed."""
    cap = int(config.get("SOURCE_CACHE_BYTES", 0))
    if confirmed is None or not 0 < confirmed.size <= cap:
        fetch(path)
        return
    failed: list[BaseException] = []

    def fetch_noted(target: Path) -> None:
        try:
            fetch(target)
        except BaseException as exc:
            failed.append(exc)
            raise

    try:
        folder = _folder(config)
        _place(folder, entry_name(key, confirmed), confirmed.size, path, fetch_noted)
    except OSError as exc:
        if failed:  # the download's own failure (a missing object...), not the cache's
            raise
        log.warning("source cache unusable, downloading into the job: %s", exc)
        path.unlink(missing_ok=True)
        fetch(path)
        return
    try:
        _evict(folder, cap, keep=entry_name(key, confirmed))
    except OSError as exc:  # the job has its source: a cache left too full is the next fill's to trim
        log.warning("source cache not trimmed: %s", exc)


def sweep(config: dict[str, Any]) -> None:
    """Drop entries unused for UNUSED_SECONDS (and over the cap) without a job: the worker's housekeeping."""
    cap = int(config.get("SOURCE_CACHE_BYTES", 0))
    folder = Path(config.get("WORK_DIR") or tempfile.gettempdir()) / FOLDER
    if not folder.is_dir():
        return
    _evict(_folder(config), cap, keep="")


def entry_name(key: str, confirmed: ObjectStat) -> str:
    """The entry of one upload's confirmed bytes: never the key itself, which names the owner and the video."""
    return hashlib.sha256(json.dumps([key, confirmed.etag, confirmed.size]).encode()).hexdigest()


def _folder(config: dict[str, Any]) -> Path:
    folder = Path(config.get("WORK_DIR") or tempfile.gettempdir()) / FOLDER
    folder.mkdir(mode=0o700, exist_ok=True)
    held = os.lstat(folder)
    # In a shared temp folder someone else could have made the name first: use only a real folder of our own.
    if not stat.S_ISDIR(held.st_mode) or held.st_uid != os.geteuid():
        raise PermissionError(f"{folder} is not a folder of this user")
    if stat.S_IMODE(held.st_mode) != 0o700:
        os.chmod(folder, 0o700)
    return folder


def _place(folder: Path, name: str, size: int, path: Path, fetch: Callable[[Path], None]) -> None:
    """Link the entry to `path`, filling it first if it is missing or cut short; under the entry's lock, so a second
    slot wanting the same source waits for the first one's download and eviction never removes it half-used."""
    entry, lock = folder / name, folder / f"{name}.lock"
    with _locked(lock) as held:
        assert held
        try:
            whole = os.stat(entry).st_size == size
        except FileNotFoundError:
            whole = False
        if whole:
            os.utime(entry)  # least recently used is what eviction drops first
            log.info("source cache hit")
        else:
            fd, temp = tempfile.mkstemp(dir=folder, prefix=f"{name}.", suffix=".part")  # 0600
            os.close(fd)
            try:
                fetch(Path(temp))
                os.replace(temp, entry)
            except BaseException:
                os.unlink(temp)
                lock.unlink(missing_ok=True)  # no entry to guard (see _remove); a waiter takes a new lock file
                raise
        try:
            os.link(entry, path)
        except OSError:  # another file system or no hard links there: a copy of our own
            shutil.copyfile(entry, path)


@contextmanager
def _locked(lock: Path, wait: bool = True) -> Iterator[bool]:
    """Hold an entry's lock (flock: between threads and processes alike); yields False when busy and not waiting."""
    while True:
        fd = os.open(lock, os.O_RDWR | os.O_CREAT | os.O_NOFOLLOW, 0o600)
        try:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX if wait else fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                yield False
                return
            # A remover unlinks the lock file while holding it: a lock on a file no longer there guards nothing.
            try:
                current = os.stat(lock, follow_symlinks=False).st_ino == os.fstat(fd).st_ino
            except FileNotFoundError:
                current = False
            if current:
                yield True
                return
        finally:
            os.close(fd)


def _evict(folder: Path, cap: int, keep: str) -> None:
    """Drop the least recently used entries past `cap` bytes, entries unused for an hour, and leftovers of fills a
    crash interrupted; an entry in use right now is skipped (the next fill looks again)."""
    now = time.time()
    entries, leftovers = [], []
    for item in os.scandir(folder):
        try:
            info = item.stat(follow_symlinks=False)
        except FileNotFoundError:  # another slot trimming at the same time
            continue
        if len(item.name) == 64:
            entries.append((info.st_mtime, info.st_size, item.name))
        elif now - info.st_mtime > UNUSED_SECONDS and item.name[:64] != keep:
            leftovers.append(item.name)
    total = 0
    for mtime, size, name in sorted(entries, reverse=True):
        total += size
        if name != keep and (total > cap or now - mtime > UNUSED_SECONDS):
            _remove(folder, name)
    for name in leftovers:
        if name.endswith(".part"):
            Path(folder, name).unlink(missing_ok=True)
        elif name.endswith(".lock") and not Path(folder, name[:64]).exists():
            _remove(folder, name[:64])


def _remove(folder: Path, name: str) -> None:
    lock = folder / f"{name}.lock"
    with _locked(lock, wait=False) as held:
        if held:
            (folder / name).unlink(missing_ok=True)
            lock.unlink()  # while still held: a waiter then sees its lock file gone and takes a new one
