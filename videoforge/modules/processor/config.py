"""Processor defaults: ladder, encoder, limits, worker scaling and transcription (TRANSCRIPTION_BACKEND is core)."""

LADDER_HEIGHTS = [1080, 720, 480, 360]
"""Rungs of the ladder by short side; never upscaled."""
X264_PRESET = "veryfast"
"""x264 preset for every rung."""
SEGMENT_SECONDS = 4
"""HLS segment length."""
CHUNK_THRESHOLD_SECONDS = 120.0
"""A source longer than this is transcoded in chunks many workers share (processor/chunked.py); 0 never chunks."""
CHUNK_SECONDS = 60
"""How long each chunk is, rounded to whole segments: a lost worker costs at most this much of the ladder again."""
MAX_DURATION = 4 * 3600
"""Longest accepted source, in seconds."""
STALL_SECONDS = 120.0
"""An ffmpeg that makes no progress this long is killed and the job retried."""
WORKER_MIN = 1
"""In-process workers at least (all-in-one)."""
WORKER_MAX = 2
"""In-process workers at most (all-in-one), scaled by backlog per worker."""
WORKER_POLL_SECONDS = 2.0
"""Long-poll wait of an idle worker."""
RETRY_BACKOFF_SECONDS = 30
"""Base delay before a transient failure is retried (doubles per receive)."""
CLOUDWATCH_NAMESPACE = ""
"""When set, backlog per worker is published to CloudWatch under this namespace."""
CLOUDWATCH_REGION = ""
"""Region for CloudWatch metrics; empty means SQS_REGION."""
CLOUDWATCH_PUBLISH_SECONDS = 60.0
"""How often each worker process publishes the backlog metrics."""
WORKER_CONCURRENCY = 1
"""Jobs one `videoforge worker` process runs at once (its worker slots)."""
WORKER_TARGET_BACKLOG = 1.0
"""Visible jobs per worker slot the in-process pool aims for (the ASG policy's target value, too)."""
WORKER_SCALE_SECONDS = 10.0
"""How often the in-process pool re-reads the backlog and resizes."""
MODULE_HOUSEKEEPING_SECONDS = 900.0
"""How often the enabled modules' housekeeping runs (the gallery's: stale uploads, late upload bytes, old outbox
rows), by one worker process of all at a time (a lease); 0 turns it off."""
WORKER_STOP_GRACE_SECONDS = 90.0
"""After the first SIGTERM the running job may finish within this; then its message is handed back."""
WORK_DIR = ""
"""Scratch folder for sources and ffmpeg output; empty means the system temporary folder."""
SOURCE_CACHE_BYTES = 10 * 1024**3
"""Bytes of downloaded sources a worker keeps under WORK_DIR for its next chunk jobs (source_cache.py); 0 keeps none."""
CLOUDWATCH_ENDPOINT_URL = ""
"""CloudWatch endpoint override (tests, compatible servers)."""
FFMPEG_CPU_PER_SECOND = 10.0
"""CPU seconds (all threads together) one ffmpeg may use per second of source; the ladder measured 1.8-3.6."""
FFMPEG_CPU_MIN_SECONDS = 120
"""CPU seconds any ffmpeg or ffprobe may use whatever the duration (probing, posters, short clips)."""
FFMPEG_MEMORY_MB = 0
"""Data memory (RLIMIT_DATA) of one ffmpeg in MiB; 0 means 1536 + 384 per CPU (x264's threads grow with cores)."""
FFMPEG_FILE_MB = 1024
"""Largest file one ffmpeg may write, in MiB (RLIMIT_FSIZE); a 4 s 1080p segment is about 3 MiB."""
TRANSCRIPTION_CHUNK_SECONDS = 30.0
"""pocketsphinx decodes this much audio at a time (cut at a quiet point), so memory stays flat on long videos."""
WHISPER_MODEL_DIR = ""
"""Folder of a faster-whisper model (the whisper backend needs it; nothing is ever downloaded)."""
WHISPER_COMPUTE_TYPE = "int8"
"""CTranslate2 compute type of the whisper backend on the CPU."""
WHISPER_THREADS = 0
"""CPU threads of the whisper backend; 0 lets CTranslate2 choose."""
TRANSCRIBE_REGION = ""
"""Region of Amazon Transcribe; empty means S3_REGION."""
TRANSCRIBE_ENDPOINT_URL = ""
"""Amazon Transcribe endpoint override (tests, compatible servers)."""
TRANSCRIBE_POLL_SECONDS = 5.0
"""How often the worker asks Amazon Transcribe whether a job is done."""
TRANSCRIBE_MAX_WAIT_SECONDS = 3600.0
"""A Transcribe job not done by then fails the track (the video plays on)."""
