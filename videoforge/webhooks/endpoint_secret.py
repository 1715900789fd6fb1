"""An endpoint's signing secrets: issued sealed, rolled with an overlap, and opened to sign each delivery.

A roll gives the endpoint a new secret and keeps the one it replaces, sealed the same way, as `previous_secret`:
deliveries carry a signature with each (`t=…,v1=<new>,v1=<old>`) until `previous_secret_expires_at`, so the owner
has that long to deploy the new secret and no delivery is refused meanwhile. One predecessor at most: rolling again
within the overlap makes the secret current until then the predecessor. An overlap of zero forgets the old secret
at once.

Every write here is guarded on the sealed value it read. A roll and a dispatcher's housekeeping (sealing a secret
afresh under the current SECRET_KEY, forgetting a predecessor past its time) that cross cannot undo each other, and
of two rolls at once one wins and the other is told so, rather than handing out a secret that was overwritten.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import update
from sqlalchemy.orm import Session

from videoforge import sealing
from videoforge.db import rows_matched
from videoforge.models import WebhookEndpoint
from videoforge.webhooks import signing

DEFAULT_OVERLAP_HOURS = 24
"""How long the old secret goes on signing after a roll when its owner does not say."""
MAX_OVERLAP_HOURS = 72
"""The longest it may: long enough to deploy over a weekend, short enough that a leaked secret dies soon."""


def issue(secret_key: str, endpoint: WebhookEndpoint) -> str:
    """A fresh secret sealed into a new endpoint's row; its plaintext, for the one answer that shows it."""
    secret = signing.new_secret()
    endpoint.secret = _seal(secret_key, endpoint.id, secret)
    return secret


def roll(session: Session, keys: list[str], endpoint: WebhookEndpoint, overlap: timedelta, now: datetime) -> str | None:
    """Give `endpoint` a new secret, the current one signing beside it for `overlap` (zero: it stops now).

    The new secret's plaintext; None when the stored secret changed since `endpoint` was read (another roll won).
    A current secret no key opens cannot sign, so it is not kept. Flushes and refreshes `endpoint`; the caller
    commits."""
    keep = _open(keys, endpoint.id, endpoint.secret) if overlap > timedelta(0) else None
    secret = signing.new_secret()
    rolled = _replace(
        session,
        endpoint,
        "secret",
        secret=_seal(keys[0], endpoint.id, secret),
        previous_secret=None if keep is None else _seal(keys[0], endpoint.id, keep),
        previous_secret_expires_at=None if keep is None else now + overlap,
    )
    session.refresh(endpoint)
    return secret if rolled else None


def signing_secrets(session: Session, keys: list[str], endpoint: WebhookEndpoint, now: datetime) -> list[str] | None:
    """What a delivery to `endpoint` is signed with at `now`: its secret, then its predecessor while that lives.

    None when the secret opens with no configured key (SECRET_KEY changed without SECRET_KEY_FALLBACKS). On the way,
    a secret sealed under an older key is sealed afresh, and a predecessor past its time, or one no key opens, is
    forgotten. The caller commits."""
    try:
        secret, stale = sealing.unseal(keys, signing.SECRET_PURPOSE, endpoint.id, endpoint.secret)
    except sealing.SealBroken:
        return None
    # Housekeeping, not changes its owner made: updated_at stays as it was.
    if stale:
        _replace(
            session,
            endpoint,
            "secret",
            secret=_seal(keys[0], endpoint.id, secret),
            updated_at=WebhookEndpoint.updated_at,
        )
    previous = None
    if endpoint.previous_secret is not None:
        if previous_until(endpoint, now) is not None:
            previous = _open(keys, endpoint.id, endpoint.previous_secret)
        if previous is None:
            _replace(
                session,
                endpoint,
                "previous_secret",
                previous_secret=None,
                previous_secret_expires_at=None,
                updated_at=WebhookEndpoint.updated_at,
            )
    return [secret] if previous is None else [secret, previous]


def previous_until(endpoint: WebhookEndpoint, now: datetime) -> datetime | None:
    """When the predecessor stops signing, if it still signs at `now`."""
    until = endpoint.previous_secret_expires_at
    return until if endpoint.previous_secret is not None and until is not None and until > now else None


def _replace(session: Session, endpoint: WebhookEndpoint, guard: str, **values: Any) -> bool:
    """UPDATE the endpoint's row with `values` if its `guard` column still holds what `endpoint` read."""
    column = getattr(WebhookEndpoint, guard)
    read = getattr(endpoint, guard)
    matched = session.execute(
        update(WebhookEndpoint)
        .where(WebhookEndpoint.id == endpoint.id, column == read)
        .values(**values)
        .execution_options(synchronize_session=False)
    )
    return rows_matched(matched) == 1


def _open(keys: list[str], endpoint_id: str, sealed: str) -> str | None:
    try:
        return sealing.unseal(keys, signing.SECRET_PURPOSE, endpoint_id, sealed)[0]
    except sealing.SealBroken:
        return None


def _seal(secret_key: str, endpoint_id: str, secret: str) -> str:
    return sealing.seal(secret_key, signing.SECRET_PURPOSE, endpoint_id, secret)
