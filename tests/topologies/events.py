"""Lambda HTTP events as AWS sends them (HTTP API v2, Function URL, ALB multi-value) and readers for replies."""

from __future__ import annotations

import base64
from urllib.parse import quote

KINDS = ("http_api", "function_url", "alb")


def make_event(kind: str, method: str, path: str, *, query: list[tuple[str, str]] = (),
               headers: dict[str, str] | None = None, body: bytes | None = None, binary: bool = False,
               cookies: list[str] = ()) -> dict:
    """One request as the given kind of event; a body is base64-encoded when `binary` is set."""
    headers = {k.lower(): v for k, v in (headers or {}).items()}
    headers.setdefault("host", "videoforge.example")
    headers.setdefault("x-forwarded-proto", "https")
    headers.setdefault("x-forwarded-for", "198.51.100.20")
    encoded = None
    if body is not None:
        encoded = base64.b64encode(body).decode() if binary else body.decode()
    if kind == "alb":
        multi_query: dict[str, list[str]] = {}
        for key, value in query:  # ALB passes query keys and values still URL-encoded
            multi_query.setdefault(quote(key), []).append(quote(value))
        multi_headers = {k: [v] for k, v in headers.items()}
        if cookies:
            multi_headers["cookie"] = ["; ".join(cookies)]
        return {
            "requestContext": {"elb": {"targetGroupArn": "arn:aws:elasticloadbalancing:us-east-1:1:targetgroup/vf/1"}},
            "httpMethod": method, "path": path, "multiValueQueryStringParameters": multi_query,
            "multiValueHeaders": multi_headers, "body": encoded or "", "isBase64Encoded": binary,
        }
    raw_query = "&".join(f"{quote(k)}={quote(v)}" for k, v in query)
    params: dict[str, str] = {}
    for key, value in query:  # API Gateway joins repeated keys with commas here; rawQueryString is the truth
        params[key] = f"{params[key]},{value}" if key in params else value
    domain = "abc123.lambda-url.us-east-1.on.aws" if kind == "function_url" else "api123.execute-api.us-east-1.amazonaws.com"
    event = {
        "version": "2.0", "routeKey": "$default", "rawPath": path, "rawQueryString": raw_query,
        "headers": headers,
        "requestContext": {
            "accountId": "anonymous" if kind == "function_url" else "123456789012",
            "apiId": domain.split(".")[0], "domainName": domain, "domainPrefix": domain.split(".")[0],
            "http": {"method": method, "path": path, "protocol": "HTTP/1.1", "sourceIp": "198.51.100.20",
                     "userAgent": "tests"},
            "requestId": "req-1", "routeKey": "$default", "stage": "$default", "time": "29/Nov/2026:12:00:00 +0000",
            "timeEpoch": 1795000000000,
        },
        "isBase64Encoded": binary,
    }
    if params:
        event["queryStringParameters"] = params
    if cookies:
        event["cookies"] = list(cookies)
    if encoded is not None:
        event["body"] = encoded
    return event


def reply_body(reply: dict) -> bytes:
    """The reply's body as bytes."""
    body = reply.get("body") or ""
    return base64.b64decode(body) if reply.get("isBase64Encoded") else body.encode()


def reply_headers(reply: dict) -> list[tuple[str, str]]:
    """Every response header as (lower-case name, value) pairs, Set-Cookie included, whatever the event kind."""
    pairs = [(k.lower(), v) for k, v in (reply.get("headers") or {}).items()]
    pairs += [(k.lower(), v) for k, values in (reply.get("multiValueHeaders") or {}).items() for v in values]
    pairs += [("set-cookie", c) for c in reply.get("cookies") or ()]
    return pairs


def reply_header(reply: dict, name: str) -> str | None:
    """One response header's value (the first, if repeated)."""
    return next((v for k, v in reply_headers(reply) if k == name.lower()), None)
