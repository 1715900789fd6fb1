"""The words of account mail: one function per message, plain text, the link on a line of its own."""

from __future__ import annotations

from email.message import EmailMessage
from email.utils import formatdate, make_msgid

SITE = "VideoForge"


def _message(sender: str, to: str, subject: str, body: str) -> EmailMessage:
    message = EmailMessage()
    message["From"] = sender
    message["To"] = to
    message["Subject"] = subject
    message["Date"] = formatdate(localtime=False)
    message["Message-ID"] = make_msgid(domain=sender.rpartition("@")[2].rstrip(">") or "localhost")
    message["Auto-Submitted"] = "auto-generated"  # RFC 3834: no vacation replies to a no-reply sender
    message.set_content(body)
    return message


def _hours(seconds: int) -> str:
    hours = max(1, round(seconds / 3600))
    return "1 hour" if hours == 1 else f"{hours} hours"


def reset(sender: str, to: str, link: str, ttl: int) -> EmailMessage:
    return _message(sender, to, f"Reset your {SITE} password", f"""\
Someone (we hope you) asked to reset the password of the {SITE} account with this address.
To choose a new password, open this link within {_hours(ttl)}:

{link}

The link works once. Setting a new password signs the account out everywhere else.
If you did not ask for this, ignore this message: your password stays as it is.
""")


def verify(sender: str, to: str, link: str, ttl: int) -> EmailMessage:
    return _message(sender, to, f"Verify your email address for {SITE}", f"""\
Welcome to {SITE}. To confirm that this address is yours, open this link within {_hours(ttl)}:

{link}

If you did not create an account, ignore this message.
""")


def new_address(sender: str, to: str, link: str, ttl: int) -> EmailMessage:
    return _message(sender, to, f"Confirm your new email address for {SITE}", f"""\
Someone (we hope you) asked to use this address for their {SITE} account.
To make the change, open this link within {_hours(ttl)}:

{link}

Until then the account keeps its old address. If you did not ask for this, ignore this message.
""")


def address_taken(sender: str, to: str) -> EmailMessage:
    # Sent instead of a link when the new address already has an account: the person asking learns nothing.
    return _message(sender, to, f"Your address and {SITE}", f"""\
Someone asked to move another {SITE} account to this address, but this address already has an account,
so nothing changed. If you have forgotten your password, use "Forgot password?" on the sign-in page.
""")


def address_changed(sender: str, to: str, new: str) -> EmailMessage:
    return _message(sender, to, f"Your {SITE} email address was changed", f"""\
The {SITE} account that used this address now uses {new}.
If you did not make this change, tell the site's operator at once: someone else may have your password.
""")


def password_changed(sender: str, to: str, keys_revoked: int = 0) -> EmailMessage:
    keys = (f"\nIts {keys_revoked} API key{'s were' if keys_revoked != 1 else ' was'} revoked with them: make new "
            "ones on the account page where you still need them, and check its webhooks.\n" if keys_revoked else "")
    return _message(sender, to, f"Your {SITE} password was changed", f"""\
The password of your {SITE} account was just changed, and every other session was signed out.
If you did not do this, use "Forgot password?" on the sign-in page to take the account back.
{keys}""")


def account_deleted(sender: str, to: str, handed_over: bool) -> EmailMessage:
    videos = ("Its videos were handed to the site's administrators." if handed_over
              else "Its videos and their files were deleted.")
    return _message(sender, to, f"Your {SITE} account was deleted", f"""\
Your {SITE} account with this address was deleted. {videos}
""")
