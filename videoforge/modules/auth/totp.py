"""TOTP second factor (RFC 6238, what authenticator apps speak): enrol, confirm, check a code, turn off."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import pyotp
from sqlalchemy.orm import Session

from videoforge.models import User, utcnow

STEP_SECONDS = 30
DRIFT_STEPS = 1
"""Codes one step either side of now are accepted: phone clocks drift."""


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


def begin(session: Session, user: User, issuer_name: str) -> dict[str, Any]:
    """A new secret, waiting for a code to confirm the app has it; enabled TOTP must be turned off first."""
    secret = pyotp.random_base32()
    user.totp_secret = secret
    user.totp_last_step = None
    session.commit()
    uri = pyotp.TOTP(secret, interval=STEP_SECONDS).provisioning_uri(name=user.email or user.sub,
                                                                     issuer_name=issuer_name)
    return {"secret": secret, "otpauth_uri": uri}


def confirm(session: Session, user: User, code: str, now: datetime | None = None) -> bool:
    """Turn TOTP on once the app shows a right code; False when the code is wrong."""
    step = accepted_step(user.totp_secret, code, user.totp_last_step, now or utcnow())
    if step is None:
        return False
    user.totp_enabled = True
    user.totp_last_step = step
    session.commit()
    return True


def disable(session: Session, user: User, code: str, now: datetime | None = None) -> bool:
    """Turn TOTP off with a current code (a stolen access token alone cannot); False when the code is wrong."""
    step = accepted_step(user.totp_secret, code, user.totp_last_step, now or utcnow())
    if step is None:
        return False
    user.totp_enabled = False
    user.totp_secret = None
    user.totp_last_step = step
    session.commit()
    return True
