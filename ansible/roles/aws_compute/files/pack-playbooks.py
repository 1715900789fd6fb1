"""Pack the ansible/ folder (without inventories and caches) into a reproducible .tar.gz; print `written` or `same`.

Sorted entries, fixed owner and timestamps and a gzip header without a date: the same files always give the same
bytes, so the upload after it (which compares checksums) changes nothing on a re-run.
"""

import gzip
import io
import os
import sys
import tarfile

SKIP_DIRS = {"inventory", "__pycache__", ".pytest_cache"}


def entries(root: str):
    for folder, dirs, files in os.walk(root):
        dirs[:] = sorted(d for d in dirs if d not in SKIP_DIRS)
        for name in sorted(files):
            if not name.endswith((".pyc", ".retry")):
                yield os.path.join(folder, name)


def pack(root: str) -> bytes:
    raw = io.BytesIO()
    with tarfile.open(fileobj=raw, mode="w", format=tarfile.PAX_FORMAT) as tar:
        for path in entries(root):
            info = tar.gettarinfo(path, arcname=os.path.join("ansible", os.path.relpath(path, root)))
            info.mtime, info.uid, info.gid, info.uname, info.gname = 0, 0, 0, "root", "root"
            info.mode = 0o755 if info.mode & 0o111 else 0o644
            with open(path, "rb") as fh:
                tar.addfile(info, fh)
    return gzip.compress(raw.getvalue(), mtime=0)


def main(root: str, dest: str) -> None:
    data = pack(root)
    try:
        with open(dest, "rb") as fh:
            if fh.read() == data:
                print("same")
                return
    except FileNotFoundError:
        pass
    os.makedirs(os.path.dirname(dest) or ".", exist_ok=True)
    with open(dest + ".part", "wb") as fh:
        fh.write(data)
    os.replace(dest + ".part", dest)
    print("written")


if __name__ == "__main__":
    main(*sys.argv[1:])
