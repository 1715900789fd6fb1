"""A loopback stand-in for CloudFront's edge: signed URLs and cookies checked as AWS documents them, objects from S3.

Written from the CloudFront Developer Guide ("Create a signed URL using a canned / custom policy", "Set signed
cookies using a canned / custom policy", "Decide to use signed URLs or signed cookies"), not from any signer, so the
app's CloudFront URLs are judged by code that did not make them. It plays one distribution whose cache behaviour
has restricted viewer access (a trusted key group) in front of an S3 origin read with the edge's own credentials
(as origin access control reads), with the cache key on the path alone.

    edge = EdgeServer({key.key_pair_id: key.public_pem}, weed.client(), weed.bucket, path_pattern="processed/*")
    edge.start()   # edge.url is http://127.0.0.1:<port>; edge.records, edge.origin_fetches, edge.cache_keys
"""

from __future__ import annotations

import base64
import binascii
import html
import ipaddress
import json
import re
import secrets
import string
import sys
import threading
import time
import urllib.parse
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from botocore.client import BaseClient
from botocore.exceptions import ClientError
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa

from tests.servers import WeedServer

# A URL that carries any of these is a signed URL, and CloudFront then never looks at the cookies.
SIGNING_PARAMS = ("Expires", "Policy", "Signature", "Key-Pair-Id", "Hash-Algorithm")
HASHES: dict[str, Callable[[], hashes.HashAlgorithm]] = {"SHA1": hashes.SHA1, "SHA256": hashes.SHA256}
# CloudFront's base64 for query strings and cookies: '+' '=' '/' become '-' '_' '~'; the standard ones are refused,
# so a signer that forgot the substitution is caught here rather than by a browser that turned '+' into a space.
URL_SAFE_B64 = re.compile(r"[A-Za-z0-9\-_~]+")
FROM_URL_SAFE = str.maketrans("-_~", "+=/")
CONDITIONS = {"DateLessThan", "DateGreaterThan", "IpAddress"}


class Refusal(Exception):
    """Why the edge does not serve: a short reason (recorded, and the body's Message), CloudFront's code, a status."""

    def __init__(self, reason: str, code: str = "AccessDenied", status: int = 403,
                 headers: tuple[tuple[str, str], ...] = ()) -> None:
        super().__init__(reason)
        self.reason, self.code, self.status, self.headers = reason, code, status, headers


@dataclass(frozen=True)
class Signed:
    """The signing values of one request, from its query string or from its CloudFront-* cookies."""

    key_pair_id: str | None
    signature: str | None
    policy: str | None
    expires: str | None
    hash_algorithm: str


@dataclass(frozen=True)
class Viewer:
    """What the policy is checked against: the URL as viewed (signing parameters removed), the client's address."""

    url: str
    ip: str
    now: float


@dataclass(frozen=True)
class EdgeRecord:
    """One request the edge answered, for assertions."""

    method: str
    path: str
    status: int
    reason: str
    cache: str = ""  # "Hit" or "Miss" when the object was served


@dataclass(frozen=True)
class CachedObject:
    body: bytes
    headers: tuple[tuple[str, str], ...]


def b64decode_cloudfront(value: str, what: str) -> bytes:
    """Decode CloudFront's URL-safe base64, refusing anything else."""
    if not URL_SAFE_B64.fullmatch(value):
        raise Refusal(f"malformed {what}")
    try:
        return base64.b64decode(value.translate(FROM_URL_SAFE), validate=True)
    except (binascii.Error, ValueError):
        raise Refusal(f"malformed {what}") from None


def canned_policy(resource: str, expires: int) -> bytes:
    """The canned policy statement exactly as documented: these names in this order, whitespace removed. The viewer
    never sends it; the edge rebuilds it from the URL as viewed and checks the signature against it."""
    statement = {"Resource": resource, "Condition": {"DateLessThan": {"AWS:EpochTime": expires}}}
    return json.dumps({"Statement": [statement]}, separators=(",", ":")).encode()


