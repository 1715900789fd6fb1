"""Password hashing with a slow KDF (scrypt through werkzeug) and the strength rules for new passwords."""

from __future__ import annotations

from werkzeug.security import check_password_hash, generate_password_hash

METHOD = "scrypt:32768:8:1"
MAX_LENGTH = 256
"""Longer inputs are refused: the KDF's cost must not be the caller's to choose."""

# The most used passwords of public breach lists that are long enough to pass the length rule.
COMMON = frozenset("""
1234567890 12345678910 0123456789 1q2w3e4r5t qwertyuiop 1qaz2wsx3edc password123 password12 password1!
iloveyou12 qwerty1234 qwerty12345 1234qwerty abcdefghij abc1234567 letmein123 welcome123 administrator
passw0rd12 football12 monkey1234 princess12 sunshine12 1111111111 0000000000 9876543210 aaaaaaaaaa
videoforge videoforge1 changeme12 p@ssw0rd12 superman12 trustno1234
""".split())

# Hashing this once for unknown accounts makes "no such account" take as long as "wrong password".
_DUMMY_HASH = generate_password_hash("not a real password, only for timing", method=METHOD)


def hash_password(password: str) -> str:
    """A salted scrypt hash in werkzeug's self-describing format."""
    return generate_password_hash(password, method=METHOD)


def password_matches(stored_hash: str | None, password: str) -> bool:
    """Constant-effort check: an account without a password still costs one KDF run."""
    if len(password) > MAX_LENGTH:
        return False
    if not stored_hash:
        check_password_hash(_DUMMY_HASH, password)
        return False
    return check_password_hash(stored_hash, password)


def password_problem(password: str, email: str, min_length: int) -> str | None:
    """Why a new password is too weak, or None: length and a list of common ones, not composition rules
    (NIST 800-63B)."""
    if len(password) < min_length:
        return f"Use at least {min_length} characters."
    if len(password) > MAX_LENGTH:
        return f"Use at most {MAX_LENGTH} characters."
    lowered = password.lower()
    if lowered in COMMON or len(set(lowered)) < 4:
        return "This password is too easy to guess; choose a less common one."
    local_part = email.partition("@")[0].lower()
    if len(local_part) >= 4 and local_part in lowered:
        return "The password must not contain your email address."
    return None
