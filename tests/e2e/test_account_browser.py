"""Issue 21's account journeys in Chromium against the all-in-one app, its mail going to a real SMTP server on
loopback (aiosmtpd, STARTTLS and a login): forgot password → the mail arrives → its link sets a new password → the
old session is signed out; an unverified account cannot upload where verification is required, until it follows
its link; deleting the account removes its videos and their stored files.
"""

from __future__ import annotations

import os
import time
import urllib.error
import urllib.request

import pytest
from playwright.sync_api import Page, expect

from tests.e2e.conftest import running_app
from tests.mailbox import SmtpSink, link_in
from tests.media import make_clip

pytestmark = [pytest.mark.browser, pytest.mark.slow, pytest.mark.timeout(240)]

PASSWORD = "correct horse battery staple"
NEW_PASSWORD = "seven purple lanterns at dawn"
SENDER = "VideoForge <no-reply@video.example.test>"
PROCESSING_TIMEOUT_S = 90

expect.set_options(timeout=10_000)


@pytest.fixture(scope="module")
def smtp():
    """The mail server the app sends through: STARTTLS with its own certificate, and a login."""
    sink = SmtpSink(username="videoforge", password="smtp-login-77").start()
    yield sink
    sink.stop()


@pytest.fixture(scope="module")
def account_server(tmp_path_factory, smtp):
    """`videoforge run` that requires verified addresses and mails through `smtp`."""
    with running_app(tmp_path_factory.mktemp("accounts"), VIDEOFORGE_LADDER_HEIGHTS="240",
                     VIDEOFORGE_AUTH_EMAIL_VERIFICATION="required", VIDEOFORGE_MAIL_BACKEND="smtp",
                     VIDEOFORGE_MAIL_FROM=SENDER, VIDEOFORGE_SMTP_HOST="127.0.0.1",
                     VIDEOFORGE_SMTP_PORT=str(smtp.port), VIDEOFORGE_SMTP_USERNAME="videoforge",
                     VIDEOFORGE_SMTP_PASSWORD="smtp-login-77",
                     # OpenSSL's default trust in the server process: the sink's own certificate.
                     SSL_CERT_FILE=smtp.cert_path) as app:
        yield app


def shoot(page: Page, artifacts: str, name: str) -> None:
    page.screenshot(path=os.path.join(artifacts, f"{name}.png"))


def sign_up(page: Page, base: str, email: str) -> None:
    page.goto(f"{base}/signup")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Create account").click()
    expect(page.get_by_test_id("account-email")).to_have_text(email)


def sign_in(page: Page, base: str, email: str, password: str) -> None:
    page.goto(f"{base}/signin")
    form = page.get_by_test_id("signin-form")
    form.get_by_label("Email").fill(email)
    form.get_by_label("Password").fill(password)
    form.get_by_role("button", name="Sign in").click()
    expect(page.get_by_test_id("account-email")).to_have_text(email)


def mail_with(smtp: SmtpSink, to: str, subject: str):
    """The first message to `to` with this subject, waiting for it to arrive."""
    deadline = time.monotonic() + 15
    while True:
        found = [m for m in smtp.messages if m["To"] == to and m["Subject"] == subject]
        if found:
            return found[0]
        assert time.monotonic() < deadline, [(m["To"], m["Subject"]) for m in smtp.messages]
        time.sleep(0.1)


def stored_files(instance, video_id: str) -> list[str]:
    root = instance / "storage"
    return sorted(str(p.relative_to(root)) for p in root.rglob("*") if p.is_file() and video_id in p.as_posix())


def api_status(base: str, path: str) -> int:
    try:
        with urllib.request.urlopen(base + path, timeout=5) as response:
            return response.status
    except urllib.error.HTTPError as exc:
        return exc.code