def wildcard_match(pattern: str, text: str) -> bool:
    """CloudFront's wildcards: '*' is zero or more characters ('/' included), '?' exactly one; the rest literal."""
    regex = "".join(".*" if c == "*" else "." if c == "?" else re.escape(c) for c in pattern)
    return re.fullmatch(regex, text, re.DOTALL) is not None


def query_pairs(query: str) -> list[tuple[str, str]]:
    """The query string's raw name=value pairs, in order (values still percent-encoded)."""
    return [(name, value) for name, _, value in (part.partition("=") for part in query.split("&") if part)]


def signed_from_query(pairs: list[tuple[str, str]]) -> Signed | None:
    """The signing parameters of a signed URL, or None when the URL carries none of them."""
    names = [name for name, _ in pairs if name in SIGNING_PARAMS]
    if not names:
        return None
    if len(names) != len(set(names)):
        raise Refusal("duplicate signing parameter")
    found = {name: urllib.parse.unquote(value) for name, value in pairs if name in SIGNING_PARAMS}
    return Signed(found.get("Key-Pair-Id"), found.get("Signature"), found.get("Policy"), found.get("Expires"),
                  found.get("Hash-Algorithm", "SHA1"))


def signed_from_cookies(header: str) -> Signed | None:
    """The CloudFront-* signed cookies, or None when the request has none of them."""
    cookies = {}
    for part in header.split(";"):
        name, _, value = part.strip().partition("=")
        if name.startswith("CloudFront-"):
            cookies[name] = value.strip('"')
    if not cookies:
        return None
    return Signed(cookies.get("CloudFront-Key-Pair-Id"), cookies.get("CloudFront-Signature"),
                  cookies.get("CloudFront-Policy"), cookies.get("CloudFront-Expires"),
                  cookies.get("CloudFront-Hash-Algorithm", "SHA1"))


def epoch_time(condition: object) -> int:
    """The integer of {"AWS:EpochTime": N}; quoted or fractional times are malformed, as documented."""
    if not isinstance(condition, dict) or set(condition) != {"AWS:EpochTime"}:
        raise Refusal("malformed policy")
    value = condition["AWS:EpochTime"]
    if not isinstance(value, int) or isinstance(value, bool):
        raise Refusal("malformed policy")
    return value


def source_network(condition: object) -> ipaddress.IPv4Network | ipaddress.IPv6Network:
    """The CIDR of {"AWS:SourceIp": "a.b.c.d/n"}."""
    if not isinstance(condition, dict) or set(condition) != {"AWS:SourceIp"}:
        raise Refusal("malformed policy")
    try:
        return ipaddress.ip_network(condition["AWS:SourceIp"], strict=False)
    except (TypeError, ValueError):
        raise Refusal("malformed policy") from None


def policy_statement(policy: bytes) -> tuple[str | None, dict]:
    """(Resource or None, Condition) of a custom policy: one statement, only the documented names."""
    try:
        document = json.loads(policy.decode("utf-8"))
    except (UnicodeDecodeError, ValueError):
        raise Refusal("malformed policy") from None
    statements = document.get("Statement") if isinstance(document, dict) and set(document) == {"Statement"} else None
    if not isinstance(statements, list) or len(statements) != 1 or not isinstance(statements[0], dict):
        raise Refusal("malformed policy")
    statement = statements[0]
    resource, condition = statement.get("Resource"), statement.get("Condition")
    if not set(statement) <= {"Resource", "Condition"} or not isinstance(condition, dict):
        raise Refusal("malformed policy")
    if resource is not None and not isinstance(resource, str):
        raise Refusal("malformed policy")
    if not set(condition) <= CONDITIONS or "DateLessThan" not in condition:
        raise Refusal("malformed policy")
    return resource, condition


