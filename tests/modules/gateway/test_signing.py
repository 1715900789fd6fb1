"""SigV4-signed proxying for IAM-auth Function URLs: a valid signature, the bearer token moved aside."""

from __future__ import annotations

import hashlib

import pytest

pytest.importorskip("botocore")

from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials

ACCESS, SECRET = "AKIDEXAMPLEGATEWAY", "gateway-secret-for-tests"


def expected_signature(method, url, body, amz_date, region="eu-west-1", service="lambda"):
    """Recompute the signature the way AWS would check it, for the time the gateway signed at."""
    request = AWSRequest(method=method, url=url, data=body, headers={"X-Amz-Date": amz_date})
    request.context["timestamp"] = amz_date
    auth = SigV4Auth(Credentials(ACCESS, SECRET), service, region)
    canonical = auth.canonical_request(request)
    return auth.signature(auth.string_to_sign(request, canonical), request)


def test_signed_request_verifies_and_keeps_the_bearer_token(make_gateway, upstream, monkeypatch):
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", ACCESS)
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", SECRET)
    monkeypatch.delenv("AWS_SESSION_TOKEN", raising=False)
    client = make_gateway(upstream, PROXY_SIGV4=True, PROXY_SIGV4_REGION="eu-west-1").test_client()
    body = b'{"title": "signed"}'
    response = client.post("/api/gallery/echo?b=2&a=1", data=body,
                           headers={"Authorization": "Bearer user.token", "Content-Type": "application/json"})
    seen = response.json
    assert seen["body_sha256"] == hashlib.sha256(body).hexdigest()
    assert seen["headers"]["x-forwarded-authorization"] == "Bearer user.token"
    authorization = seen["headers"]["authorization"]
    amz_date = seen["headers"]["x-amz-date"]
    assert authorization.startswith(f"AWS4-HMAC-SHA256 Credential={ACCESS}/{amz_date[:8]}/eu-west-1/lambda/aws4_request")
    assert "SignedHeaders=host;x-amz-date," in authorization
    signature = authorization.rsplit("Signature=", 1)[1]
    assert signature == expected_signature("POST", f"{upstream}/api/gallery/echo?b=2&a=1", body, amz_date)
    assert signature != expected_signature("POST", f"{upstream}/api/gallery/echo?b=2&a=1", body + b" ", amz_date)
