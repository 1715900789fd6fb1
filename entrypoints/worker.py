"""Worker entrypoint: `python -m entrypoints.worker` runs the processor's job loop (WORKER_CONCURRENCY slots), and
the gallery's periodic housekeeping (stale uploads, late upload bytes), which workers carry out for every topology."""

from videoforge import create_app
from videoforge.modules.processor.worker import run_worker

app = create_app(MODULES=["processor", "gallery"])

if __name__ == "__main__":
    run_worker(app)
