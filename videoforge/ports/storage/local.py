"""Local folder object store: files under one root, app-signed URLs, multipart parts in a side folder."""

from __future__ import annotations

import contextlib
import hashlib
import mimetypes
import os
import posixpath
import re
import secrets
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import IO, Any

from videoforge.disposition import attachment
from videoforge.ports.storage import (
    InvalidParts,
    NoSuchUpload,
    ObjectChanged,
    ObjectStat,
    PresignedPut,
    Sealed,
    StorageError,
    UploadedPart,
)
from videoforge.ports.storage import local_files as files
from videoforge.ports.storage.local_files import CHUNK, bare, quoted_md5
from videoforge.ports.storage.signing import UrlSigner, quote_key

MAX_PART_SIZE = 5 * 1024**3  # S3's own limit per part
MAX_PARTS = 10_000
MULTIPART_DIR = ".multipart"
URL_PREFIX = "/api/storage"

# Types players and browsers need exactly; Python's table lacks or misnames several (.ts is a Qt type there).
CONTENT_TYPES = {
    ".m3u8": "application/vnd.apple.mpegurl",
    ".m4s": "video/iso.segment",
    ".mp4": "video/mp4",
    ".m4v": "video/mp4",
    ".ts": "video/mp2t",
    ".jpg": "image/jpeg",
    ".jpeg": "image/jpeg",
    ".png": "image/png",
    ".webp": "image/webp",
    ".vtt": "text/vtt",
    ".json": "application/json",
    ".mov": "video/quicktime",
    ".webm": "video/webm",
    ".mkv": "video/x-matroska",
}
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")


class InvalidKey(StorageError, ValueError):
    """A key that could escape the store's folder or hide among its own files."""


def content_type_of(key: str) -> str:
    """The Content-Type a stored object is served with, from its extension."""
    suffix = os.path.splitext(key)[1].lower()
    return CONTENT_TYPES.get(suffix) or mimetypes.guess_type(key)[0] or "application/octet-stream"


# Segments of letters, digits, "_", "-", "~", "." that do not start with a dot: the keys the app makes.
_safe_key = re.compile(r"(?:[A-Za-z0-9_~-][A-Za-z0-9._~-]*/)*[A-Za-z0-9_~-][A-Za-z0-9._~-]*").fullmatch


def check_key(key: str) -> str:
    """The key itself when it is a safe relative path; InvalidKey otherwise."""
    if isinstance(key, str) and len(key) <= 1024 and _safe_key(key):
        return key  # the fast path, taken for every segment URL of a playlist
    if not isinstance(key, str) or not key or len(key) > 1024:
        raise InvalidKey("a key is a non-empty string of at most 1024 characters")
    if _CONTROL.search(key) or "\\" in key:
        raise InvalidKey(f"key {key!r} holds a control character or backslash")
    for segment in key.split("/"):
        if not segment or segment.startswith("."):
            # Also refuses "..", "." and hidden names: temp files and the multipart folder live there.
            raise InvalidKey(f"key {key!r} has an empty, relative or hidden path segment")
    return key


