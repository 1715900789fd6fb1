"""Benchmark: signing a 2-hour variant playlist with QueryPresigner against boto3, with one raw HMAC for scale.

    .venv/bin/python benchmarks/playlist_signing.py [--repeats 31] [--boto-repeats 7]

One run builds the variant playlist of a 2-hour video (1,800 four-second segments + init segment),
checks that both signers produce the very same playlist at a frozen instant, then times:
  raw HMAC      one hmac.new(key, string_to_sign, sha256).hexdigest(), the reference unit;
  presign       QueryPresigner.presign() alone, per URL (clock read each call, as the service does);
  playlist (a)  sign_playlist() with QueryPresigner, per playlist;
  playlist (b)  sign_playlist() with boto3's generate_presigned_url per URL, per playlist.
Medians over interleaved rounds, in wall-clock time and in this process's CPU time (which other load
on the machine inflates less); ratios are medians of per-round ratios, so drift hits both sides.
"""

from __future__ import annotations

import argparse
import datetime as dt
import hashlib
import hmac
import json
import os
import platform
import statistics
import sys
import time
from pathlib import Path
from unittest import mock

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import boto3  # noqa: E402
import botocore  # noqa: E402
import botocore.auth  # noqa: E402
from botocore.config import Config  # noqa: E402

from videoforge.modules.streaming.playlists import sign_playlist  # noqa: E402
from videoforge.ports.storage.sigv4 import QueryPresigner  # noqa: E402

SEGMENTS = 1800  # 2 h of 4 s segments
ENDPOINT, REGION, BUCKET = "http://127.0.0.1:8333", "us-east-1", "videoforge"
ACCESS_KEY, SECRET_KEY = "AKIAIOSFODNN7EXAMPLE", "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"
PREFIX = "processed/0f8fad5b-d9cb-469f-a165-70867728950e/720p/"
EXPIRES = 4 * 3600


def variant_playlist(segments: int = SEGMENTS) -> str:
    lines = ["#EXTM3U", "#EXT-X-VERSION:7", "#EXT-X-TARGETDURATION:4", "#EXT-X-MEDIA-SEQUENCE:0",
             "#EXT-X-PLAYLIST-TYPE:VOD", "#EXT-X-INDEPENDENT-SEGMENTS", '#EXT-X-MAP:URI="init.mp4"']
    for i in range(segments):
        lines += ["#EXTINF:4.000000,", f"seg_{i:05d}.m4s"]
    lines.append("#EXT-X-ENDLIST")
    return "\n".join(lines) + "\n"