def check_conditions(resource: str | None, condition: dict, viewer: Viewer) -> None:
    """The policy's promises against this request; a missing Resource grants every object, as documented."""
    if viewer.now >= epoch_time(condition["DateLessThan"]):
        raise Refusal("expired")
    if "DateGreaterThan" in condition and viewer.now <= epoch_time(condition["DateGreaterThan"]):
        raise Refusal("not yet valid")
    if "IpAddress" in condition and ipaddress.ip_address(viewer.ip) not in source_network(condition["IpAddress"]):
        raise Refusal("ip address not allowed")
    if resource is not None and not wildcard_match(resource, viewer.url):
        raise Refusal("resource does not match")


def verify(signed: Signed, viewer: Viewer, keys: dict[str, rsa.RSAPublicKey]) -> None:
    """Raise Refusal unless `signed` is a valid CloudFront signature whose policy admits `viewer`."""
    if not signed.key_pair_id:
        raise Refusal("Missing Key-Pair-Id query parameter or cookie value", code="MissingKey")
    key = keys.get(signed.key_pair_id)
    if key is None:
        raise Refusal("unknown key", code="InvalidKey")
    if not signed.signature:
        raise Refusal("missing signature")
    if (signed.policy is None) == (signed.expires is None):
        raise Refusal("need exactly one of Policy and Expires")
    if signed.hash_algorithm not in HASHES:
        raise Refusal("unsupported hash algorithm")
    if signed.expires is not None:
        if not signed.expires.isdigit():
            raise Refusal("malformed expires")
        policy = canned_policy(viewer.url, int(signed.expires))
    else:
        policy = b64decode_cloudfront(signed.policy or "", "policy")
    signature = b64decode_cloudfront(signed.signature, "signature")
    try:
        key.verify(signature, policy, padding.PKCS1v15(), HASHES[signed.hash_algorithm]())
    except InvalidSignature:
        raise Refusal("signature does not match") from None
    # Only signed bytes are parsed: a canned policy is ours, a custom one has just been verified.
    check_conditions(*policy_statement(policy), viewer)


def origin_key(path: str) -> str:
    """The S3 key for a request path; dot segments (plain or percent-encoded) and encoded slashes are refused, so
    a signature for one prefix can never reach another through the origin's own path resolution."""
    if not path.startswith("/") or "\\" in path or re.search(r"%2f|%5c|%00", path, re.IGNORECASE):
        raise Refusal("invalid path")
    try:
        key = urllib.parse.unquote(path[1:], errors="strict")
    except UnicodeDecodeError:
        raise Refusal("invalid path") from None
    if any(segment in (".", "..") for segment in key.split("/")):
        raise Refusal("invalid path")
    if not key or key.endswith("/"):
        raise Refusal("invalid path")
    return key


def byte_range(header: str | None, size: int) -> tuple[int, int] | None:
    """(first, last) of a single `bytes=` range; None serves the whole object (no range, or several, as RFC 9110
    lets a server ignore); Refusal 416 when the range starts past the end."""
    match = re.fullmatch(r"bytes=(\d*)-(\d*)", (header or "").strip())
    if not match or match.groups() == ("", ""):
        return None
    first_text, last_text = match.groups()
    if first_text and last_text and int(last_text) < int(first_text):
        return None  # not a valid range at all: ignored, as RFC 9110 says
    if not first_text:  # suffix: the last N bytes
        first, last = max(size - int(last_text), 0), size - 1
    else:
        first, last = int(first_text), min(int(last_text), size - 1) if last_text else size - 1
    if first >= size or first > last:
        raise Refusal("range not satisfiable", code="InvalidRange", status=416,
                      headers=(("Content-Range", f"bytes */{size}"),))
    return first, last


