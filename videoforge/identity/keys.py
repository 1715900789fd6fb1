"""The local issuer's RS256 signing key: from config (or Secrets Manager), else created once in the instance folder.

Rotation keeps the public halves of retired keys in the JWKS until every token they signed has expired:
retired keys come from AUTH_RETIRED_PUBLIC_KEYS and from `auth_keys/retired/<kid>.pem` in the instance
folder (written by `videoforge rotate-signing-key`, dated by the file's modification time).
"""

from __future__ import annotations

import os
import time

from joserfc.jwk import Key, KeySet, RSAKey

from videoforge.config import ConfigError

KEY_FILE = "auth_signing_key.pem"
RETIRED_DIR = os.path.join("auth_keys", "retired")


def load_signing_key(config: dict, instance_path: str) -> RSAKey:
    """The private key; its `kid` is the RFC 7638 thumbprint, so the same key always has the same kid."""
    pem = config.get("AUTH_SIGNING_KEY") or ""
    if not pem:
        path = os.path.join(instance_path, KEY_FILE)
        if not os.path.exists(path):
            _write_private(path, RSAKey.generate_key(2048, private=True))
        with open(path, "rb") as fh:
            pem = fh.read()
    key = _import(pem, "AUTH_SIGNING_KEY")
    if not key.is_private:
        raise ConfigError("VIDEOFORGE_AUTH_SIGNING_KEY: a public key was given; the issuer needs the private key")
    key.ensure_kid()
    return key


def load_retired_keys(config: dict, instance_path: str, keep_seconds: int, now: float | None = None) -> list[RSAKey]:
    """Public keys of retired signing keys still inside their tokens' lifetime."""
    now = time.time() if now is None else now
    keys = [_import(pem, "AUTH_RETIRED_PUBLIC_KEYS") for pem in config.get("AUTH_RETIRED_PUBLIC_KEYS") or ()]
    folder = os.path.join(instance_path, RETIRED_DIR)
    if os.path.isdir(folder):
        for name in sorted(os.listdir(folder)):
            path = os.path.join(folder, name)
            if name.endswith(".pem") and now - os.path.getmtime(path) < keep_seconds:
                with open(path, "rb") as fh:
                    keys.append(_import(fh.read(), path))
    for key in keys:
        key.ensure_kid()
    return keys


def rotate_signing_key(instance_path: str, keep_seconds: int, now: float | None = None) -> tuple[RSAKey, RSAKey]:
    """Retire the instance folder's key (its public half stays published) and make a new one; returns (new, old)."""
    now = time.time() if now is None else now
    old = load_signing_key({}, instance_path)
    folder = os.path.join(instance_path, RETIRED_DIR)
    os.makedirs(folder, exist_ok=True)
    retired = os.path.join(folder, f"{old.kid}.pem")
    with open(retired, "wb") as fh:
        fh.write(old.as_pem(private=False))
    os.utime(retired, (now, now))
    for name in os.listdir(folder):  # forget keys whose last token has expired
        path = os.path.join(folder, name)
        if now - os.path.getmtime(path) >= keep_seconds:
            os.remove(path)
    new = RSAKey.generate_key(2048, private=True)
    path = os.path.join(instance_path, KEY_FILE)
    if os.path.exists(path + ".new"):  # left by an interrupted rotation
        os.remove(path + ".new")
    _write_private(path + ".new", new)
    os.replace(path + ".new", path)  # atomic: a starting process sees the old key or the new one, never half
    new.ensure_kid()
    return new, old


def public_keyset(*keys: RSAKey) -> KeySet:
    """The JWKS document's keys: public halves only, current key first, retired keys kept until their tokens expire."""
    seen: set[str] = set()
    public: list[Key] = []
    for k in keys:
        kid = k.kid or k.thumbprint()  # the kid ensure_kid() gives a key without one
        if kid not in seen:
            seen.add(kid)
            public.append(RSAKey.import_key(k.as_dict(private=False) | {"kid": kid, "use": "sig", "alg": "RS256"}))
    return KeySet(public)


def _write_private(path: str, key: RSAKey) -> None:
    os.makedirs(os.path.dirname(path), exist_ok=True)
    # Created with 0600 so only the service user can read it; O_EXCL so two starting processes cannot both write.
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return
    with os.fdopen(fd, "wb") as fh:
        fh.write(key.as_pem(private=True))


def _import(pem: str | bytes, source: str) -> RSAKey:
    try:
        return RSAKey.import_key(pem.encode() if isinstance(pem, str) else pem)
    except Exception:  # noqa: BLE001 - cryptography and joserfc raise several kinds; the operator needs the source
        # (which setting), not the trace
        raise ConfigError(f"{_name(source)}: not an RSA key in PEM form") from None


def _name(source: str) -> str:
    return f"VIDEOFORGE_{source}" if source.isupper() else source