def test_forgot_password_by_mail_signs_the_old_session_out(account_server, smtp, new_page, artifacts):
    base, email = account_server.url, "forgetful@example.test"
    old = new_page("old-session")
    sign_up(old, base, email)
    expect(old.get_by_role("heading", name="My videos")).to_be_visible()

    # --- another browser: "Forgot password?" on the sign-in page, the address, the answer -----------------------
    fresh = new_page("forgot")
    fresh.goto(f"{base}/signin")
    fresh.get_by_role("link", name="Forgot password?").click()
    expect(fresh.get_by_role("heading", name="Forgot password")).to_be_visible()
    fresh.get_by_label("Email").fill(email)
    fresh.get_by_role("button", name="Send reset link").click()
    expect(fresh.get_by_test_id("forgot-sent")).to_contain_text("If an account has this address")
    shoot(fresh, artifacts, "21-01-forgot-password-sent")

    # --- the mail reached the SMTP server (through STARTTLS, logged in); its link opens the reset page -----------
    link = link_in(mail_with(smtp, email, "Reset your VideoForge password"))
    assert link.startswith(f"{base}/reset#token="), link  # the token in the fragment: never sent to a server
    assert "videoforge" in smtp.logins
    fresh.goto(link)
    expect(fresh.get_by_role("heading", name="Set a new password")).to_be_visible()
    fresh.get_by_label("New password", exact=True).fill(NEW_PASSWORD)
    fresh.get_by_role("button", name="Set new password").click()
    expect(fresh.get_by_test_id("reset-done")).to_contain_text("every session of your account was signed out")
    assert "token=" not in fresh.url  # spent, and out of the address bar
    shoot(fresh, artifacts, "21-02-reset-password-done")
    fresh.get_by_role("link", name="Sign in with your new password").click()
    sign_in(fresh, base, email, NEW_PASSWORD)

    # --- the link works once; the old session is signed out; the old password is refused -----------------------
    fresh.goto(link)
    fresh.get_by_label("New password", exact=True).fill("yet another long password")
    fresh.get_by_role("button", name="Set new password").click()
    expect(fresh.get_by_role("alert")).to_contain_text("not valid any more")
    fresh.problems.clear()  # that 400 was the point
    old.reload()
    expect(old.get_by_test_id("signin-form")).to_be_visible()
    expect(old.get_by_test_id("account-email")).to_have_count(0)
    form = old.get_by_test_id("signin-form")
    form.get_by_label("Email").fill(email)
    form.get_by_label("Password").fill(PASSWORD)
    form.get_by_role("button", name="Sign in").click()
    expect(old.get_by_role("alert")).to_contain_text("not right")
    old.problems.clear()  # the refused session and the wrong password were the point
    shoot(old, artifacts, "21-03-old-session-signed-out")


def test_unverified_cannot_upload_then_verifies_uploads_and_deletes_the_account(account_server, smtp, new_page,
                                                                                 artifacts, tmp_path):
    base, email = account_server.url, "newcomer@example.test"
    clip = make_clip(tmp_path / "hello.mp4", width=320, height=180, seconds=2)
    page = new_page("newcomer")
    sign_up(page, base, email)
    expect(page.get_by_test_id("verify-banner")).to_contain_text("Verify your email address to upload")

    # --- required verification: the upload is refused, saying why ----------------------------------------------
    page.get_by_role("link", name="Upload", exact=True).first.click()
    page.get_by_test_id("upload-input").set_input_files(str(clip))
    item = page.get_by_test_id("upload-item")
    item.get_by_label("Title").fill("Hello")
    item.get_by_role("button", name="Start upload").click()
    expect(item.get_by_role("alert")).to_contain_text("Verify your email address")
    assert any("403 POST" in p and "/api/gallery/uploads" in p for p in page.problems), page.problems
    page.problems.clear()
    shoot(page, artifacts, "21-04-unverified-upload-refused")

    # --- the link from the sign-up mail verifies; the same upload now goes through ------------------------------
    link = link_in(mail_with(smtp, email, "Verify your email address for VideoForge"))
    verify = new_page("verify-link")  # opened from a mail program: a tab of its own, this browser's other context
    verify.goto(link)
    expect(verify.get_by_test_id("verify-done")).to_contain_text(f"{email} is verified")
    shoot(verify, artifacts, "21-05-email-verified")
    item.get_by_role("button", name="Try again").click()
    expect(item).to_have_attribute("data-phase", "done", timeout=30_000)
    video_id = item.get_by_role("link", name="Open video").get_attribute("href").rsplit("/", 1)[-1]
    page.goto(f"{base}/")
    card = page.locator(f"[data-testid=video-card][data-video-id='{video_id}']")
    expect(card).to_have_attribute("data-status", "ready", timeout=PROCESSING_TIMEOUT_S * 1000)
    files = stored_files(account_server.instance, video_id)
    assert any(f.startswith("uploads/") for f in files) and any(f.startswith("processed/") for f in files), files
    page.reload()  # back from the other tab (a focus event asks again too; headless windows never get one)
    expect(page.get_by_test_id("account-email")).to_have_text(email)
    expect(page.get_by_test_id("verify-banner")).to_have_count(0)

    # --- delete the account: password, confirmation; videos and files are gone ----------------------------------
    page.get_by_role("link", name="Account").click()
    expect(page.get_by_role("heading", name="Account", exact=True)).to_be_visible()
    expect(page.get_by_test_id("account-address")).to_have_text(email)
    shoot(page, artifacts, "21-06-account-page")
    danger = page.get_by_test_id("delete-form")
    danger.get_by_label("Password").fill(PASSWORD)
    danger.get_by_role("button", name="Delete account…").click()
    dialog = page.get_by_test_id("confirm-dialog")
    expect(dialog).to_contain_text("Your videos and all their files are deleted for good")
    shoot(page, artifacts, "21-07-delete-account-confirm")
    dialog.get_by_role("button", name="Delete account").click()
    expect(page.get_by_test_id("signin-form")).to_be_visible()
    expect(page.get_by_text("Your account was deleted.")).to_be_visible()
    assert stored_files(account_server.instance, video_id) == []
    assert api_status(base, f"/api/gallery/videos/{video_id}") == 404
    assert page.problems == [], page.problems
    mail_with(smtp, email, "Your VideoForge account was deleted")