@dataclass
class EdgeServer:
    """One CloudFront distribution on a random loopback port: verify, then serve from the cache or the origin.

    `trusted_keys` is the key group ({key pair id: public key PEM}); `path_pattern` (e.g. "processed/*") the one
    cache behaviour that exists, anything else 403; `scheme` is the one viewers are taken to use when a policy's
    Resource is compared (CloudFront compares the URL as viewed: "https" when the app signs https URLs and a TLS
    terminator would stand in front). CORS: `cors_origins` ("*" for any, without credentials) and
    `cors_credentials` (Access-Control-Allow-Credentials for signed cookies with withCredentials players).
    """

    trusted_keys: dict[str, str]
    origin: BaseClient
    bucket: str
    path_pattern: str | None = None
    cors_origins: tuple[str, ...] = ()
    cors_credentials: bool = False
    scheme: str = "http"
    clock: Callable[[], float] = time.time
    records: list[EdgeRecord] = field(default_factory=list)
    origin_fetches: int = 0
    cache_hits: int = 0
    cache_keys: set[str] = field(default_factory=set)

    def __post_init__(self) -> None:
        if self.cors_credentials and "*" in self.cors_origins:
            raise ValueError("CORS with credentials needs explicit origins, never '*'")
        self._keys = {kid: self._public_key(pem) for kid, pem in self.trusted_keys.items()}
        self._cache: dict[str, CachedObject] = {}
        self._lock = threading.Lock()
        self._fetching: dict[str, threading.Lock] = {}
        self._server: _EdgeHTTPServer | None = None
        self._thread: threading.Thread | None = None
        self.url = ""

    @staticmethod
    def _public_key(pem: str) -> rsa.RSAPublicKey:
        key = serialization.load_pem_public_key(pem.encode())
        if not isinstance(key, rsa.RSAPublicKey):
            raise ValueError("CloudFront public keys are RSA")
        return key

    def __enter__(self) -> EdgeServer:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    @property
    def host(self) -> str:
        """host:port as viewers send it in Host."""
        return self.url.split("://", 1)[1]

    @property
    def public_url(self) -> str:
        """The distribution's base URL as signed policies name it (`scheme` + this edge's host)."""
        return f"{self.scheme}://{self.host}"

    def start(self) -> None:
        server = self._server = _EdgeHTTPServer(self)
        self.url = f"http://127.0.0.1:{server.server_address[1]}"
        self._thread = threading.Thread(target=server.serve_forever, name="edge", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None
        if self._thread is not None:
            self._thread.join(5)
            self._thread = None

    def refusals(self) -> list[EdgeRecord]:
        """The requests answered with an error, oldest first."""
        return [r for r in self.records if r.status >= 400]

    def reset(self) -> None:
        """Forget the records, the counts and the cache (a fresh distribution on the same port)."""
        with self._lock:
            self.records.clear()
            self._cache.clear()
            self.cache_keys.clear()
            self.origin_fetches = self.cache_hits = 0

    def check(self, method: str, target: str, host: str, ip: str, cookie_header: str) -> str:
        """Verify one viewer request; its cache key (the path) when it may be served, else Refusal."""
        path, _, query = target.partition("?")
        key = origin_key(path)
        if self.path_pattern is not None and not wildcard_match(self.path_pattern.lstrip("/"), key):
            raise Refusal("path not allowed")
        if method not in ("GET", "HEAD"):
            raise Refusal("method not allowed")
        pairs = query_pairs(query)
        signed = signed_from_query(pairs) or signed_from_cookies(cookie_header)
        if signed is None:
            raise Refusal("Missing Key-Pair-Id query parameter or cookie value", code="MissingKey")
        rest = "&".join(part for part in query.split("&") if part and part.partition("=")[0] not in SIGNING_PARAMS)
        viewed = f"{self.scheme}://{host.lower()}{path}" + (f"?{rest}" if rest else "")
        verify(signed, Viewer(viewed, ip, self.clock()), self._keys)
        return path

    def fetch(self, path: str) -> tuple[CachedObject, str]:
        """The object for a verified path and "Hit" or "Miss"; one origin GET per path however many viewers race."""
        with self._lock:
            self.cache_keys.add(path)
            lock = self._fetching.setdefault(path, threading.Lock())
        with lock:
            with self._lock:
                cached = self._cache.get(path)
                if cached is not None:
                    self.cache_hits += 1
                    return cached, "Hit"
                self.origin_fetches += 1
            cached = self._from_origin(origin_key(path))
            with self._lock:
                self._cache[path] = cached
            return cached, "Miss"

    def _from_origin(self, key: str) -> CachedObject:
        try:
            response = self.origin.get_object(Bucket=self.bucket, Key=key)
        except ClientError as exc:
            if exc.response.get("Error", {}).get("Code") in ("NoSuchKey", "404"):
                raise Refusal("no such key at the origin", code="NoSuchKey", status=404) from None
            raise Refusal(f"origin error {exc}", code="BadGateway", status=502) from None
        headers = [("Content-Type", response.get("ContentType") or "binary/octet-stream")]
        for name, field_name in (("ETag", "ETag"), ("Cache-Control", "CacheControl")):
            if response.get(field_name):
                headers.append((name, response[field_name]))
        if response.get("LastModified"):
            headers.append(("Last-Modified", response["LastModified"].strftime("%a, %d %b %Y %H:%M:%S GMT")))
        return CachedObject(response["Body"].read(), tuple(headers))

    def cors_headers(self, origin: str | None) -> list[tuple[str, str]]:
        """Access-Control-* for an allowed Origin (none otherwise)."""
        if not origin or not ({"*", origin} & set(self.cors_origins)):
            return []
        allowed = "*" if "*" in self.cors_origins else origin
        headers = [("Access-Control-Allow-Origin", allowed), ("Vary", "Origin"),
                   ("Access-Control-Expose-Headers", "Content-Length, Content-Range, ETag, X-Cache")]
        if self.cors_credentials:
            headers.append(("Access-Control-Allow-Credentials", "true"))
        return headers


class _EdgeHTTPServer(ThreadingHTTPServer):
    """A threaded server on a random loopback port that knows its edge."""

    daemon_threads = True

    def __init__(self, edge: EdgeServer) -> None:
        super().__init__(("127.0.0.1", 0), _EdgeHandler)
        self.edge = edge

    def handle_error(self, request: Any, client_address: Any) -> None:
        """A viewer that hangs up (a player aborting a segment, a pooled connection closed) is no error."""
        if not isinstance(sys.exc_info()[1], ConnectionError):
            super().handle_error(request, client_address)


class _EdgeHandler(BaseHTTPRequestHandler):
    """HTTP/1.1 with keep-alive, as browsers and hls.js talk to CloudFront; every answer has a Content-Length."""

    protocol_version = "HTTP/1.1"
    server_version = "CloudFront-standin"

    server: _EdgeHTTPServer

    @property
    def edge(self) -> EdgeServer:
        return self.server.edge

    def log_message(self, format: str, *args: object) -> None:
        """Quiet: the edge's records are the log."""

    def do_GET(self) -> None:
        self._viewer_request(send_body=True)

    def do_HEAD(self) -> None:
        self._viewer_request(send_body=False)

    def do_POST(self) -> None:
        self.close_connection = True  # its body is never read, so the connection cannot carry another request
        self._viewer_request(send_body=True)

    do_PUT = do_DELETE = do_PATCH = do_POST

    def do_OPTIONS(self) -> None:
        """A CORS preflight: answered without a signature, as browsers never send cookies or credentials with it."""
        cors = self.edge.cors_headers(self.headers.get("Origin"))
        if not cors or self.headers.get("Access-Control-Request-Method") not in ("GET", "HEAD"):
            self._refuse(Refusal("CORS preflight not allowed"))
            return
        cors += [("Access-Control-Allow-Methods", "GET, HEAD"), ("Access-Control-Max-Age", "600")]
        if self.headers.get("Access-Control-Request-Headers"):
            cors.append(("Access-Control-Allow-Headers", self.headers["Access-Control-Request-Headers"]))
        self._record(200, "preflight")
        self._send(200, cors, b"", send_body=False)

    def _viewer_request(self, send_body: bool) -> None:
        edge = self.edge
        try:
            path = edge.check(self.command, self.path, self.headers.get("Host") or edge.host,
                              self.client_address[0], self.headers.get("Cookie", ""))
            cached, cache = edge.fetch(path)
            span = byte_range(self.headers.get("Range"), len(cached.body))
        except Refusal as refusal:
            self._refuse(refusal)
            return
        headers = [*cached.headers, ("Accept-Ranges", "bytes"), ("X-Cache", f"{cache} from cloudfront"),
                   *edge.cors_headers(self.headers.get("Origin"))]
        status, body = 200, cached.body
        if span is not None:
            status, body = 206, cached.body[span[0]:span[1] + 1]
            headers.append(("Content-Range", f"bytes {span[0]}-{span[1]}/{len(cached.body)}"))
        self._record(status, "ok", cache)
        self._send(status, headers, body, send_body)

    def _refuse(self, refusal: Refusal) -> None:
        body = (f'<?xml version="1.0" encoding="UTF-8"?><Error><Code>{refusal.code}</Code>'
                f"<Message>{html.escape(refusal.reason)}</Message></Error>").encode()
        headers = [("Content-Type", "text/xml"), *refusal.headers, *self.edge.cors_headers(self.headers.get("Origin"))]
        self._record(refusal.status, refusal.reason)
        self._send(refusal.status, headers, body, send_body=self.command != "HEAD")

    def _send(self, status: int, headers: list[tuple[str, str]], body: bytes, send_body: bool) -> None:
        self.send_response(status)
        for name, value in headers:
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if send_body:
            self.wfile.write(body)

    def _record(self, status: int, reason: str, cache: str = "") -> None:
        """Recorded before the answer goes out, so a test holding the response also finds its record."""
        self.edge.records.append(EdgeRecord(self.command, self.path.partition("?")[0], status, reason, cache))


@dataclass(frozen=True)
class CloudFrontKey:
    """An RSA key pair as a CloudFront public key and key group would hold it."""

    key_pair_id: str
    private_key: rsa.RSAPrivateKey

    @classmethod
    def generate(cls) -> CloudFrontKey:
        alphabet = string.ascii_uppercase + string.digits
        key_pair_id = "K" + "".join(secrets.choice(alphabet) for _ in range(13))
        return cls(key_pair_id, rsa.generate_private_key(public_exponent=65537, key_size=2048))

    @property
    def public_pem(self) -> str:
        return self.private_key.public_key().public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo).decode()

    @property
    def private_pem(self) -> str:
        return self.private_key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()).decode()

    def sign(self, message: bytes) -> bytes:
        """RSA-SHA1 PKCS#1 v1.5, as CloudFront requires: the `rsa_signer` botocore's CloudFrontSigner takes."""
        return self.private_key.sign(message, padding.PKCS1v15(), hashes.SHA1())


@contextmanager
def edges(weed: WeedServer, key: CloudFrontKey) -> Iterator[Callable[..., EdgeServer]]:
    """A factory of started edges over weed's first bucket (read with weed's own credentials, as OAC reads) that
    trust `key`; keyword arguments are EdgeServer's (`trusted_keys=` replaces the key group). All stop on exit.
    The fixture helper: `with edges(weed_s3, cloudfront_key) as make_edge: yield make_edge`."""
    started: list[EdgeServer] = []

    def factory(**options: Any) -> EdgeServer:
        options.setdefault("trusted_keys", {key.key_pair_id: key.public_pem})
        edge = EdgeServer(origin=weed.client(), bucket=weed.bucket, **options)
        edge.start()
        started.append(edge)
        return edge

    try:
        yield factory
    finally:
        for edge in started:
            edge.stop()
