"""Delivery by the object store itself: its own signed GETs (one per prefix locally, one per URL on S3)."""

from __future__ import annotations

import time

from videoforge.ports.delivery import MediaGrant
from videoforge.ports.storage import Storage


class StorageDelivery:
    """Media URLs signed by the store the renditions live in."""

    credentials = False

    def __init__(self, storage: Storage):
        self.storage = storage

    def grant(self, prefix: str, expires_in: int) -> MediaGrant:
        return MediaGrant(url=self.storage.presign_prefix(prefix, expires_in), expires=int(time.time()) + expires_in)

    def object_url(self, key: str, expires_in: int) -> str:
        return self.storage.presign_get(key, expires_in)
