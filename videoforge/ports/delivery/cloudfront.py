"""Delivery through Amazon CloudFront with restricted viewer access: one custom-policy signature per video grant.

The policy names a wildcard resource, `<CDN_URL>/processed/<video>/*`, and an expiry; CloudFront checks the
RSA-SHA1 signature with the public key of the trusted key group named by Key-Pair-Id. Every URI of a playlist
carries the same three parameters (`Policy`, `Signature`, `Key-Pair-Id`, in the order botocore's CloudFrontSigner
writes them), or none when the grant goes as signed cookies. The distribution's cache policy leaves the query
string and cookies out of the cache key, so a segment is fetched from the bucket once for every viewer.

Expiries are rounded up to the next minute and signatures kept in a small memo, so a busy video costs one RSA
signature per minute per process however many viewers ask.
"""

from __future__ import annotations

import base64
import json
import re
import threading
import time
from collections import OrderedDict
from typing import Any
from urllib.parse import urlsplit

from cryptography.exceptions import UnsupportedAlgorithm
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa

from videoforge.config import ENV_PREFIX, ConfigError
from videoforge.ports.delivery import Cookie, MediaGrant
from videoforge.ports.storage.signing import quote_key

GRANULARITY = 60
"""Expiries are rounded up to a multiple of this many seconds, so grants made within it share one signature."""
MEMO_SIZE = 4096
# CloudFront's public key ids (K...) and legacy key-pair ids (APKA...): letters and digits only.
_KEY_ID = re.compile(r"[A-Za-z0-9]{1,128}").fullmatch
# CloudFront's URL-safe base64: the three characters a query string or cookie cannot carry plainly.
_CLOUDFRONT_B64 = bytes.maketrans(b"+=/", b"-_~")


def cloudfront_b64(data: bytes) -> str:
    """Base64 with `+`, `=` and `/` replaced by `-`, `_` and `~`, as CloudFront expects in URLs and cookies."""
    return base64.b64encode(data).translate(_CLOUDFRONT_B64).decode("ascii")


def custom_policy(resource: str, expires: int) -> str:
    """The policy JSON, byte for byte as botocore's CloudFrontSigner.build_policy writes it (no spaces)."""
    statement = {"Resource": resource, "Condition": {"DateLessThan": {"AWS:EpochTime": expires}}}
    return json.dumps({"Statement": [statement]}, separators=(",", ":"))


def load_private_key(pem: str, setting: str = "CDN_PRIVATE_KEY") -> rsa.RSAPrivateKey:
    """The RSA key from PEM text (literal `\\n` accepted, as environment files write it); ConfigError otherwise."""
    text = pem.replace("\\n", "\n").strip().encode()
    try:
        key = serialization.load_pem_private_key(text, password=None)
    except (ValueError, TypeError, UnsupportedAlgorithm):
        # The error names the setting, never the key's bytes.
        raise ConfigError(f"{ENV_PREFIX}{setting}: not an unencrypted PEM private key") from None
    if not isinstance(key, rsa.RSAPrivateKey):
        raise ConfigError(f"{ENV_PREFIX}{setting}: CloudFront signs with RSA keys only")
    return key


