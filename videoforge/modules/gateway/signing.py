"""SigV4 signing of proxied requests, for Lambda Function URLs whose auth type is AWS_IAM."""

from __future__ import annotations

import os
import threading

# With IAM auth the Authorization header carries the SigV4 signature, so the caller's bearer token
# travels here; videoforge.lambda_adapter puts it back before the module sees the request.
FORWARDED_AUTHORIZATION = "X-Forwarded-Authorization"


class RequestSigner:
    """Signs with the process's AWS credentials (instance role, environment), refreshed by botocore."""

    def __init__(self, service: str = "lambda", region: str | None = None, credentials=None):
        self.service = service
        self.region = region or os.environ.get("AWS_REGION") or os.environ.get("AWS_DEFAULT_REGION") or "us-east-1"
        self._credentials = credentials
        self._lock = threading.Lock()

    def credentials(self):
        # botocore is imported on first use: the gateway only pays for it when signing is on.
        with self._lock:
            if self._credentials is None:
                import botocore.session

                self._credentials = botocore.session.get_session().get_credentials()
                if self._credentials is None:
                    raise RuntimeError("PROXY_SIGV4 is on but no AWS credentials were found "
                                       "(instance role, AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY)")
            return self._credentials

    def sign(self, method: str, url: str, headers: dict[str, str], body: bytes) -> None:
        """Add Authorization, X-Amz-Date (and X-Amz-Security-Token) to `headers`, in place.

        Only host and the x-amz-* headers are signed, so nothing the HTTP client adds or reorders later
        can break the signature; the payload hash covers the body.
        """
        from botocore.auth import SigV4Auth
        from botocore.awsrequest import AWSRequest

        bearer = headers.pop("Authorization", None)
        if bearer:
            headers[FORWARDED_AUTHORIZATION] = bearer
        aws_request = AWSRequest(method=method, url=url, data=body or b"")
        SigV4Auth(self.credentials().get_frozen_credentials(), self.service, self.region).add_auth(aws_request)
        for name in ("Authorization", "X-Amz-Date", "X-Amz-Security-Token"):
            if name in aws_request.headers:
                headers[name] = aws_request.headers[name]
