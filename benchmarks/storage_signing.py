"""Cost of signing playback URLs on each storage adapter (a 2 h video's variant playlist signs ~1,800 of them)."""

from __future__ import annotations

import statistics
import tempfile
import time

from videoforge.ports.storage.local import LocalStorage
from videoforge.ports.storage.s3 import S3Storage
from videoforge.ports.storage.sigv4 import QueryPresigner

URLS = 1800
ROUNDS = 15


def per_url_us(sign) -> tuple[float, float]:
    """Medians over ROUNDS of wall and CPU time per URL, signing one playlist's worth of segment keys.

    CPU time is this process's own, which other load on a shared machine inflates less than wall time.
    """
    keys = [f"processed/0123456789abcdef0123456789abcdef/720p/seg_{n:05d}.m4s" for n in range(URLS)]
    wall, cpu = [], []
    for _ in range(ROUNDS):
        start, start_cpu = time.perf_counter(), time.process_time()
        for key in keys:
            sign(key)
        wall.append((time.perf_counter() - start) / URLS * 1e6)
        cpu.append((time.process_time() - start_cpu) / URLS * 1e6)
    return statistics.median(wall), statistics.median(cpu)


def main() -> None:
    local = LocalStorage(tempfile.mkdtemp(), "https://videos.example/api/storage", "a-secret-key")
    presigner = QueryPresigner("AKIDEXAMPLE", "secret", region="us-east-1", endpoint_url="https://s3.example")
    s3 = S3Storage(client=None, bucket="videos", presigner=presigner)
    for name, sign in (("local presign_get", lambda k: local.presign_get(k, 3600)),
                       ("s3 presign_get (QueryPresigner)", lambda k: s3.presign_get(k, 3600))):
        wall, cpu = per_url_us(sign)
        print(f"{name}: {wall:.2f} µs/URL wall, {cpu:.2f} µs/URL CPU (medians of {ROUNDS} x {URLS} URLs)")


if __name__ == "__main__":
    main()