def _rounded_expiry(expires_in: int, now: int | None = None) -> int:
    """`expires_in` seconds from now, rounded up to the next multiple of GRANULARITY."""
    at = (int(time.time()) if now is None else now) + expires_in
    return -(-at // GRANULARITY) * GRANULARITY


class CloudFrontDelivery:
    """Signs grants for a CloudFront distribution whose trusted key group holds our public key."""

    def __init__(self, base_url: str, key_pair_id: str, private_key: rsa.RSAPrivateKey,
                 cookie_domain: str | None = None):
        """`cookie_domain` set means grants go as signed cookies for that domain instead of in every URL."""
        if not _KEY_ID(key_pair_id or ""):
            raise ConfigError(f"{ENV_PREFIX}CDN_KEY_PAIR_ID: {key_pair_id!r} is not a CloudFront key id")
        self.base_url = base_url.rstrip("/")
        self.key_pair_id = key_pair_id
        self.cookie_domain = cookie_domain
        self.credentials = cookie_domain is not None
        self._key = private_key
        self._base_path = urlsplit(self.base_url).path
        self._secure = self.base_url.startswith("https:")
        self._memo: OrderedDict[tuple[str, int], tuple[str, str]] = OrderedDict()
        self._lock = threading.Lock()

    @classmethod
    def from_config(cls, config: dict[str, Any]) -> CloudFrontDelivery:
        base_url = config["CDN_URL"]
        cookie_domain = None
        if config.get("CDN_SIGNED_COOKIES"):
            cookie_domain = (config.get("CDN_COOKIE_DOMAIN") or "").lstrip(".").lower()
            host = (urlsplit(base_url).hostname or "").lower()
            if not cookie_domain or not (host == cookie_domain or host.endswith("." + cookie_domain)):
                raise ConfigError(f"{ENV_PREFIX}CDN_COOKIE_DOMAIN: signed cookies need a domain that CDN_URL's host "
                                  f"{host!r} is in, shared with the app's own host (e.g. example.com)")
        return cls(base_url, config["CDN_KEY_PAIR_ID"], load_private_key(config["CDN_PRIVATE_KEY"]), cookie_domain)

    def resource(self, prefix: str) -> str:
        """The policy's resource: every object under `prefix` (ends in "/") on this distribution."""
        return f"{self.base_url}/{quote_key(prefix)}*"

    def signed(self, resource: str, expires: int) -> tuple[str, str]:
        """(Policy, Signature) in CloudFront's base64 for `resource` until `expires`, memoised."""
        item = (resource, expires)
        with self._lock:
            if item in self._memo:
                self._memo.move_to_end(item)
                return self._memo[item]
        policy = custom_policy(resource, expires).encode()
        # CloudFront verifies RSA PKCS#1 v1.5 over SHA-1: its only accepted scheme for signed URLs and cookies.
        signature = self._key.sign(policy, padding.PKCS1v15(), hashes.SHA1())
        pair = (cloudfront_b64(policy), cloudfront_b64(signature))
        with self._lock:
            self._memo[item] = pair
            while len(self._memo) > MEMO_SIZE:
                self._memo.popitem(last=False)
        return pair

    def object_url(self, key: str, expires_in: int) -> str:
        # A canned policy: the resource is the exact URL, so only Expires travels (botocore's date_less_than form).
        url, expires = f"{self.base_url}/{quote_key(key)}", _rounded_expiry(expires_in)
        _, signature = self.signed(url, expires)
        return f"{url}?Expires={expires}&Signature={signature}&Key-Pair-Id={self.key_pair_id}"

    def grant(self, prefix: str, expires_in: int) -> MediaGrant:
        if not prefix.endswith("/"):
            raise ValueError("a prefix ends with '/'")
        now = int(time.time())
        expires = _rounded_expiry(expires_in, now)
        policy, signature = self.signed(self.resource(prefix), expires)
        base = self.base_url
        if self.cookie_domain is None:
            query = f"Policy={policy}&Signature={signature}&Key-Pair-Id={self.key_pair_id}"
            return MediaGrant(url=lambda key: f"{base}/{quote_key(key)}?{query}", expires=expires)
        path = f"{self._base_path}/{quote_key(prefix)}"
        cookies = tuple(Cookie(name, value, self.cookie_domain, path, expires - now, self._secure) for name, value in (
            ("CloudFront-Policy", policy), ("CloudFront-Signature", signature),
            ("CloudFront-Key-Pair-Id", self.key_pair_id)))
        return MediaGrant(url=lambda key: f"{base}/{quote_key(key)}", expires=expires, cookies=cookies)
