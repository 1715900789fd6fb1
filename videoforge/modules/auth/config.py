"""Auth module defaults: sign-up policy, sign-in throttling, mailed links, account deletion, TOTP, API keys and
Cognito's UI."""

AUTH_SIGNUP_ENABLED = True
"""Anyone may create a local account; turn off to create accounts only with `videoforge create-user`."""
AUTH_PASSWORD_MIN_LENGTH = 10
"""Shortest accepted local password, in characters."""
AUTH_SIGNIN_FAILURE_WINDOW = 15 * 60
"""Seconds over which failed sign-ins are counted."""
AUTH_SIGNIN_MAX_FAILURES = 5
"""Failed sign-ins for one account from one client address within the window before that pair answers 429."""
AUTH_SIGNIN_MAX_FAILURES_PER_ADDRESS = 20
"""Failed sign-ins from one client address within the window before it answers 429."""
AUTH_SIGNIN_MAX_FAILURES_PER_ACCOUNT = 20
"""Failed sign-ins for one account from all addresses within AUTH_SIGNIN_ACCOUNT_WINDOW before new addresses get 429."""
AUTH_SIGNIN_ACCOUNT_WINDOW = 3600
"""Seconds over which an account's failed sign-ins from all addresses are counted."""
AUTH_SIGNIN_KNOWN_ADDRESS_TTL = 30 * 24 * 3600
"""Seconds an address stays exempt from the account-wide limit after a successful sign-in from it."""
AUTH_RESET_LINK_TTL = 3600
"""Seconds a mailed password-reset link works (once)."""
AUTH_EMAIL_LINK_TTL = 24 * 3600
"""Seconds a mailed link that verifies an address (the account's, or a new one) works (once)."""
AUTH_MAIL_WINDOW = 3600
"""Seconds over which requests that mail a link (forgot password, resend, change email) are counted."""
AUTH_MAIL_MAX_PER_RECIPIENT = 3
"""Such requests for one email address within the window before 429 (nobody's mailbox is flooded)."""
AUTH_MAIL_MAX_PER_CLIENT = 20
"""Such requests from one client address within the window before 429."""
ACCOUNT_DELETION = "erase"
"""What deleting a local account does with its videos: `erase` them with their files, or `handover` to an admin."""
ACCOUNT_HANDOVER_EMAIL = ""
"""With handover, the account that takes the videos; empty means the oldest administrator."""
AUTH_TOTP_ISSUER = "VideoForge"
"""Name authenticator apps show beside the account."""
API_KEYS_MAX_PER_USER = 20
"""Live personal API keys one person may hold (0: no limit)."""
API_KEY_MAX_LIFETIME_DAYS = 0
"""Longest a new API key may live, and the lifetime of keys created without one; 0: keys may never expire."""
COGNITO_REDIRECT_URI = ""
"""Hosted UI callback URL registered on the app client; empty means PUBLIC_URL + "/" (unset: the page's own origin)."""
COGNITO_SCOPES = ["openid", "email", "profile"]
"""OAuth scopes the web client asks the hosted UI for."""
