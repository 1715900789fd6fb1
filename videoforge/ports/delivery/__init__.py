"""Media delivery port: the URLs browsers fetch a video's segments, posters and sprites from.

Playlists are served by streaming after its access check; the media they name is fetched straight from the edge
or the store. A grant covers one video's prefix (`processed/<video>/`) for one viewer session:

- `storage` (the default): the object store signs. Local storage signs the prefix once (one HMAC per grant, the
  same query string on every URI); S3 has no prefix signature, so each URL is presigned on its own.
- `cdn`: CloudFront signs. One custom-policy signature with a wildcard resource on the video's prefix, appended to
  every URI (or sent once as three cookies), so a segment's path is the same for every viewer and the edge caches
  it once for all of them (its cache key is the path alone).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Protocol

if TYPE_CHECKING:
    from flask import Flask

    from videoforge.ports.storage import Storage

EXTENSION = "videoforge.delivery"
"""Key of the cached adapter in app.extensions."""


@dataclass(frozen=True)
class Cookie:
    """A cookie the viewer's browser must hold for media requests (CloudFront signed cookies)."""

    name: str
    value: str
    domain: str
    path: str
    max_age: int
    secure: bool


@dataclass(frozen=True)
class MediaGrant:
    """Read access to one video's objects until `expires` (epoch seconds): `url(key)` names an object under it."""

    url: Callable[[str], str]
    expires: int
    cookies: tuple[Cookie, ...] = ()


class Delivery(Protocol):
    """What every delivery adapter offers."""

    # True when media requests must carry cookies (players set withCredentials on their requests).
    credentials: bool

    def grant(self, prefix: str, expires_in: int) -> MediaGrant: ...
    # A signed URL for one object (a gallery poster), on its own: no cookies needed.
    def object_url(self, key: str, expires_in: int) -> str: ...


def make_delivery(config: dict[str, Any], storage: Storage) -> Delivery:
    """The adapter named by MEDIA_DELIVERY; the CloudFront key is loaded only for `cdn`."""
    if config.get("MEDIA_DELIVERY") == "cdn":
        from videoforge.ports.delivery.cloudfront import CloudFrontDelivery

        return CloudFrontDelivery.from_config(config)
    from videoforge.ports.delivery.storage import StorageDelivery

    return StorageDelivery(storage)


def get_delivery(app: Flask) -> Delivery:
    """The app's adapter, made on first use and cached."""
    delivery: Delivery | None = app.extensions.get(EXTENSION)
    if delivery is None:
        from videoforge.ports.storage import get_storage

        delivery = app.extensions.setdefault(EXTENSION, make_delivery(dict(app.config), get_storage(app)))
    return delivery
