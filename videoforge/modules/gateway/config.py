"""Gateway defaults: proxy timeouts and pooling, request signing, rate limits."""

PROXY_CONNECT_TIMEOUT = 3.0
"""Seconds to connect to a remote module."""
PROXY_READ_TIMEOUT = 30.0
"""Seconds to wait for a remote module's answer (between any two reads of it)."""
PROXY_POOL_SIZE = 32
"""Keep-alive connections kept open to each remote module."""
PROXY_SIGV4 = False
"""Sign proxied requests with AWS SigV4 (for Lambda Function URLs with IAM auth)."""
PROXY_SIGV4_SERVICE = "lambda"
"""Service name in the SigV4 scope of proxied requests."""
PROXY_SIGV4_REGION = ""
"""Region in the SigV4 scope; empty means AWS_REGION from the environment, else us-east-1."""
RATE_LIMIT_PER_MINUTE = 600
"""Requests per minute per client address (0 turns limiting off)."""
RATE_LIMIT_BURST = 100
"""Requests a client may send at once before the per-minute rate applies."""
RATE_LIMIT_BACKEND = "memory"
"""Where token buckets live: `memory` (per process) or `redis` (shared by every gateway process)."""
RATE_LIMIT_REDIS_URL = "redis://127.0.0.1:6379/0"
"""Redis server for the `redis` rate-limit backend."""
