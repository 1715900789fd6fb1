"""Files of the local store: atomic writes, and the hidden ETag record and seal beside each uploaded object."""

from __future__ import annotations

import fcntl
import hashlib
import json
import os
import re
import secrets
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import IO, BinaryIO

from videoforge.ports.storage import ObjectStat, Sealed, StorageError

CHUNK = 1024 * 1024
# Hidden files beside an uploaded object: its ETag record, and the seal its confirm leaves. Keys never start
# with a dot (check_key), so no URL can reach or overwrite them.
ETAG_RECORD, SEAL = "etag", "sealed"
_sidecar_name = re.compile(r"\.(.+)\.(?:etag|sealed)").fullmatch


class SizeMismatch(StorageError):
    """The bytes sent differ from the size the URL was signed for."""


def quoted_md5(digest: str) -> str:
    """An ETag as S3 writes it for single-part objects: the hex MD5 in double quotes."""
    return f'"{digest}"'


def bare(etag: str) -> str:
    return etag.strip().strip('"').lower()


def sidecar(target: Path, kind: str) -> Path:
    return target.with_name(f".{target.name}.{kind}")


def sidecar_owner(name: str) -> str | None:
    """The object name a hidden record or seal belongs to; None for any other file (temp files)."""
    found = _sidecar_name(name)
    return found.group(1) if found else None


def temp_beside(target: Path) -> Path:
    # Same folder as the target, so the final rename is atomic; hidden, so listings skip it.
    return target.with_name(f".{target.name}.{secrets.token_hex(6)}.tmp")


def is_sealed(target: Path) -> bool:
    return sidecar(target, SEAL).exists()


@contextmanager
def locked(folder: Path) -> Iterator[None]:
    """An exclusive flock on a folder: a seal and an upload's final rename there never interleave."""
    fd = os.open(folder, os.O_RDONLY)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        os.close(fd)  # releases the lock


def write_atomic(target: Path, stream: IO[bytes], size: int, upload: bool = False) -> str:
    """Stream exactly `size` bytes to a temp file beside `target`, fsync and rename; never a half object.

    An `upload` (a browser's object, not a part or worker output) is installed with its ETag record,
    and refused if its key was sealed while the bytes arrived. Returns the quoted-MD5 ETag.
    """
    tmp = temp_beside(target)
    md5 = hashlib.md5(usedforsecurity=False)
    total = 0
    try:
        with open(tmp, "xb") as out:
            while True:
                # Read one byte past the size so an oversized body is noticed without reading all of it.
                want = min(CHUNK, size + 1 - total)
                chunk = stream.read(want) if want > 0 else b""
                if not chunk:
                    break
                total += len(chunk)
                if total > size:
                    raise SizeMismatch(f"more than the {size} bytes this URL accepts")
                md5.update(chunk)
                out.write(chunk)
            if total != size:
                raise SizeMismatch(f"received {total} bytes, the URL was signed for {size}")
            out.flush()
            os.fsync(out.fileno())
        etag = quoted_md5(md5.hexdigest())
        if upload:
            install(tmp, target, etag)
        else:
            os.replace(tmp, target)
    finally:
        tmp.unlink(missing_ok=True)
    return etag


def install(tmp: Path, target: Path, etag: str) -> None:
    """Rename an uploaded object into place beside its ETag record, unless its key is sealed."""
    held = tmp.stat()  # a rename keeps size and mtime: the record names exactly these bytes
    record = json.dumps({"etag": etag, "size": held.st_size, "mtime_ns": held.st_mtime_ns})
    with locked(target.parent):
        if is_sealed(target):
            raise Sealed(f"{target.name!r} was confirmed while this upload arrived; it was not kept")
        note = temp_beside(target)
        try:
            note.write_text(record)
            os.replace(note, sidecar(target, ETAG_RECORD))
        finally:
            note.unlink(missing_ok=True)
        os.replace(tmp, target)


def seal(target: Path) -> ObjectStat | None:
    """Mark `target` sealed (no upload replaces it from now on) and return it as sealed; None when absent."""
    try:
        with locked(target.parent):  # a deletion holds it too: sealed whole, or found gone
            try:
                src = open(target, "rb")  # noqa: SIM115 - closed by `with src` below; only the open is guarded
            except (FileNotFoundError, IsADirectoryError):
                return None
            with src:
                sidecar(target, SEAL).touch()
                return stat_open(target, src)
    except (FileNotFoundError, NotADirectoryError):  # no folder, or a deletion removed it before the lock
        return None


def stat_open(target: Path, src: BinaryIO) -> ObjectStat:
    """Size and ETag of the object open as `src`: from its record when that names these bytes, else hashed."""
    held = os.fstat(src.fileno())
    try:
        record = json.loads(sidecar(target, ETAG_RECORD).read_text())
        if record["size"] == held.st_size and record["mtime_ns"] == held.st_mtime_ns:
            return ObjectStat(size=held.st_size, etag=record["etag"])
    except (OSError, ValueError, KeyError, TypeError):
        pass  # no record (worker outputs keep none) or a broken one: the bytes decide
    md5 = hashlib.md5(usedforsecurity=False)
    for chunk in iter(lambda: src.read(CHUNK), b""):
        md5.update(chunk)
    src.seek(0)
    return ObjectStat(size=held.st_size, etag=quoted_md5(md5.hexdigest()))


def part_etag(part: Path) -> str:
    """A multipart part's ETag: from the record written beside it, else hashed."""
    try:
        return part.with_suffix(".etag").read_text()
    except FileNotFoundError:
        md5 = hashlib.md5(usedforsecurity=False)
        with open(part, "rb") as src:
            for chunk in iter(lambda: src.read(CHUNK), b""):
                md5.update(chunk)
        return quoted_md5(md5.hexdigest())
