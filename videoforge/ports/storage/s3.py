"""S3 object store via boto3 (AWS or any S3-compatible server); presigned URLs from the fast SigV4 signer.

Nothing heavy is made until it is needed: importing boto3 and creating a client costs ~300 ms on a Lambda's cold
start, and a request that only presigns (playback info, a gallery page's posters) never needs them. The signer
needs only credentials, read without boto3 when they are configured or in the environment (as on Lambda).
"""

from __future__ import annotations

import os
import threading
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any

from videoforge.disposition import attachment
from videoforge.ports.storage import (
    InvalidParts,
    NoSuchUpload,
    ObjectChanged,
    ObjectStat,
    PresignedPut,
    StorageError,
    UploadedPart,
)
from videoforge.ports.storage.sigv4 import CredentialsLike, QueryPresigner

if TYPE_CHECKING:
    from boto3 import Session
    from botocore.client import BaseClient
    from botocore.exceptions import ClientError

_MISSING = {"404", "NoSuchKey", "NotFound"}
_BAD_PARTS = {"InvalidPart", "InvalidPartOrder", "EntityTooSmall"}
CHUNK = 1024 * 1024


def _client_error() -> type[ClientError]:
    """botocore's ClientError. An `except` clause evaluates this only when its call raised, by which time the
    client has loaded botocore, so a process that never calls S3 never imports it."""
    from botocore.exceptions import ClientError

    return ClientError


def _code(exc: ClientError) -> str:
    return str(exc.response.get("Error", {}).get("Code", ""))


def _quoted(etag: str) -> str:
    return '"' + etag.strip().strip('"') + '"'


def static_credentials(config: Mapping[str, Any], environ: Mapping[str, str] = os.environ,
                       ) -> tuple[str, str, str | None] | None:
    """The keys botocore would find first, when they can be read without it: the configured pair, else the
    environment's (Lambda puts its role's keys there). None means botocore's chain must look (a profile, an
    instance or container role, expiring environment keys, or a half-given pair it refuses with its own error)."""
    access_key, secret_key = config.get("S3_ACCESS_KEY_ID"), config.get("S3_SECRET_ACCESS_KEY")
    if access_key or secret_key:
        return (access_key, secret_key, None) if access_key and secret_key else None
    if environ.get("AWS_CREDENTIAL_EXPIRATION"):  # botocore re-reads these as they near expiry
        return None
    access_key, secret_key = environ.get("AWS_ACCESS_KEY_ID"), environ.get("AWS_SECRET_ACCESS_KEY")
    if not (access_key and secret_key):
        return None
    # botocore's environment provider reads the token under both names, the newer first.
    return access_key, secret_key, environ.get("AWS_SESSION_TOKEN") or environ.get("AWS_SECURITY_TOKEN") or None


