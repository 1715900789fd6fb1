"""Gallery defaults: upload limits, multipart plan and quotas."""

UPLOAD_MAX_SIZE = 5 * 1024**3
"""Largest accepted upload in bytes."""
MULTIPART_THRESHOLD = 64 * 1024**2
"""Uploads at least this large get a multipart plan instead of one PUT."""
MULTIPART_PART_SIZE = 16 * 1024**2
"""Part size of multipart plans (at least 8 MiB; S3 needs 5 MiB)."""
UPLOAD_URL_EXPIRY = 6 * 3600
"""Seconds an upload URL stays valid."""
UPLOAD_TTL = 24 * 3600
"""Seconds an upload may wait in awaiting_upload before housekeeping removes it."""
ALLOWED_CONTENT_TYPES = ["video/mp4", "video/quicktime", "video/webm", "video/x-matroska", "video/x-msvideo",
                         "video/mpeg", "video/ogg", "video/3gpp", "video/x-m4v", "video/mp2t",
                         "video/vnd.dlna.mpeg-tts", "application/octet-stream"]
"""Declared content types accepted for uploads (what browsers report for every extension below: .ts and .mts are
video/mp2t, or video/vnd.dlna.mpeg-tts on Windows)."""
ALLOWED_EXTENSIONS = ["mp4", "m4v", "mov", "webm", "mkv", "avi", "mpg", "mpeg", "ogv", "3gp", "ts", "mts"]
"""File extensions accepted for uploads."""
TITLE_MAX_LENGTH = 200
"""Longest title in characters."""
QUOTA_VIDEOS = 500
"""Videos a user may have at once."""
QUOTA_BYTES = 50 * 1024**3
"""Source bytes a user may have at once."""
DESCRIPTION_MAX_LENGTH = 5000
"""Longest description in characters."""
POSTER_URL_EXPIRY = 3600
"""Seconds a poster URL in the Video JSON stays valid."""
OUTBOX_RETENTION = 7 * 24 * 3600
"""Seconds relayed outbox rows are kept before `videoforge uploads cleanup` deletes them."""
CAPTION_MAX_BYTES = 2 * 1024 * 1024
"""Largest caption file (WebVTT or SRT) in bytes; a caption upload's request may be this much plus its form."""
CAPTION_MAX_CUES = 20_000
"""Most cues in one caption file."""
CAPTION_MAX_CUE_CHARS = 1000
"""Longest text of one cue, in characters."""
CAPTION_URL_EXPIRY = 3600
"""Seconds a caption file's download URL in the captions list stays valid."""
AUTO_CAPTIONS = False
"""Whether an upload that does not say gets an auto-generated caption track (transcription costs worker CPU)."""
VIDEO_PASSWORD_MIN_LENGTH = 4
"""Shortest password an owner may set on a password-protected video (a shared secret, so no account rules)."""
DOWNLOAD_URL_EXPIRY = 300
"""Seconds the owner's download link to a video's original stays valid (a download under way goes on after)."""
