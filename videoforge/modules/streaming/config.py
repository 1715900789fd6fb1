"""Streaming defaults: how long signed media URLs live."""

PLAYBACK_URL_EXPIRY = 4 * 3600
"""Seconds a playback token lives (revocable), and the most a signed segment URL ever lives (not revocable)."""

SEGMENT_URL_MARGIN = 30 * 60
"""Seconds a signed segment URL lives beyond twice the video's length (so at least this long; see the module doc)."""