class LocalStorage:
    """The embedded object store. Browsers reach it through the app's /api/storage blueprint."""

    def __init__(self, root: str | os.PathLike, base_url: str | Callable[[], str], secret: str | bytes):
        """`base_url` is where browsers reach the storage blueprint, or a function that says so per request."""
        self.root = Path(root).resolve()
        self.root.mkdir(parents=True, exist_ok=True)
        self._base_url = base_url if callable(base_url) else base_url.rstrip("/")
        self.signer = UrlSigner(secret)

    @classmethod
    def from_config(cls, config: dict[str, Any]) -> LocalStorage:
        prefix = (config.get("URL_PREFIXES") or {}).get("storage", URL_PREFIX)
        if config.get("PUBLIC_URL"):
            return cls(config["STORAGE_PATH"], config["PUBLIC_URL"].rstrip("/") + prefix, config["SECRET_KEY"])
        from videoforge.urls import public_url

        # No PUBLIC_URL: each URL goes to the scheme and host the request being answered came in on.
        return cls(config["STORAGE_PATH"], lambda: public_url(config) + prefix, config["SECRET_KEY"])

    @property
    def base_url(self) -> str:
        return self._base_url() if callable(self._base_url) else self._base_url

    # --- paths -----------------------------------------------------------------------------------

    def path_of(self, key: str) -> Path:
        """The file that holds `key` (which need not exist)."""
        return self.root / check_key(key)

    def _upload_dir(self, key: str, upload_id: str) -> Path:
        if not re.fullmatch(r"[0-9a-f]{32}", upload_id or ""):
            raise NoSuchUpload(f"no multipart upload {upload_id!r}")
        folder = self.root / MULTIPART_DIR / upload_id
        try:
            owner = (folder / "key").read_text()
        except FileNotFoundError:
            raise NoSuchUpload(f"no multipart upload {upload_id!r}") from None
        if owner != key:
            raise NoSuchUpload(f"multipart upload {upload_id!r} is not for key {key!r}")
        return folder

    def _url(self, key: str, query: str) -> str:
        return f"{self.base_url}/{quote_key(key)}?{query}"

    # --- the Storage protocol -------------------------------------------------------------------

    def presign_put(self, key: str, size: int, content_type: str, expires_in: int) -> PresignedPut:
        check_key(key)
        if size < 0:
            raise ValueError("size must not be negative")
        url = self._url(key, self.signer.query("PUT", key, expires_in, size=size))
        return PresignedPut(url=url, headers={"Content-Type": content_type})

    def presign_get(self, key: str, expires_in: int, download_as: str | None = None) -> str:
        check_key(key)
        if download_as is None:
            return self._url(key, self.signer.query("GET", key, expires_in))
        # The header is signed with the URL: nobody can make the store answer another one.
        return self._url(key, self.signer.query("GET", key, expires_in, disposition=attachment(download_as)))

    def presign_prefix(self, prefix: str, expires_in: int) -> Callable[[str], str]:
        # One signature for every object under the prefix: each URL is the key plus the same query string.
        if not prefix.endswith("/"):
            raise ValueError("a prefix ends with '/'")
        check_key(prefix[:-1])
        query = self.signer.query("GET", prefix, expires_in, prefix=prefix)
        base = self.base_url
        return lambda key: f"{base}/{quote_key(key)}?{query}"

    def create_multipart(self, key: str, content_type: str) -> str:
        check_key(key)
        upload_id = secrets.token_hex(16)
        folder = self.root / MULTIPART_DIR / upload_id
        folder.mkdir(parents=True)
        (folder / "key").write_text(key)
        return upload_id

    def presign_part(self, key: str, upload_id: str, number: int, size: int, expires_in: int) -> str:
        check_key(key)
        if not 1 <= number <= MAX_PARTS:
            raise ValueError(f"part number must be 1..{MAX_PARTS}")
        if not 0 < size <= MAX_PART_SIZE:
            raise ValueError(f"part size must be 1..{MAX_PART_SIZE} bytes")
        return self._url(key, self.signer.query("PUT", key, expires_in, size=size, upload=upload_id, part=number))

    def list_parts(self, key: str, upload_id: str) -> list[UploadedPart]:
        folder = self._upload_dir(key, upload_id)
        parts = []
        for entry in sorted(folder.glob("*.part")):
            number = int(entry.stem)
            parts.append(UploadedPart(number=number, etag=files.part_etag(entry), size=entry.stat().st_size))
        return parts

    def complete_multipart(self, key: str, upload_id: str, parts: list[tuple[int, str]]) -> None:
        folder = self._upload_dir(key, upload_id)
        if not parts:
            raise InvalidParts("a multipart upload completes with at least one part")
        numbers = [number for number, _ in parts]
        if numbers != sorted(set(numbers)):
            raise InvalidParts("parts must be listed once each, in ascending order")
        chosen = []
        for number, etag in parts:
            part = folder / f"{number:05d}.part"
            if not part.is_file():
                raise InvalidParts(f"part {number} has not been uploaded")
            if bare(files.part_etag(part)) != bare(etag):
                raise InvalidParts(f"part {number} has ETag {files.part_etag(part)}, not {etag}")
            chosen.append(part)
        target = self.path_of(key)
        target.parent.mkdir(parents=True, exist_ok=True)
        tmp = files.temp_beside(target)
        # The whole object's MD5, as for a single PUT, so the ETag can always be recomputed from the bytes alone.
        md5 = hashlib.md5(usedforsecurity=False)
        try:
            with open(tmp, "wb") as out:
                for part in chosen:
                    with open(part, "rb") as src:
                        for chunk in iter(lambda: src.read(CHUNK), b""):
                            md5.update(chunk)
                            out.write(chunk)
                out.flush()
                os.fsync(out.fileno())
            files.install(tmp, target, quoted_md5(md5.hexdigest()))
        finally:
            tmp.unlink(missing_ok=True)
        shutil.rmtree(folder, ignore_errors=True)

    def abort_multipart(self, key: str, upload_id: str) -> None:
        try:
            folder = self._upload_dir(key, upload_id)
        except NoSuchUpload:
            return  # already gone: aborting is idempotent
        shutil.rmtree(folder, ignore_errors=True)

    def size_of(self, key: str) -> int | None:
        path = self.path_of(key)
        return path.stat().st_size if path.is_file() else None

    def stat(self, key: str) -> ObjectStat | None:
        target = self.path_of(key)
        try:
            with open(target, "rb") as src:
                return files.stat_open(target, src)
        except (FileNotFoundError, IsADirectoryError, NotADirectoryError):
            return None

    def seal(self, key: str) -> ObjectStat | None:
        return files.seal(self.path_of(key))

    def upload_file(self, key: str, path: str, content_type: str) -> None:
        target = self.path_of(key)
        target.parent.mkdir(parents=True, exist_ok=True)
        with open(path, "rb") as src:
            files.write_atomic(target, src, size=os.fstat(src.fileno()).st_size)

    def download_file(self, key: str, path: str, expect: ObjectStat | None = None) -> None:
        source = self.path_of(key)
        if expect is None:
            if not source.is_file():
                raise FileNotFoundError(f"no object {key!r}")
            shutil.copyfile(source, path)
            return
        try:
            src = open(source, "rb")  # noqa: SIM115 - closed by `with src` below; only the open is guarded
        except (IsADirectoryError, NotADirectoryError):
            raise FileNotFoundError(f"no object {key!r}") from None
        with src:  # objects are replaced by rename, never rewritten: the open file is one object throughout
            held = files.stat_open(source, src)
            if held.size != expect.size or bare(held.etag) != bare(expect.etag):
                raise ObjectChanged(f"{key!r} holds {held.size} bytes with ETag {held.etag}, "
                                    f"not {expect.size} bytes with ETag {expect.etag}")
            with open(path, "wb") as out:
                shutil.copyfileobj(src, out, CHUNK)

    def read_bytes(self, key: str) -> bytes:
        source = self.path_of(key)
        if not source.is_file():
            raise FileNotFoundError(f"no object {key!r}")
        return source.read_bytes()

    def delete_prefix(self, prefix: str) -> int:
        if not prefix or ".." in prefix.split("/") or prefix.startswith("/") or _CONTROL.search(prefix):
            raise InvalidKey(f"prefix {prefix!r} is empty or could escape the store")
        base = self.root / (prefix if prefix.endswith("/") else os.path.dirname(prefix))
        if not base.is_dir() or base == self.root / MULTIPART_DIR:
            return 0
        deleted = 0
        for walked, _dirs, _names in os.walk(base, topdown=False):
            folder = Path(walked)
            try:
                # Under the folder's lock, listed afresh: a seal or an upload's rename there (a confirm racing a
                # deletion) lands wholly before, and goes, or finds its object gone, never half of each.
                with files.locked(folder):
                    deleted += self._delete_in(folder, prefix)
                    if folder != self.root:
                        with contextlib.suppress(OSError):  # not empty: other objects live here
                            os.rmdir(folder)
            except FileNotFoundError:
                continue  # another deletion took the folder first
        return deleted

    def _delete_in(self, folder: Path, prefix: str) -> int:
        """The objects directly in `folder` under `prefix`, with their sidecars; how many objects went."""
        deleted = 0
        with os.scandir(folder) as entries:  # the listing's file types: no stat per entry
            names = [entry.name for entry in entries if not entry.is_dir()]
        for name in names:
            path = folder / name
            key = path.relative_to(self.root).as_posix()
            if name.startswith("."):
                owner = files.sidecar_owner(name)
                if owner and posixpath.join(posixpath.dirname(key), owner).startswith(prefix):
                    path.unlink(missing_ok=True)  # an object's ETag record and seal go with it, uncounted
                continue  # in-flight temp files belong to a PUT that renames them itself
            if key.startswith(prefix):
                path.unlink(missing_ok=True)
                deleted += 1
        return deleted

    # --- what the storage blueprint needs -----------------------------------------------------

    def receive_object(self, key: str, stream: IO[bytes], size: int) -> str:
        """Write a PUT body of exactly `size` bytes as `key`, atomically, unless sealed; its quoted-MD5 ETag."""
        target = self.path_of(key)
        if files.is_sealed(target):  # refused before a byte is read; checked again at the rename
            raise Sealed(f"{key!r} was confirmed; its bytes can no longer be replaced")
        target.parent.mkdir(parents=True, exist_ok=True)
        return files.write_atomic(target, stream, size=size, upload=True)

    def receive_part(self, key: str, upload_id: str, number: int, stream: IO[bytes], size: int) -> str:
        """Store one part of exactly `size` bytes (replacing an earlier try); its quoted-MD5 ETag."""
        folder = self._upload_dir(key, upload_id)
        if not 1 <= number <= MAX_PARTS:
            raise ValueError(f"part number must be 1..{MAX_PARTS}")
        if not 0 < size <= MAX_PART_SIZE:
            raise ValueError(f"part size must be 1..{MAX_PART_SIZE} bytes")
        part = folder / f"{number:05d}.part"
        part.with_suffix(".etag").unlink(missing_ok=True)
        etag = files.write_atomic(part, stream, size=size)
        sidecar = files.temp_beside(part)
        sidecar.write_text(etag)
        os.replace(sidecar, part.with_suffix(".etag"))
        return etag
