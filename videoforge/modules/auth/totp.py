"""TOTP second factor (RFC 6238, what authenticator apps speak): enrol, confirm, check a code, turn off.

Seeds are stored sealed (videoforge.sealing): `keys` is SECRET_KEY followed by its fallbacks.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

import pyotp
from sqlalchemy import or_, update
from sqlalchemy.orm import Session

from videoforge.db import rows_matched
from videoforge.models import User, utcnow
from videoforge.sealing import seal, unseal

STEP_SECONDS = 30
DRIFT_STEPS = 1
"""Codes one step either side of now are accepted: phone clocks drift."""
PURPOSE = "totp"


def accepted_step(secret: str | None, code: str, last_step: int | None, now: datetime) -> int | None:
    """The time step `code` belongs to when it is right and newer than the last one used, else None."""
    code = (code or "").strip().replace(" ", "")
    if not secret or len(code) != 6 or not code.isdigit():
        return None
    generator = pyotp.TOTP(secret, interval=STEP_SECONDS)
    current = int(now.timestamp()) // STEP_SECONDS
    for step in range(current - DRIFT_STEPS, current + DRIFT_STEPS + 1):
        # pyotp's verify compares in constant time; `at` takes seconds, so ask for the step's first second.
        if generator.verify(code, for_time=step * STEP_SECONDS, valid_window=0):
            return step if last_step is None or step > last_step else None
    return None


def check(user: User, code: str, keys: Sequence[str], now: datetime) -> int | None:
    """`accepted_step` for the user's stored seed."""
    return accepted_step(seed(user, keys), code, user.totp_last_step, now)


def claim(session: Session, user: User, step: int) -> bool:
    """Mark `step` used unless a racing request used it (or a later one) first: a code signs in once.

    One conditional UPDATE decides, so two sign-ins with the same code at once cannot both pass `check`'s test.
    """
    newer = or_(User.totp_last_step.is_(None), User.totp_last_step < step)
    won = rows_matched(session.execute(update(User).where(User.id == user.id, newer).values(totp_last_step=step)
                                       .execution_options(synchronize_session=False))) == 1
    if won:
        user.totp_last_step = step  # the row has it already; keeps the loaded object in step
    return won


def seed(user: User, keys: Sequence[str]) -> str | None:
    """The user's TOTP seed in the clear; sealed afresh in the row when it was under an older key."""
    if not user.totp_secret:
        return None
    secret, stale = unseal(keys, PURPOSE, str(user.id), user.totp_secret)
    if stale:
        user.totp_secret = seal(keys[0], PURPOSE, str(user.id), secret)  # committed with the caller's change
    return secret


def begin(session: Session, user: User, issuer_name: str, keys: Sequence[str]) -> dict[str, Any]:
    """A new secret, waiting for a code to confirm the app has it; enabled TOTP must be turned off first."""
    secret = pyotp.random_base32()
    user.totp_secret = seal(keys[0], PURPOSE, str(user.id), secret)
    user.totp_last_step = None
    session.commit()
    uri = pyotp.TOTP(secret, interval=STEP_SECONDS).provisioning_uri(name=user.email or user.sub,
                                                                     issuer_name=issuer_name)
    return {"secret": secret, "otpauth_uri": uri}


def confirm(session: Session, user: User, code: str, keys: Sequence[str], now: datetime | None = None) -> bool:
    """Turn TOTP on once the app shows a right code; False when the code is wrong."""
    step = check(user, code, keys, now or utcnow())
    if step is None:
        return False
    user.totp_enabled = True
    user.totp_last_step = step
    session.commit()
    return True


def disable(session: Session, user: User, code: str, keys: Sequence[str], now: datetime | None = None) -> bool:
    """Turn TOTP off with a current code (a stolen access token alone cannot); False when the code is wrong."""
    step = check(user, code, keys, now or utcnow())
    if step is None:
        return False
    user.totp_enabled = False
    user.totp_secret = None
    user.totp_last_step = step
    session.commit()
    return True
