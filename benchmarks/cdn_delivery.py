"""Benchmark: serving a 2-hour variant playlist's media URLs, per-URL S3 presigns against one CloudFront policy.

    .venv/bin/python benchmarks/cdn_delivery.py [--repeats 31] [--viewers 100]

One run builds the variant playlist of a 2-hour video (1,800 four-second segments + the init segment = 1,801 URIs)
and rewrites it as streaming does (`signed_variant`) through each delivery, side by side in interleaved rounds:
  s3 presign       today's S3 default: the store presigns each URL (SigV4, QueryPresigner);
  cdn, new grant   CloudFront: one RSA-SHA1 custom-policy signature per playlist (memo emptied every round), the
                   same query string appended to every URI;
  cdn, memo hit    the same within the grant's minute (a busy video: one RSA signature per minute per process);
  local prefix     the all-in-one: one HMAC for the video's prefix, the same query string on every URI;
  local per-URL    the all-in-one before: one HMAC per URL.
Then cacheability: `--viewers` viewers open the video a few seconds apart; counted are the distinct full URLs they are
given and the distinct cache keys a shared cache would hold (S3: the whole URL, since every signature differs and S3
has no edge cache; CloudFront: the path alone, as the distribution's cache policy keys it).
Medians over rounds, wall and CPU time; ratios are medians of per-round ratios, so machine load hits both alike.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import sys
import tempfile
import time
from pathlib import Path
from unittest import mock
from urllib.parse import urlsplit

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from cryptography.hazmat.primitives.asymmetric import rsa  # noqa: E402

from benchmarks.playlist_signing import SEGMENTS, variant_playlist  # noqa: E402 - the same 2-hour playlist
from videoforge.modules.streaming.service import signed_variant  # noqa: E402
from videoforge.ports.delivery.cloudfront import CloudFrontDelivery  # noqa: E402
from videoforge.ports.delivery.storage import StorageDelivery  # noqa: E402
from videoforge.ports.storage.local import LocalStorage  # noqa: E402
from videoforge.ports.storage.s3 import S3Storage  # noqa: E402

VIDEO = "0f8fad5bd9cb469fa16570867728950e"
PREFIX = f"processed/{VIDEO}/"
PLAYLIST_KEY = f"{PREFIX}3fa85f64/720p/index.m3u8"
EXPIRES = 4 * 3600
CDN = "https://d111111abcdef8.cloudfront.net"


def deliveries(scratch: str) -> dict[str, tuple[object, bool]]:
    """name -> (delivery, empty the CloudFront memo before each playlist)."""
    s3 = StorageDelivery(S3Storage("videoforge", endpoint_url="http://127.0.0.1:8333", credentials=(
        "AKIAIOSFODNN7EXAMPLE", "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY", None)))  # presigning makes no client
    cdn = CloudFrontDelivery(CDN, "K2JCJMDEHXQW5F", rsa.generate_private_key(public_exponent=65537, key_size=2048))
    local = LocalStorage(scratch, "http://127.0.0.1:8000/api/storage", "benchmark secret")
    return {
        "s3_presign": (s3, False),
        "cdn_new_grant": (cdn, True),
        "cdn_memo_hit": (cdn, False),
        "local_prefix": (StorageDelivery(local), False),
        "local_per_url": (PerUrl(local), False),
    }


class PerUrl:
    """The all-in-one as it was: one signed GET per URL (LocalStorage.presign_get)."""

    credentials = False

    def __init__(self, storage: LocalStorage):
        self.storage = storage

    def grant(self, prefix: str, expires_in: int):
        from videoforge.ports.delivery import MediaGrant

        return MediaGrant(url=lambda key: self.storage.presign_get(key, expires_in), expires=0)


def serve(delivery, text: str, fresh: bool) -> str:
    """What streaming's variant view does per request: a grant for the video, then the playlist rewritten."""
    if fresh:
        delivery._memo.clear()
    return signed_variant(text, PLAYLIST_KEY, delivery.grant(PREFIX, EXPIRES).url)


def cacheability(delivery, text: str, viewers: int, start: float) -> dict[str, int]:
    """Distinct URLs and distinct cache keys the media of `viewers` viewers (7 s apart) amount to."""
    urls: set[str] = set()
    for viewer in range(viewers):
        now = start + 7 * viewer
        with mock.patch("time.time", lambda now=now: now):
            playlist = signed_variant(text, PLAYLIST_KEY, delivery.grant(PREFIX, EXPIRES).url)
        urls.update(line.split('URI="', 1)[1].rstrip('"') if "URI=" in line else line
                    for line in playlist.splitlines() if line.startswith(("http", "#EXT-X-MAP")))
    edge_cache = isinstance(delivery, CloudFrontDelivery)
    keys = {urlsplit(u).path for u in urls} if edge_cache else urls
    return {"distinct_urls": len(urls), "distinct_cache_keys": len(keys)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=31, help="interleaved timed rounds")
    parser.add_argument("--viewers", type=int, default=100, help="viewers for the cacheability count")
    args = parser.parse_args()

    text = variant_playlist()
    with tempfile.TemporaryDirectory() as scratch:
        modes = deliveries(scratch)
        rounds = []
        for i in range(args.repeats):
            row = {}
            order = list(modes.items())
            for name, (delivery, fresh) in order if i % 2 else reversed(order):
                start, cpu = time.perf_counter(), time.process_time()
                serve(delivery, text, fresh)
                row[name], row[name + "_cpu"] = time.perf_counter() - start, time.process_time() - cpu
            rounds.append(row)

        def med(name: str) -> float:
            return statistics.median(r[name] for r in rounds) * 1e3

        def ratio(num: str, den: str) -> float:
            return statistics.median(r[num] / r[den] for r in rounds)

        start = time.time()
        counts = {name: cacheability(modes[name][0], text, args.viewers, start)
                  for name in ("s3_presign", "cdn_new_grant", "local_prefix")}
    results = {
        "python": platform.python_version(), "load_1min": os.getloadavg()[0], "uris_per_playlist": SEGMENTS + 1,
        "repeats": args.repeats,
        "playlist_ms": {name: round(med(name), 2) for name in modes},
        "playlist_cpu_ms": {name: round(med(name + "_cpu"), 2) for name in modes},
        "s3_presign_vs_cdn_new_grant": round(ratio("s3_presign", "cdn_new_grant"), 2),
        "s3_presign_vs_cdn_memo_hit": round(ratio("s3_presign", "cdn_memo_hit"), 2),
        "local_per_url_vs_local_prefix": round(ratio("local_per_url", "local_prefix"), 2),
        "viewers": args.viewers, "cacheability": counts,
    }
    print(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
