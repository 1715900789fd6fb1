"""Download one release file from s3://bucket/key to a local path with the instance's IAM role credentials."""

import os
import sys
from urllib.parse import urlsplit

import boto3


def main(url: str, dest: str) -> None:
    parts = urlsplit(url)
    if parts.scheme != "s3" or not parts.netloc or not parts.path.strip("/"):
        sys.exit(f"fetch-release: {url!r} is not an s3://bucket/key URL")
    partial = dest + ".part"
    # Download beside the target and rename, so an interrupted boot never leaves a half wheel that `creates` trusts.
    boto3.client("s3").download_file(parts.netloc, parts.path.lstrip("/"), partial)
    os.replace(partial, dest)


if __name__ == "__main__":
    if len(sys.argv) != 3:
        sys.exit("usage: fetch-release.py s3://bucket/key DEST")
    main(sys.argv[1], sys.argv[2])
