"""Fast SigV4 query-string presigner for S3: the same URL bytes as botocore, at a few µs each."""

from __future__ import annotations

import calendar
import datetime as _dt
import hashlib
import hmac
import re
import time
from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING, Any, NamedTuple
from urllib.parse import quote, urlsplit

if TYPE_CHECKING:
    from _hashlib import HASH  # what hashlib.sha256() returns

# Byte-identity with botocore means using its exact encoding rules: query keys and values keep
# only RFC 3986 unreserved characters; object keys keep "/" as well (botocore's `{Key+}` label).
_QUERY_SAFE = "-._~"
_KEY_SAFE = "/~"
_plain_key = re.compile(r"[A-Za-z0-9/_.~-]+").fullmatch  # keys that need no quoting (most of ours)
_dns_bucket = re.compile(r"[a-z0-9][a-z0-9-]{1,61}[a-z0-9]").fullmatch
_ipv4 = re.compile(r"\d{1,3}(?:\.\d{1,3}){3}").fullmatch

METHODS = frozenset({"GET", "PUT", "HEAD", "DELETE", "POST"})
MAX_EXPIRES = 7 * 24 * 3600  # SigV4 presigned URLs cannot live longer than 7 days
_STAMP = "%Y%m%dT%H%M%SZ"


class FrozenCredentials(NamedTuple):
    """One consistent (access key, secret key, session token) snapshot."""

    access_key: str
    secret_key: str
    token: str | None


CredentialsLike = tuple | Any
"""A tuple (access_key, secret_key[, token]) or a botocore Credentials / RefreshableCredentials."""

Now = _dt.datetime | int | float | None


def _freeze(credentials: CredentialsLike) -> FrozenCredentials:
    """Snapshot any accepted credentials shape; botocore's refreshable ones refresh here if due."""
    if isinstance(credentials, tuple):
        if len(credentials) not in (2, 3):
            raise ValueError("credentials tuple must be (access_key, secret_key[, session_token])")
        access_key, secret_key, *rest = credentials
        token = rest[0] if rest else None
    else:
        getter = getattr(credentials, "get_frozen_credentials", None)
        snapshot = getter() if getter else credentials
        access_key = getattr(snapshot, "access_key", None)
        secret_key = getattr(snapshot, "secret_key", None)
        token = getattr(snapshot, "token", None)
    if not access_key or not secret_key:
        raise ValueError("credentials need a non-empty access key and secret key")
    return FrozenCredentials(access_key, secret_key, token)


def _hmac_pads(key: bytes) -> tuple[HASH, HASH]:
    """Inner and outer SHA-256 states of HMAC(key, ·), so each signature costs two copies, not a key setup."""
    padded = key.ljust(64, b"\0") if len(key) <= 64 else hashlib.sha256(key).digest().ljust(64, b"\0")
    inner = hashlib.sha256(bytes(b ^ 0x36 for b in padded))
    outer = hashlib.sha256(bytes(b ^ 0x5C for b in padded))
    return inner, outer


def _hmac(key: bytes, msg: str) -> bytes:
    return hmac.new(key, msg.encode("utf-8"), hashlib.sha256).digest()


def signing_key(secret_key: str, date: str, region: str, service: str) -> bytes:
    """SigV4's derived key for one day, region and service (four chained HMACs)."""
    k_date = _hmac(("AWS4" + secret_key).encode("utf-8"), date)
    return _hmac(_hmac(_hmac(k_date, region), service), "aws4_request")


def _encode_query(pairs: Iterable[tuple[object, object]]) -> list[tuple[str, str]]:
    return [(quote(str(k), safe=_QUERY_SAFE), quote(str(v), safe=_QUERY_SAFE)) for k, v in pairs]


def _stamp_of(now: _dt.datetime | int | float) -> tuple[int, str]:
    """(epoch second, SigV4 timestamp) of an explicit signing time; naive datetimes are UTC (as botocore's)."""
    if isinstance(now, _dt.datetime):
        if now.tzinfo is not None:
            now = now.astimezone(_dt.UTC).replace(tzinfo=None)
        return calendar.timegm(now.utctimetuple()), now.strftime(_STAMP)
    if isinstance(now, (int, float)) and not isinstance(now, bool):
        second = int(now)
        return second, time.strftime(_STAMP, time.gmtime(second))
    raise TypeError(f"now must be a datetime, epoch seconds or None, not {type(now).__name__}")


