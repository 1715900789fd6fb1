"""Object store port: presigned uploads (single and multipart), signed reads, and file transfer for the worker."""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Protocol

if TYPE_CHECKING:
    from flask import Flask

EXTENSION = "videoforge.storage"
"""Key of the cached adapter in app.extensions."""


class StorageError(Exception):
    """A storage operation the store refused; the message says why."""


class NoSuchUpload(StorageError):
    """The multipart upload is unknown: never created, completed or aborted."""


class InvalidParts(StorageError):
    """A multipart completion named a part the store does not hold, or with another ETag."""


class ObjectChanged(StorageError):
    """The stored object is not the one expected (another size or ETag): it was replaced since."""


class Sealed(StorageError):
    """The object was sealed (its upload confirmed): presigned writes to it are refused."""


@dataclass(frozen=True)
class ObjectStat:
    """What identifies a stored object's bytes: its size and its quoted ETag."""

    size: int
    etag: str


@dataclass(frozen=True)
class UploadedPart:
    """A multipart part the store already holds."""

    number: int
    etag: str
    size: int


@dataclass(frozen=True)
class PresignedPut:
    """A single PUT the browser sends the bytes with."""

    url: str
    headers: dict[str, str] = field(default_factory=dict)
    method: str = "PUT"


class Storage(Protocol):
    """What every object store adapter offers."""

    def presign_put(self, key: str, size: int, content_type: str, expires_in: int) -> PresignedPut: ...
    # With `download_as`, the store answers `Content-Disposition: attachment` offering that file name (made safe by
    # videoforge.disposition), so a browser saves the object instead of showing it.
    def presign_get(self, key: str, expires_in: int, download_as: str | None = None) -> str: ...
    # A URL maker for reads of every object under `prefix` (ends in "/"): one shared signature where the store
    # can (local), one presign per URL where it cannot (S3).
    def presign_prefix(self, prefix: str, expires_in: int) -> Callable[[str], str]: ...
    def create_multipart(self, key: str, content_type: str) -> str: ...
    # The URL accepts a body of exactly `size` bytes: the size is part of what its signature binds.
    def presign_part(self, key: str, upload_id: str, number: int, size: int, expires_in: int) -> str: ...
    def list_parts(self, key: str, upload_id: str) -> list[UploadedPart]: ...
    def complete_multipart(self, key: str, upload_id: str, parts: list[tuple[int, str]]) -> None: ...
    def abort_multipart(self, key: str, upload_id: str) -> None: ...
    def size_of(self, key: str) -> int | None: ...
    def stat(self, key: str) -> ObjectStat | None: ...
    # Refuse further presigned writes to `key` where the store can (local; an S3 presigned PUT cannot be
    # revoked), and return the object as sealed; None when there is no object.
    def seal(self, key: str) -> ObjectStat | None: ...
    def upload_file(self, key: str, path: str, content_type: str) -> None: ...
    # With `expect`, raises ObjectChanged unless the bytes downloaded are that object (size and ETag).
    def download_file(self, key: str, path: str, expect: ObjectStat | None = None) -> None: ...
    # A small object's bytes (a playlist); FileNotFoundError when there is none.
    def read_bytes(self, key: str) -> bytes: ...
    def delete_prefix(self, prefix: str) -> int: ...


def make_storage(config: dict[str, Any]) -> Storage:
    """The adapter named by STORAGE_BACKEND; boto3 is imported only for s3."""
    if config["STORAGE_BACKEND"] == "s3":
        from videoforge.ports.storage.s3 import S3Storage

        return S3Storage.from_config(config)
    from videoforge.ports.storage.local import LocalStorage

    return LocalStorage.from_config(config)


def get_storage(app: Flask) -> Storage:
    """The app's adapter, made on first use and cached (an S3 client costs 60-220 ms to create)."""
    storage: Storage | None = app.extensions.get(EXTENSION)
    if storage is None:
        config = dict(app.config)
        if not config.get("STORAGE_PATH"):
            config["STORAGE_PATH"] = os.path.join(app.instance_path, "storage")
        storage = app.extensions.setdefault(EXTENSION, make_storage(config))
    return storage
