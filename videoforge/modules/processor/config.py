"""Processor defaults: ladder, encoder, limits and worker scaling."""

LADDER_HEIGHTS = [1080, 720, 480, 360]
"""Rungs of the ladder by short side; never upscaled."""
X264_PRESET = "veryfast"
"""x264 preset for every rung."""
SEGMENT_SECONDS = 4
"""HLS segment length."""
MAX_DURATION = 4 * 3600
"""Longest accepted source, in seconds."""
STALL_SECONDS = 120
"""An ffmpeg that makes no progress this long is killed and the job retried."""
WORKER_MIN = 1
"""In-process workers at least (all-in-one)."""
WORKER_MAX = 2
"""In-process workers at most (all-in-one), scaled by backlog per worker."""
WORKER_POLL_SECONDS = 2
"""Long-poll wait of an idle worker."""
RETRY_BACKOFF_SECONDS = 30
"""Base delay before a transient failure is retried (doubles per receive)."""
CLOUDWATCH_NAMESPACE = ""
"""When set, backlog per worker is published to CloudWatch under this namespace."""