def median_seconds(fn, repeats: int) -> float:
    samples = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        samples.append(time.perf_counter() - start)
    return statistics.median(samples)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=31, help="timed rounds of the fast paths")
    parser.add_argument("--boto-repeats", type=int, default=7, help="of those, rounds that also time boto3")
    args = parser.parse_args()

    text = variant_playlist()
    urls_per_playlist = SEGMENTS + 1
    presigner = QueryPresigner(ACCESS_KEY, SECRET_KEY, region=REGION, endpoint_url=ENDPOINT)
    client = boto3.client("s3", endpoint_url=ENDPOINT, region_name=REGION, aws_access_key_id=ACCESS_KEY,
                          aws_secret_access_key=SECRET_KEY,
                          config=Config(signature_version="s3v4", s3={"addressing_style": "path"}))

    def fast(uri: str) -> str:
        return presigner.presign("GET", BUCKET, PREFIX + uri, EXPIRES)

    def boto(uri: str) -> str:
        return client.generate_presigned_url("get_object", Params={"Bucket": BUCKET, "Key": PREFIX + uri},
                                             ExpiresIn=EXPIRES)

    # Same instant for both: the two playlists must be identical, byte for byte.
    frozen = dt.datetime(2025, 3, 4, 5, 6, 7)
    with mock.patch.object(botocore.auth, "get_current_datetime", lambda remove_tzinfo=True: frozen):
        by_boto = sign_playlist(text, boto)
    by_fast = sign_playlist(text, lambda uri: presigner.presign("GET", BUCKET, PREFIX + uri, EXPIRES, now=frozen))
    assert by_fast == by_boto, "QueryPresigner and boto3 disagree"

    # Raw HMAC over strings-to-sign of the real length, with a derived-key-sized key, in the same
    # list-comprehension shape as the presign loop so loop overhead is alike.
    key = hashlib.sha256(b"k").digest()
    messages = [("AWS4-HMAC-SHA256\n20250304T050607Z\n20250304/us-east-1/s3/aws4_request\n"
                 + hashlib.sha256(str(i).encode()).hexdigest()).encode() for i in range(urls_per_playlist)]
    keys = [PREFIX + f"seg_{i:05d}.m4s" for i in range(SEGMENTS)] + [PREFIX + "init.mp4"]

    def raw_hmacs():
        return [hmac.new(key, m, hashlib.sha256).hexdigest() for m in messages]

    def presigns():
        return [presigner.presign("GET", BUCKET, k, EXPIRES) for k in keys]

    # Rounds interleave every measurement (boto3 in the first few, alternating first/last), and ratios
    # are taken within a round, so other load on the machine hits numerator and denominator alike.
    rounds = []
    for i in range(args.repeats):
        row = {}
        steps = [("raw", raw_hmacs), ("presign", presigns), ("fast", lambda: sign_playlist(text, fast))]
        if i < args.boto_repeats:
            steps.insert(0 if i % 2 else len(steps), ("boto", lambda: sign_playlist(text, boto)))
        for name, step in steps:
            start, cpu = time.perf_counter(), time.process_time()
            step()
            row[name] = time.perf_counter() - start
            row[name + "_cpu"] = time.process_time() - cpu
        rounds.append(row)

    def med(name, per=1):
        return statistics.median(r[name] for r in rounds if name in r) / per

    def med_ratio(num, den, per_num=1, per_den=1):
        return statistics.median((r[num] / per_num) / (r[den] / per_den) for r in rounds if num in r)

    raw_hmac, presign_only = med("raw", urls_per_playlist), med("presign", urls_per_playlist)
    fast_playlist, boto_playlist = med("fast"), med("boto")

    results = {
        "python": platform.python_version(),
        "botocore": botocore.__version__,
        "urls_per_playlist": urls_per_playlist,
        "raw_hmac_us": raw_hmac * 1e6,
        "raw_hmac_cpu_us": med("raw_cpu", urls_per_playlist) * 1e6,
        "presign_us": presign_only * 1e6,
        "presign_cpu_us": med("presign_cpu", urls_per_playlist) * 1e6,
        "presign_vs_raw_hmac": med_ratio("presign", "raw"),
        "playlist_fast_ms": fast_playlist * 1e3,
        "playlist_fast_cpu_ms": med("fast_cpu") * 1e3,
        "playlist_fast_per_url_us": fast_playlist / urls_per_playlist * 1e6,
        "playlist_fast_per_url_vs_raw_hmac": med_ratio("fast", "raw"),
        "playlist_fast_per_url_vs_raw_hmac_cpu": med_ratio("fast_cpu", "raw_cpu"),
        "playlist_boto_ms": boto_playlist * 1e3,
        "playlist_boto_cpu_ms": med("boto_cpu") * 1e3,
        "playlist_boto_per_url_us": boto_playlist / urls_per_playlist * 1e6,
        "boto_vs_fast": med_ratio("boto", "fast"),
        "playlist_boto_per_url_vs_raw_hmac": med_ratio("boto", "raw"),
        "rounds": len(rounds),
        "boto_rounds": sum("boto" in r for r in rounds),
    }
    results["load_average_1m"] = os.getloadavg()[0]
    print(json.dumps(results, indent=2))
    r = results
    print(
        "\n| measurement | median wall (CPU) | per URL wall (CPU) | × raw HMAC |\n|---|---|---|---|\n"
        f"| one raw HMAC-SHA256 | — | {r['raw_hmac_us']:.2f} µs ({r['raw_hmac_cpu_us']:.2f}) | 1.0 |\n"
        f"| QueryPresigner.presign() alone | — | {r['presign_us']:.2f} µs ({r['presign_cpu_us']:.2f}) | "
        f"{r['presign_vs_raw_hmac']:.2f} |\n"
        f"| (a) 2 h playlist, QueryPresigner | {r['playlist_fast_ms']:.1f} ms ({r['playlist_fast_cpu_ms']:.1f} ms) | "
        f"{r['playlist_fast_per_url_us']:.2f} µs | {r['playlist_fast_per_url_vs_raw_hmac']:.2f} |\n"
        f"| (b) 2 h playlist, boto3 generate_presigned_url | {r['playlist_boto_ms']:.0f} ms "
        f"({r['playlist_boto_cpu_ms']:.0f} ms) | {r['playlist_boto_per_url_us']:.0f} µs | "
        f"{r['playlist_boto_per_url_vs_raw_hmac']:.0f} |"
    )
    def verdict(ok: bool) -> str:
        return "met" if ok else "MISSED"

    print(f"\ntarget ≤ 20 ms per 2 h playlist: wall {verdict(r['playlist_fast_ms'] <= 20)}, "
          f"CPU {verdict(r['playlist_fast_cpu_ms'] <= 20)} (load average {r['load_average_1m']:.1f} on "
          f"{os.cpu_count()} cores); target ≤ 3× raw HMAC per URL: "
          f"{verdict(r['playlist_fast_per_url_vs_raw_hmac'] <= 3)}")


if __name__ == "__main__":
    main()
