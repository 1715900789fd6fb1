"""Account recovery and hygiene for the local issuer: forgot/reset password, verify the address, change the
password or the address, delete the account.

Plain functions over a session and the config, like service.py. Mail goes through `mail` (the view passes the
Courier's `post`, tests a list's `append`), and only to `base` links (links.trusted_base); with no base, nothing
is mailed and the operator is told to set PUBLIC_URL. No answer says whether an address has an account: "forgot
password" answers 202 either way, and a new address that belongs to someone else gets a notice instead of a link.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from datetime import datetime
from email.message import EmailMessage
from typing import Any

from sqlalchemy import delete, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from videoforge import erasure
from videoforge.db import rows_matched
from videoforge.errors import Refusal
from videoforge.models import AccountToken, ApiKey, KnownAddress, RefreshToken, User, utcnow
from videoforge.modules.auth import links, messages, throttle
from videoforge.modules.auth.passwords import hash_password, password_matches, password_problem
from videoforge.modules.auth.service import Issuer, find_user, issue_tokens, normalize_email
from videoforge.ports.mail import sender_of
from videoforge.ports.storage import Storage
from videoforge.throttle import Attempt, withdraw
from videoforge.webhooks import events as webhook_events

log = logging.getLogger(__name__)

Mail = Callable[[EmailMessage], None]
WRONG_PASSWORD = "That is not your current password."


def forgot_password(session: Session, config: Mapping[str, Any], mail: Mail, base: str | None, email: str,
                    address: str | None, now: datetime | None = None) -> None:
    """Mail a reset link when a local account has this address; the caller answers 202 either way."""
    now = now or utcnow()
    email = normalize_email(email)
    base = _require_base(base, "a password reset link")  # the same for every address: tells nobody anything
    _mail_allowed(session, config, email, address, now)
    user = find_user(session, email)
    if user is None or not user.password_hash or not user.email:
        return
    ttl = int(config["AUTH_RESET_LINK_TTL"])
    token = links.issue(session, user, links.RESET, user.email, ttl, now)
    mail(messages.reset(sender_of(config), user.email, links.url(base, links.RESET, token), ttl))


def reset_password(session: Session, config: Mapping[str, Any], mail: Mail, token: str, password: str,
                   address: str | None, now: datetime | None = None) -> None:
    """Set a new password with a reset link: every session signs out, every API key is revoked, and the link proves
    the address.

    A reset is how an account is taken back (the "password changed" mail says so), so what whoever held it could
    have left behind stops with the sessions: a key made with a stolen session would otherwise keep the account
    open. A change made with the current password keeps the keys (the owner's own scripts go on working).
    """
    now = now or utcnow()
    row = _link(session, config, (links.RESET,), token, address, now)
    user = _owner(session, row)
    _check_new_password(config, user, password, "password")
    links.claim(session, row, now)
    user.password_hash = hash_password(password)
    if row.email == user.email and user.email_verified_at is None:
        user.email_verified_at = now  # the link reached this address
    _sign_out_everywhere(session, user, now)
    revoked = _revoke_api_keys(session, user, now)
    session.commit()
    if user.email:  # always, for an account a reset link reached
        # The owner proved they hold the mailbox: their own failures from here no longer hold them back.
        withdraw(session, Attempt(), forget=throttle.pair_key(user.email, address))
        mail(messages.password_changed(sender_of(config), user.email, keys_revoked=revoked))


def welcome(session: Session, config: Mapping[str, Any], mail: Mail, base: str | None, user: User,
            now: datetime | None = None) -> None:
    """At sign-up: mail the verification link, unless verification is off. Never refuses: the account exists."""
    if config["AUTH_EMAIL_VERIFICATION"] == "off":
        return
    if not base:
        _require_base(base, "an address verification link", refuse=False)
        return
    _mail_verification(session, config, mail, base, user, now or utcnow())


def send_verification(session: Session, config: Mapping[str, Any], mail: Mail, base: str | None, user: User,
                      address: str | None, now: datetime | None = None) -> None:
    """Mail the signed-in user a new link that verifies their address (throttled like every mailed link)."""
    now = now or utcnow()
    if config["AUTH_EMAIL_VERIFICATION"] == "off":
        raise Refusal(404, "Email verification is off on this server.")
    if user.email_verified_at is not None:
        raise Refusal(409, "Your email address is already verified.")
    if not user.email or not user.password_hash:
        raise Refusal(409, "This account signs in elsewhere; its provider verifies the address.")
    base = _require_base(base, "an address verification link")
    _mail_allowed(session, config, user.email, address, now)
    _mail_verification(session, config, mail, base, user, now)


def _mail_verification(session: Session, config: Mapping[str, Any], mail: Mail, base: str, user: User,
                       now: datetime) -> None:
    if not user.email:  # Cognito's rows may have none; their provider verifies addresses
        return
    ttl = int(config["AUTH_EMAIL_LINK_TTL"])
    token = links.issue(session, user, links.VERIFY, user.email, ttl, now)
    mail(messages.verify(sender_of(config), user.email, links.url(base, links.VERIFY, token), ttl))


def verify_email(session: Session, config: Mapping[str, Any], mail: Mail, token: str, address: str | None,
                 now: datetime | None = None) -> User:
    """Follow a verification link (the account's address) or a new-address link (the address changes now)."""
    now = now or utcnow()
    row = _link(session, config, (links.VERIFY, links.EMAIL), token, address, now)  # one page serves both
    user = _owner(session, row)
    if row.purpose == links.VERIFY and row.email != user.email:
        raise Refusal.field(400, "token", links.NOT_VALID)  # the address changed since: the link proves nothing now
    links.claim(session, row, now)
    if row.purpose == links.VERIFY:
        user.email_verified_at = now
        session.commit()
        return user
    old = user.email
    user.email, user.email_verified_at = row.email, now
    links.retire(session, user.id, links.VERIFY, now)
    try:
        session.commit()
    except IntegrityError:  # someone signed up with that address since the link was sent
        session.rollback()
        raise Refusal.field(409, "token", "Another account has taken this address since the link was sent.") from None
    if old:
        mail(messages.address_changed(sender_of(config), old, row.email))
    return user


def change_password(session: Session, config: Mapping[str, Any], issuer: Issuer, mail: Mail, user: User,
                    current: str, new: str, now: datetime | None = None) -> dict[str, Any]:
    """A new password for the signed-in user: every other session signs out; this one gets fresh tokens."""
    now = now or utcnow()
    _check_password(session, config, user, current, "current_password", now)
    _check_new_password(config, user, new, "new_password")
    user.password_hash = hash_password(new)
    _sign_out_everywhere(session, user, now)
    session.commit()
    if user.email:
        mail(messages.password_changed(sender_of(config), user.email))
    return issue_tokens(session, issuer, user, now=now)


def change_email(session: Session, config: Mapping[str, Any], mail: Mail, base: str | None, user: User,
                 password: str, new_email: str, address: str | None, now: datetime | None = None) -> None:
    """Mail the new address a link that makes the change; until it is followed the old address stays."""
    now = now or utcnow()
    _check_password(session, config, user, password, "password", now)
    new_email = normalize_email(new_email)
    if new_email == user.email:
        raise Refusal.field(400, "email", "That is already your address.")
    base = _require_base(base, "a new-address link")
    _mail_allowed(session, config, new_email, address, now)
    if find_user(session, new_email) is not None:
        mail(messages.address_taken(sender_of(config), new_email))
        return
    ttl = int(config["AUTH_EMAIL_LINK_TTL"])
    token = links.issue(session, user, links.EMAIL, new_email, ttl, now)
    mail(messages.new_address(sender_of(config), new_email, links.url(base, links.EMAIL, token), ttl))


def delete_account(session: Session, config: Mapping[str, Any], storage: Storage, mail: Mail, user: User,
                   password: str, now: datetime | None = None) -> None:
    """Delete the account: its videos and their files go too, or to an administrator (ACCOUNT_DELETION=handover)."""
    now = now or utcnow()
    _check_password(session, config, user, password, "password", now)
    handover = config["ACCOUNT_DELETION"] == "handover"
    if handover:
        heir = _heir(session, config, user)
        handed, erased = erasure.hand_over_videos(session, storage, user.id, heir.id, erasure.url_lifetime(config))
        session.flush()
        log.info("account %s deleted: %d videos handed to %s, %d unfinished uploads erased", user.id, handed, heir.id,
                 erased)
    else:
        erased = erasure.erase_videos_of(session, storage, user.id, erasure.url_lifetime(config))
        log.info("account %s deleted with its %d videos", user.id, erased)
    email = user.email
    _tombstone(session, user)
    session.commit()
    if email:
        mail(messages.account_deleted(sender_of(config), email, handover))


# --- helpers --------------------------------------------------------------------------------------------------

def _mail_allowed(session: Session, config: Mapping[str, Any], email: str, address: str | None,
                  now: datetime) -> None:
    attempt = throttle.mail_attempt(session, config, email, address, now)
    if attempt.wait is not None:
        raise Refusal(429, f"Too many emails asked for; try again in {attempt.wait} seconds.",
                      headers={"Retry-After": str(attempt.wait)})


def _require_base(base: str | None, what: str, refuse: bool = True) -> str:
    """Where links point; without one (links.trusted_base), 503 and a line for the operator."""
    if base:
        return base
    log.error("cannot mail %s: PUBLIC_URL is unset and the request came in on a public name, which a caller could "
              "have forged; set VIDEOFORGE_PUBLIC_URL", what)
    if refuse:
        raise Refusal(503, "This server cannot mail links until its operator sets its public address (PUBLIC_URL).")
    return ""


def _link(session: Session, config: Mapping[str, Any], purposes: tuple[str, ...], token: str, address: str | None,
          now: datetime):
    attempt = throttle.link_attempt(session, config, address, now)
    if attempt.wait is not None:
        raise Refusal(429, f"Too many tries; try again in {attempt.wait} seconds.",
                      headers={"Retry-After": str(attempt.wait)})
    row = links.find(session, purposes, token, now)
    withdraw(session, attempt)
    return row


def _owner(session: Session, row: AccountToken) -> User:
    """The account a link was issued for (its tokens go with it, so a link outliving its account is a race)."""
    user = session.get(User, row.user_id)
    if user is None:
        raise Refusal.field(400, "token", links.NOT_VALID)
    return user


def _check_password(session: Session, config: Mapping[str, Any], user: User, password: str, field: str,
                    now: datetime) -> None:
    """The signed-in user's current password, throttled like sign-in (a stolen access token must not guess it)."""
    if not user.password_hash:
        raise Refusal(409, "This account signs in elsewhere; manage it with that provider.")
    attempt = throttle.password_attempt(session, config, user.id, now)
    if attempt.wait is not None:
        raise Refusal(429, f"Too many wrong passwords; try again in {attempt.wait} seconds.",
                      headers={"Retry-After": str(attempt.wait)})
    if not password_matches(user.password_hash, password):
        raise Refusal.field(400, field, WRONG_PASSWORD)
    withdraw(session, attempt, forget=throttle.password_key(user.id))


def _check_new_password(config: Mapping[str, Any], user: User, password: str, field: str) -> None:
    problem = password_problem(password, user.email or "", int(config["AUTH_PASSWORD_MIN_LENGTH"]))
    if problem:
        raise Refusal.field(400, field, problem)


def _sign_out_everywhere(session: Session, user: User, now: datetime) -> None:
    """Every refresh token dies, and every access token minted before is refused (videoforge.identity)."""
    user.session_epoch = User.session_epoch + 1  # in SQL: two changes at once both count
    session.execute(update(RefreshToken).where(RefreshToken.user_id == user.id, RefreshToken.revoked_at.is_(None))
                    .values(revoked_at=now))
    links.retire(session, user.id, links.RESET, now)


def _revoke_api_keys(session: Session, user: User, now: datetime) -> int:
    """Revoke every live API key of the account (kept, marked revoked, so its owner sees what stopped); how many."""
    result = session.execute(update(ApiKey).where(ApiKey.user_id == user.id, ApiKey.revoked_at.is_(None))
                             .values(revoked_at=now))
    return rows_matched(result)


def _tombstone(session: Session, user: User) -> None:
    """What is left of a deleted account: its row with nothing but the random id and `sub`, and a bumped epoch.

    Deleting the row would let an access token minted before (valid up to AUTH_ACCESS_TOKEN_TTL) bring it back on
    first sight of its `sub` (videoforge.identity.user_for), able to upload again; the row with a newer epoch refuses
    such a token at once instead. Nothing in it says who the person was.
    """
    for table in (RefreshToken, AccountToken, KnownAddress, ApiKey):  # its API keys stop working with it
        session.execute(delete(table).where(table.user_id == user.id))
    webhook_events.forget_owner(session, user.id)  # its endpoints' URLs and secrets, and what was on its way
    user.email = user.password_hash = user.totp_secret = user.email_verified_at = None
    user.totp_enabled, user.totp_last_step, user.groups = False, None, []
    user.session_epoch = User.session_epoch + 1


def _heir(session: Session, config: Mapping[str, Any], user: User) -> User:
    """Who takes the videos over: ACCOUNT_HANDOVER_EMAIL, else the oldest administrator (never the leaver)."""
    wanted = normalize_email(config.get("ACCOUNT_HANDOVER_EMAIL") or "")
    if wanted:
        heir = find_user(session, wanted)
        candidates = [heir] if heir is not None and heir.id != user.id else []
    else:  # groups are a JSON list, which SQLite and PostgreSQL query differently: read the rows in order
        users = session.scalars(select(User).where(User.id != user.id).order_by(User.created_at)
                                .execution_options(yield_per=200))
        admin = next((u for u in users if u.is_admin), None)
        candidates = [admin] if admin is not None else []
    if not candidates:
        log.error("account %s asked to be deleted, but ACCOUNT_DELETION=handover has nobody to hand its videos to "
                  "(ACCOUNT_HANDOVER_EMAIL %r)", user.id, wanted or "unset: the oldest administrator")
        raise Refusal(409, "This account's videos go to an administrator when it is deleted, and there is none "
                           "yet; the operator has been told.")
    return candidates[0]
