"""Failure reasons fit for a video's owner: no path on the worker in them.

ffmpeg's stderr, OS errors and storage errors name the scratch folder, the storage root or other users' files;
a reason ends up in `Video.error`, which the owner (maybe the attacker) reads. One helper scrubs them all.
"""

from __future__ import annotations

import os
import re
from pathlib import Path


class JobFailure(Exception):
    """A step of a transcode that failed, with `reason`: one line its owner reads (scrubbed by the raiser).
    `permanent` says whether a retry could help; each kind of failure sets it."""

    permanent = False

    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason


_ABSOLUTE_PATH = re.compile(
    # A file: URL, or a slash that starts a word (not the second slash of "//", nor one inside "1/30" or "a/b"),
    # then everything up to a space, quote, bracket, separator or colon (ffmpeg writes "<path>: <error>").
    r"""(?:\bfile:(?://)?(?=/)|(?<![^\s'"(\[=,:]))/(?!/)[^\s'"|;,:()<>\[\]]+"""
)


def scrub_paths(text: str, **places: str | Path | None) -> str:
    """`text` with every absolute path replaced: each named place by its name (`source=path` gives
    `<source>`, a folder's contents `<work>/...`), any other by `<path>`."""
    named = sorted(((os.path.abspath(p), name) for name, p in places.items() if p), key=lambda item: -len(item[0]))
    for place, name in named:
        for spelling in ("file:" + place, place):
            text = text.replace(spelling, f"<{name}>")
    return _ABSOLUTE_PATH.sub("<path>", text)
