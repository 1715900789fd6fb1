"""Gateway defaults: proxy timeouts and rate limits."""

PROXY_CONNECT_TIMEOUT = 3.0
"""Seconds to connect to a remote module."""
PROXY_READ_TIMEOUT = 30.0
"""Seconds to wait for a remote module's answer."""
RATE_LIMIT_PER_MINUTE = 600
"""Requests per minute per client address (0 turns limiting off)."""
RATE_LIMIT_BURST = 100
"""Requests a client may send at once before the per-minute rate applies."""
