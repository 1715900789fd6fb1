"""The gallery's clean-up, one home for `videoforge uploads cleanup` and the workers' periodic run: uploads never
confirmed, stale replacing files, relayed outbox rows, and upload folders erased again once their URLs expired.

Safe to run twice at once (a pass that outlasts its lease, or an operator's run beside the workers'): deleting
objects again is harmless, a row the other pass removed first is found gone (SQLAlchemy warns, the batch commits),
a folder both passes recorded is erased again twice, and follow-ups go by statement
(tests/modules/processor/test_module_housekeeping.py).
"""

from __future__ import annotations

from dataclasses import dataclass

from flask import Flask

from videoforge import outbox
from videoforge.erasure import erase_due, url_lifetime
from videoforge.modules.gallery.originals import cleanup_stale_replacements
from videoforge.modules.gallery.service import cleanup_stale_uploads
from videoforge.ports.storage import get_storage


@dataclass(frozen=True)
class CleanupReport:
    """What one pass did."""

    removed: int
    """Uploads left in awaiting_upload past the TTL, removed with their objects."""
    replacements: int
    """Replacing files never confirmed, removed."""
    pruned: int
    """Relayed outbox rows past OUTBOX_RETENTION, deleted."""
    erased: int
    """Follow-up erasures carried out (an erased upload's folder, once its URLs expired)."""
    failed: int
    """Follow-up erasures the store refused; kept for the next pass."""

    def __str__(self) -> str:
        return (
            f"removed {self.removed} stale uploads and {self.replacements} stale replacing files; pruned "
            f"{self.pruned} relayed outbox rows; erased {self.erased} upload folders again after their URLs "
            "expired" + (f" ({self.failed} failed, kept for the next run)" if self.failed else "")
        )


def clean_up(app: Flask, older_than: int | None = None) -> CleanupReport:
    """One pass over the app's database and store; `older_than` (seconds) stands in for UPLOAD_TTL."""
    config = app.config
    db, storage, lifetime = app.extensions["videoforge.db"], get_storage(app), url_lifetime(config)
    ttl = older_than if older_than is not None else int(config["UPLOAD_TTL"])
    removed = cleanup_stale_uploads(db, storage, ttl, url_lifetime=lifetime)
    replacements = cleanup_stale_replacements(db, storage, ttl, url_lifetime=lifetime)
    pruned = outbox.prune_sent(db, int(config["OUTBOX_RETENTION"]))
    erased, failed = erase_due(db, storage)
    return CleanupReport(removed, replacements, pruned, erased, failed)
