"""Streaming defaults: how long signed media URLs live, and how password videos unlock (and are throttled)."""

PLAYBACK_URL_EXPIRY = 4 * 3600
"""Seconds a playback token lives (revocable), and the most a signed segment URL ever lives (not revocable)."""

SEGMENT_URL_MARGIN = 30 * 60
"""Seconds a signed segment URL lives beyond twice the video's length (so at least this long; see the module doc)."""

VIDEO_UNLOCK_TTL = 3600
"""Seconds an unlock (a password video's password given right) lets its viewer ask for the playback info; a new
password ends it at once."""
VIDEO_UNLOCK_WINDOW = 15 * 60
"""Seconds over which wrong passwords for password videos are counted (at most the sign-in windows)."""
VIDEO_UNLOCK_MAX_FAILURES = 5
"""Wrong passwords for one video from one client address within the window before that pair answers 429."""
VIDEO_UNLOCK_MAX_FAILURES_PER_ADDRESS = 20
"""Wrong passwords for any videos from one client address within the window before it answers 429."""
VIDEO_UNLOCK_MAX_FAILURES_PER_VIDEO = 100
"""Wrong passwords for one video from all addresses within the window before it answers 429 (a guesser spread over
many addresses; the owner and admins never need the password)."""