class S3Storage:
    """Objects in one bucket. The client talks to S3_ENDPOINT_URL; browsers get URLs for the public endpoint.

    The boto3 client and the presigner are made on first use (once, under a lock: request threads share them).
    """

    def __init__(self, bucket: str, *, region: str = "us-east-1", addressing_style: str = "path",
                 endpoint_url: str | None = None, public_endpoint_url: str | None = None,
                 access_key_id: str | None = None, secret_access_key: str | None = None,
                 credentials: tuple[str, str, str | None] | None = None):
        """`access_key_id`/`secret_access_key` are the client's explicit keys (empty: botocore's chain);
        `credentials` the presigner's when known without botocore (see `static_credentials`)."""
        self.bucket = bucket
        self.region = region
        self.addressing_style = addressing_style
        self.endpoint_url = endpoint_url
        self.public_endpoint_url = public_endpoint_url or endpoint_url
        self._keys = (access_key_id, secret_access_key)
        self._credentials = credentials
        self._lock = threading.Lock()
        self._session: Session | None = None
        self._client: BaseClient | None = None
        self._presigner: QueryPresigner | None = None

    @classmethod
    def from_config(cls, config: dict[str, Any]) -> S3Storage:
        return cls(
            config["S3_BUCKET"],
            region=config.get("S3_REGION") or "us-east-1",
            addressing_style=config.get("S3_ADDRESSING_STYLE") or "path",
            endpoint_url=config.get("S3_ENDPOINT_URL") or None,
            public_endpoint_url=config.get("S3_PUBLIC_ENDPOINT_URL") or None,
            # Explicit keys suit S3-compatible servers; empty means boto3's chain (instance role, environment).
            access_key_id=config.get("S3_ACCESS_KEY_ID") or None,
            secret_access_key=config.get("S3_SECRET_ACCESS_KEY") or None,
            credentials=static_credentials(config),
        )

    # --- made on first use ----------------------------------------------------------------------

    @property
    def client(self) -> BaseClient:
        """The boto3 S3 client (made, and boto3 imported, by the first call that talks to S3)."""
        client = self._client
        if client is None:
            with self._lock:
                if self._client is None:
                    self._client = self._make_client()
                client = self._client
        return client

    @property
    def presigner(self) -> QueryPresigner:
        """The SigV4 presigner for the public endpoint (made by the first URL signed)."""
        presigner = self._presigner
        if presigner is None:
            with self._lock:
                if self._presigner is None:
                    self._presigner = QueryPresigner(
                        credentials=self._credentials or self._chain_credentials(),
                        region=self.region,
                        endpoint_url=self.public_endpoint_url,
                        addressing_style=self.addressing_style,
                    )
                presigner = self._presigner
        return presigner

    def _boto_session(self) -> Session:
        """One boto3 session for the client and the credential chain (boto3 sessions are not thread-safe: callers
        hold the lock)."""
        if self._session is None:
            import boto3

            access_key, secret_key = self._keys
            self._session = boto3.session.Session(aws_access_key_id=access_key, aws_secret_access_key=secret_key,
                                                  region_name=self.region)
        return self._session

    def _make_client(self) -> BaseClient:
        from botocore.config import Config

        return self._boto_session().client(
            "s3",
            endpoint_url=self.endpoint_url,
            config=Config(
                signature_version="s3v4",
                s3={"addressing_style": self.addressing_style},
                # Newer botocore adds CRC checksums to every upload; many S3-compatible servers reject them.
                request_checksum_calculation="when_required",
                response_checksum_validation="when_required",
                retries={"max_attempts": 4, "mode": "standard"},
            ),
        )

    def _chain_credentials(self) -> CredentialsLike:
        credentials = self._boto_session().get_credentials()
        if credentials is None:
            raise StorageError("no S3 credentials: set S3_ACCESS_KEY_ID/S3_SECRET_ACCESS_KEY or give the process "
                               "a role")
        return credentials  # botocore's refreshable credentials: the signer re-reads them as they rotate

    # --- the Storage port -----------------------------------------------------------------------

    def presign_put(self, key: str, size: int, content_type: str, expires_in: int) -> PresignedPut:
        # Content-Length is signed: S3 refuses (403) a body of any other size, as local storage does.
        url = self.presigner.presign("PUT", self.bucket, key, expires_in, content_length=size)
        return PresignedPut(url=url, headers={"Content-Type": content_type})

    def presign_get(self, key: str, expires_in: int, download_as: str | None = None) -> str:
        if download_as is None:
            return self.presigner.presign("GET", self.bucket, key, expires_in)
        # S3 answers with the signed response-content-disposition as the object's Content-Disposition.
        return self.presigner.presign("GET", self.bucket, key, expires_in,
                                      params={"response-content-disposition": attachment(download_as)})

    def presign_prefix(self, prefix: str, expires_in: int) -> Callable[[str], str]:
        # S3 has no prefix-scoped signature: each URL is presigned on its own (a CDN in front signs once).
        presign, bucket = self.presigner.presign, self.bucket
        return lambda key: presign("GET", bucket, key, expires_in)

    def create_multipart(self, key: str, content_type: str) -> str:
        answer = self.client.create_multipart_upload(Bucket=self.bucket, Key=key, ContentType=content_type)
        return answer["UploadId"]

    def presign_part(self, key: str, upload_id: str, number: int, size: int, expires_in: int) -> str:
        params = {"partNumber": number, "uploadId": upload_id}
        return self.presigner.presign("PUT", self.bucket, key, expires_in, params=params, content_length=size)

    def list_parts(self, key: str, upload_id: str) -> list[UploadedPart]:
        latest: dict[int, dict] = {}
        try:
            pages = self.client.get_paginator("list_parts").paginate(Bucket=self.bucket, Key=key, UploadId=upload_id)
            for page in pages:
                for part in page.get("Parts", []):
                    # SeaweedFS lists every try of a re-uploaded part (newest first); S3 keeps only the last.
                    seen = latest.get(part["PartNumber"])
                    if seen is None or part.get("LastModified", 0) > seen.get("LastModified", 0):
                        latest[part["PartNumber"]] = part
        except _client_error() as exc:
            if _code(exc) in ("NoSuchUpload", "404"):
                raise NoSuchUpload(f"no multipart upload {upload_id!r} for {key!r}") from None
            raise
        return [UploadedPart(number=n, etag=_quoted(p["ETag"]), size=p["Size"]) for n, p in sorted(latest.items())]

    def complete_multipart(self, key: str, upload_id: str, parts: list[tuple[int, str]]) -> None:
        if not parts:
            raise InvalidParts("a multipart upload completes with at least one part")
        listing = {"Parts": [{"PartNumber": number, "ETag": _quoted(etag)} for number, etag in parts]}
        try:
            self.client.complete_multipart_upload(Bucket=self.bucket, Key=key, UploadId=upload_id,
                                                  MultipartUpload=listing)
        except _client_error() as exc:
            code = _code(exc)
            if code == "NoSuchUpload":
                raise NoSuchUpload(f"no multipart upload {upload_id!r} for {key!r}") from None
            if code in _BAD_PARTS:
                raise InvalidParts(exc.response["Error"].get("Message") or code) from None
            raise

    def abort_multipart(self, key: str, upload_id: str) -> None:
        try:
            self.client.abort_multipart_upload(Bucket=self.bucket, Key=key, UploadId=upload_id)
        except _client_error() as exc:
            if _code(exc) not in ("NoSuchUpload", "404"):
                raise  # an unknown upload is already as aborted as it gets

    def size_of(self, key: str) -> int | None:
        try:
            return self.client.head_object(Bucket=self.bucket, Key=key)["ContentLength"]
        except _client_error() as exc:
            if _code(exc) in _MISSING:
                return None
            raise

    def stat(self, key: str) -> ObjectStat | None:
        try:
            head = self.client.head_object(Bucket=self.bucket, Key=key)
        except _client_error() as exc:
            if _code(exc) in _MISSING:
                return None
            raise
        return ObjectStat(size=head["ContentLength"], etag=_quoted(head["ETag"]))

    def seal(self, key: str) -> ObjectStat | None:
        # A presigned PUT cannot be revoked before it expires: the guard is download_file's If-Match.
        return self.stat(key)

    def upload_file(self, key: str, path: str, content_type: str) -> None:
        self.client.upload_file(path, self.bucket, key, ExtraArgs={"ContentType": content_type})

    def download_file(self, key: str, path: str, expect: ObjectStat | None = None) -> None:
        try:
            if expect is None:
                self.client.download_file(self.bucket, key, path)
                return
            # One GET with If-Match, so the check and the bytes are the same response. (s3transfer sends
            # If-Match only on some of its paths, depending on its version and the object's size.)
            body = self.client.get_object(Bucket=self.bucket, Key=key, IfMatch=_quoted(expect.etag))["Body"]
            with open(path, "wb") as out:
                for chunk in body.iter_chunks(CHUNK):
                    out.write(chunk)
                received = out.tell()
        except _client_error() as exc:
            if _code(exc) in _MISSING:
                raise FileNotFoundError(f"no object {key!r}") from None
            if expect is not None and _code(exc) in ("PreconditionFailed", "412"):
                raise ObjectChanged(f"{key!r} no longer has ETag {expect.etag}") from None
            raise
        if received != expect.size:  # a cut-off download of the right object: worth another try, not a failure
            raise StorageError(f"downloaded {received} of the {expect.size} bytes of {key!r}")

    def read_bytes(self, key: str) -> bytes:
        try:
            return self.client.get_object(Bucket=self.bucket, Key=key)["Body"].read()
        except _client_error() as exc:
            if _code(exc) in _MISSING:
                raise FileNotFoundError(f"no object {key!r}") from None
            raise

    def delete_prefix(self, prefix: str) -> int:
        if not prefix:
            raise StorageError("refusing to delete with an empty prefix (that is the whole bucket)")
        deleted = 0
        for page in self.client.get_paginator("list_objects_v2").paginate(Bucket=self.bucket, Prefix=prefix):
            keys = [{"Key": item["Key"]} for item in page.get("Contents", [])]
            if not keys:
                continue
            answer = self.client.delete_objects(Bucket=self.bucket, Delete={"Objects": keys, "Quiet": True})
            errors = answer.get("Errors") or []
            if errors:
                first = errors[0]
                raise StorageError(f"could not delete {len(errors)} objects, e.g. {first.get('Key')}: "
                                   f"{first.get('Message')}")
            deleted += len(keys)
        return deleted
