"""Streaming defaults: how long signed media URLs live."""

PLAYBACK_URL_EXPIRY = 4 * 3600
"""Seconds a signed segment or playlist URL stays valid (longer than a long video takes to watch)."""