class _Context:
    """Everything about a URL that does not depend on the object key, for one signing second."""

    __slots__ = (
        "auth_pairs",
        "auth_query",
        "cr_head",
        "cr_headers",
        "cr_tail",
        "outer",
        "sts_inner",
        "url_head",
        "url_tail",
    )

    def __init__(self, url_head: str, url_tail: str, cr_head: HASH, cr_tail: bytes, cr_headers: bytes,
                 sts_inner: HASH, outer: HASH, auth_pairs: list[tuple[str, str]], auth_query: str):
        self.url_head = url_head  # "https://host/bucket/"
        self.url_tail = url_tail  # "?X-Amz-...&X-Amz-Signature="
        self.cr_head = cr_head  # sha256 state over "GET\n/bucket/"
        self.cr_tail = cr_tail  # b"\n<query>\nhost:...\n\nhost\nUNSIGNED-PAYLOAD"
        self.cr_headers = cr_headers  # b"host:...\n\n<signed header names>\nUNSIGNED-PAYLOAD"
        self.sts_inner = sts_inner  # HMAC inner state already fed the string-to-sign head
        self.outer = outer
        self.auth_pairs = auth_pairs  # encoded (key, value) auth params, for requests with extra params
        self.auth_query = auth_query


class QueryPresigner:
    """SigV4 query-string presigner whose URLs equal botocore's `generate_presigned_url` byte for byte.

    The signing key is derived once per (date, region, service) and every key-independent part of
    the canonical request and string-to-sign is prepared once per signing second, so a URL costs
    one quote, one SHA-256 and one HMAC from prepared states. Safe to share between threads.

    Checksums: botocore >= 1.36 computes request checksums by default (request_checksum_calculation=
    "when_supported"), but skips that default for presigned requests, so its put_object and
    upload_part URLs carry no x-amz-checksum-* / x-amz-sdk-checksum-algorithm (checked on 1.44.8, both
    settings; the tests keep checking). A checksum of the empty body baked into a PUT URL would make
    every real upload fail anyway. Callers who want S3 to verify a checksum (botocore's
    ChecksumAlgorithm/ChecksumSHA256 Params become signed headers) are out of scope: only Host is signed,
    and Content-Length when asked (as botocore signs a ContentLength Param). That binds a PUT URL to one body
    size: a browser sets Content-Length from the body, so a body of any other size fails the signature.

    Differences from botocore, by design: endpoint_url defaults to the regional AWS endpoint
    (botocore's own default resolution is not mirrored), and virtual-hosted addressing refuses buckets
    that are not DNS labels and IP endpoints instead of silently falling back to path style.
    """

    def __init__(
        self,
        access_key: str | None = None,
        secret_key: str | None = None,
        session_token: str | None = None,
        *,
        region: str,
        endpoint_url: str | None = None,
        addressing_style: str = "path",
        service: str = "s3",
        credentials: CredentialsLike | None = None,
    ) -> None:
        if credentials is not None and (access_key or secret_key or session_token):
            raise ValueError("pass either access_key/secret_key/session_token or credentials, not both")
        if credentials is None:
            credentials = (access_key, secret_key, session_token)
        self._source = credentials
        # A tuple never changes; anything else (botocore's Credentials is mutable, its refreshable kind
        # rotates) is re-read once per signing second: cheap, and far inside the 15-minute refresh margin.
        self._static = isinstance(credentials, tuple)
        if not region or not isinstance(region, str):
            raise ValueError("region is required, e.g. 'us-east-1'")
        if addressing_style not in ("path", "virtual"):
            raise ValueError(f"addressing_style must be 'path' or 'virtual', not {addressing_style!r}")
        if not service or not isinstance(service, str):
            raise ValueError("service must be a non-empty string such as 's3'")
        self.region = region
        self.service = service
        self.addressing_style = addressing_style
        self.endpoint_url = endpoint_url or f"https://s3.{region}.amazonaws.com"
        self._scheme, self._netloc, self._host = self._parse_endpoint(self.endpoint_url)
        if addressing_style == "virtual" and (_ipv4(self._host.rsplit(":", 1)[0]) or self._host.startswith("[")):
            raise ValueError(f"virtual-hosted addressing needs a DNS endpoint, not {self.endpoint_url!r}")

        # Shared state is only ever replaced whole (one reference swap), never updated in parts, so
        # request threads sharing a presigner each see a consistent (time, credentials, context) set.
        self._creds = _freeze(credentials)
        self._creds_second = -1  # signing second at which credentials were last re-read
        self._pads: dict[tuple[str, str], tuple[Any, Any]] = {}  # (secret, date) -> HMAC states of the key
        self._contexts: tuple[str, FrozenCredentials | None, dict] = ("", None, {})  # (stamp, creds, contexts)
        self._clock: tuple[int, str] = (-1, "")  # (epoch second, stamp) of the clock
        self._given: tuple[Any, tuple[int, str]] = (None, (-1, ""))  # last explicit `now` and its stamp

    @staticmethod
    def _parse_endpoint(endpoint_url: str) -> tuple[str, str, str]:
        """(scheme, netloc as written, Host header value) — botocore keeps the URL's case but signs a lowercase host."""
        parts = urlsplit(endpoint_url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise ValueError(f"endpoint_url must be an http(s) URL with a host, not {endpoint_url!r}")
        if parts.username or parts.password or parts.query or parts.fragment or parts.path not in ("", "/"):
            raise ValueError(f"endpoint_url must be scheme://host[:port] only, not {endpoint_url!r}")
        try:
            port = parts.port
        except ValueError as exc:
            raise ValueError(f"endpoint_url has a bad port: {endpoint_url!r}") from exc
        host = f"[{parts.hostname}]" if ":" in parts.hostname else parts.hostname
        if port is not None and port != {"http": 80, "https": 443}[parts.scheme]:
            host = f"{host}:{port}"
        return parts.scheme, parts.netloc, host

    # --- time and credentials -------------------------------------------------------------------

    def _stamp(self, now: Now) -> tuple[int, str]:
        if now is None:
            second = int(time.time())
            clock = self._clock
            if clock[0] != second:
                clock = self._clock = (second, time.strftime(_STAMP, time.gmtime(second)))
            return clock
        given = self._given
        if given[0] != now:
            given = self._given = (now, _stamp_of(now))
        return given[1]

    def _refresh_credentials(self, second: int) -> None:
        """Re-read non-tuple credentials at most once per signing second (an instance role rotates them)."""
        self._creds_second = second
        fresh = _freeze(self._source)
        if fresh != self._creds:
            self._creds = fresh

    @property
    def access_key(self) -> str:
        """The access key of the credentials last read."""
        return self._creds.access_key

    def _pads_for(self, secret_key: str, date: str) -> tuple[HASH, HASH]:
        pads = self._pads.get((secret_key, date))
        if pads is None:
            if len(self._pads) > 4:  # only today's (and around midnight yesterday's) keys are useful
                self._pads = {}
            key = signing_key(secret_key, date, self.region, self.service)
            pads = self._pads[(secret_key, date)] = _hmac_pads(key)
        return pads

    # --- signing --------------------------------------------------------------------------------

    def _context(
        self, method: str, bucket: str, expires_in: int, stamp: str, creds: FrozenCredentials, signed: str
    ) -> _Context:
        if method not in METHODS:
            raise ValueError(f"method must be one of {sorted(METHODS)}, not {method!r}")
        if not isinstance(bucket, str) or not bucket:
            raise ValueError("bucket must be a non-empty string")
        if isinstance(expires_in, bool) or not isinstance(expires_in, int) or not 1 <= expires_in <= MAX_EXPIRES:
            raise ValueError(f"expires_in must be an int from 1 to {MAX_EXPIRES} seconds, not {expires_in!r}")
        date = stamp[:8]
        scope = f"{date}/{self.region}/{self.service}/aws4_request"
        # botocore's order in the URL; the canonical form sorts them.
        auth = [
            ("X-Amz-Algorithm", "AWS4-HMAC-SHA256"),
            ("X-Amz-Credential", f"{creds.access_key}/{scope}"),
            ("X-Amz-Date", stamp),
            ("X-Amz-Expires", expires_in),
            ("X-Amz-SignedHeaders", signed),
        ]
        if creds.token is not None:
            auth.append(("X-Amz-Security-Token", creds.token))
        auth_pairs = _encode_query(auth)
        auth_query = "&".join(f"{k}={v}" for k, v in auth_pairs)
        canonical_query = "&".join(f"{k}={v}" for k, v in sorted(auth_pairs))

        if self.addressing_style == "virtual":
            if not _dns_bucket(bucket):
                raise ValueError(
                    f"bucket {bucket!r} cannot be virtual-hosted (needs 3-63 lowercase letters, digits or "
                    "hyphens, no dots); use addressing_style='path'"
                )
            netloc, host, bucket_path = f"{bucket}.{self._netloc}", f"{bucket}.{self._host}", ""
        else:
            netloc, host, bucket_path = self._netloc, self._host, "/" + quote(bucket, safe=_QUERY_SAFE)

        cr_head = hashlib.sha256(f"{method}\n{bucket_path}/".encode())
        cr_headers = f"host:{host}\n\n{signed}\nUNSIGNED-PAYLOAD".encode()
        cr_tail = f"\n{canonical_query}\n".encode() + cr_headers
        inner, outer = self._pads_for(creds.secret_key, date)
        sts_inner = inner.copy()
        sts_inner.update(f"AWS4-HMAC-SHA256\n{stamp}\n{scope}\n".encode())
        return _Context(
            url_head=f"{self._scheme}://{netloc}{bucket_path}/",
            url_tail=f"?{auth_query}&X-Amz-Signature=",
            cr_head=cr_head,
            cr_tail=cr_tail,
            cr_headers=cr_headers,
            sts_inner=sts_inner,
            outer=outer,
            auth_pairs=auth_pairs,
            auth_query=auth_query,
        )

    def presign(
        self,
        method: str,
        bucket: str,
        key: str,
        expires_in: int,
        params: Mapping[str, Any] | None = None,
        now: Now = None,
        content_length: int | None = None,
    ) -> str:
        """A presigned URL for `method` on `bucket`/`key`, valid `expires_in` seconds from `now` (default: the clock).

        `params` are extra query parameters by their wire names (e.g. {"partNumber": 3, "uploadId": u}
        for upload_part, {"response-content-disposition": ...} for a GET); they are signed and appear
        in the URL in the order given, as botocore emits them in the order of its Params.
        Only the Host header is signed, as in botocore's URLs for get_object, put_object and upload_part;
        with `content_length`, Content-Length too (botocore's URL when its Params carry that ContentLength).
        """
        second, stamp = self._stamp(now)
        if second != self._creds_second and not self._static:
            self._refresh_credentials(second)
        creds = self._creds
        state = self._contexts
        if state[0] != stamp or state[1] is not creds:
            state = self._contexts = (stamp, creds, {})
        if content_length is not None and (isinstance(content_length, bool) or not isinstance(content_length, int)
                                           or content_length < 0):
            raise ValueError(f"content_length must be a whole number of bytes, not {content_length!r}")
        signed = "host" if content_length is None else "content-length;host"
        ctx = state[2].get((method, bucket, expires_in, signed))
        if ctx is None:
            ctx = state[2][(method, bucket, expires_in, signed)] = self._context(
                method, bucket, expires_in, stamp, creds, signed)

        if not isinstance(key, str) or not key:
            raise ValueError("key must be a non-empty string")
        path = key if _plain_key(key) else quote(key, safe=_KEY_SAFE)
        if params or content_length is not None:
            return self._presign_with_params(ctx, path, params or {}, content_length)
        canonical = ctx.cr_head.copy()
        canonical.update(path.encode())
        canonical.update(ctx.cr_tail)
        inner = ctx.sts_inner.copy()
        inner.update(canonical.hexdigest().encode())
        outer = ctx.outer.copy()
        outer.update(inner.digest())
        return ctx.url_head + path + ctx.url_tail + outer.hexdigest()

    def _presign_with_params(self, ctx: _Context, path: str, params: Mapping[str, Any],
                             content_length: int | None = None) -> str:
        pairs = _encode_query(params.items())
        for name, _ in pairs:
            if name.startswith("X-Amz-"):
                raise ValueError(f"query parameter {name!r} is reserved for the signature")
        # SigV4 sorts by encoded name, then value — as tuples, not as "k=v" strings.
        canonical_query = "&".join(f"{k}={v}" for k, v in sorted(pairs + ctx.auth_pairs))
        canonical = ctx.cr_head.copy()
        canonical.update(path.encode())
        # Canonical headers are sorted by name: content-length comes before host.
        length = b"" if content_length is None else f"content-length:{content_length}\n".encode()
        canonical.update(f"\n{canonical_query}\n".encode() + length + ctx.cr_headers)
        inner = ctx.sts_inner.copy()
        inner.update(canonical.hexdigest().encode())
        outer = ctx.outer.copy()
        outer.update(inner.digest())
        operation_query = "".join(f"{k}={v}&" for k, v in pairs)
        return f"{ctx.url_head}{path}?{operation_query}{ctx.auth_query}&X-Amz-Signature={outer.hexdigest()}"
