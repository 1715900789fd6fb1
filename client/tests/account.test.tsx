// @vitest-environment jsdom
/** Account recovery and settings in the client: forgot/reset by link, verification, password, deletion. */
import { act, fireEvent, render, screen, waitFor } from "@testing-library/react";
import { StrictMode } from "react";
import { afterEach, describe, expect, it } from "vitest";
import { checkFields, linkToken, needsVerification, uploadsNeedVerification } from "../src/account/forms";
import type { AuthConfig } from "../src/api/types";
import { App } from "../src/App";
import { AuthProvider } from "../src/auth/AuthContext";
import { navigate, parseRoute } from "../src/router";
import { UploadsProvider } from "../src/upload/UploadsContext";
import { reply, type Recorded } from "./jsonServer";
import { closeApi, serveApi, type LoopbackApi } from "./loopbackApi";
import type { ServerResponse } from "node:http";

window.scrollTo = () => undefined;

let server: LoopbackApi | null = null;
afterEach(closeApi);

const LOCAL: AuthConfig = { flow: "local", signup: true, password_min_length: 10, password_reset: true,
  email_verification: "optional", account_deletion: "erase" };
const ME = { sub: "u1", email: "ada@example.com", groups: [], email_verified: true };
const refusal = (status: number, message: string, errors?: unknown) =>
  ({ code: status, status: "Bad Request", message, ...(errors ? { errors } : {}) });

type Route = (req: Recorded, res: ServerResponse) => boolean | void;

/** A loopback API: /config and /me from the arguments, anything else from `route` (which returns true if it answered). */
async function serve(config: AuthConfig, me: unknown, route: Route = () => false) {
  server = await serveApi((req, res) => {
    const path = req.path.split("?")[0];
    if (route(req, res)) return;
    if (path === "/api/auth/config") return reply(res, 200, config);
    if (path === "/api/auth/me") return reply(res, 200, me);
    if (path === "/api/gallery/videos") return reply(res, 200, [], { "X-Pagination": JSON.stringify({ total: 0, total_pages: 1, page: 1 }) });
    reply(res, 404, refusal(404, "no route"));
  });
  return server;
}

function signedIn(accessToken = "acc") {
  const now = Date.now();
  sessionStorage.setItem("videoforge.session", JSON.stringify({ accessToken, refreshToken: "ref", issuedAt: now, expiresAt: now + 3_600_000 }));
}

function renderApp(href: string, strict = false) {
  window.history.replaceState(null, "", href);
  const tree = (
    <AuthProvider>
      <UploadsProvider>
        <App />
      </UploadsProvider>
    </AuthProvider>
  );
  return render(strict ? <StrictMode>{tree}</StrictMode> : tree);
}

const posts = (path: string) => server!.requests.filter((r) => r.path === path);

describe("account helpers", () => {
  it("reads the token of a mailed link and knows the new routes", () => {
    expect(linkToken("#token=Ab_c-1%2B")).toBe("Ab_c-1+");
    expect(linkToken("")).toBeNull();
    expect(linkToken("#token=%20")).toBeNull();
    for (const name of ["account", "forgot", "reset", "verify"]) expect(parseRoute(`/${name}#token=x`)).toEqual({ name });
  });

  it("checks fields in people's words before asking the server", () => {
    expect(checkFields({ email: " ", password: "x" }, { email: "Enter your email address." })).toEqual({
      email: "Enter your email address.",
    });
    expect(checkFields({ password: "short" }, { password: "Enter a new password." }, { newPassword: "password", minLength: 10 }))
      .toEqual({ password: "Use at least 10 characters." });
    expect(checkFields({ password: "long enough!" }, { password: "p" }, { newPassword: "password", minLength: 10 })).toEqual({});
  });

  it("asks for verification only where the server does", () => {
    const unverified = { ...ME, email_verified: false };
    expect(needsVerification(LOCAL, unverified)).toBe(true);
    expect(needsVerification(LOCAL, ME)).toBe(false);
    expect(needsVerification({ ...LOCAL, email_verification: "off" }, unverified)).toBe(false);
    expect(uploadsNeedVerification(LOCAL, unverified)).toBe(false);
    expect(uploadsNeedVerification({ ...LOCAL, email_verification: "required" }, unverified)).toBe(true);
    expect(needsVerification({ flow: "cognito", authorize_url: "", token_url: "", client_id: "", redirect_uri: "" }, unverified)).toBe(false);
  });
});

describe("forgot and reset", () => {
  it("offers a reset from sign-in and mails the link without saying whether the account exists", async () => {
    await serve(LOCAL, ME, (req, res) => {
      if (req.path !== "/api/auth/password/forgot") return false;
      reply(res, 202, { message: "If an account has this address, a link is on its way to it." });
      return true;
    });
    renderApp("/signin");
    expect((await screen.findByRole("link", { name: "Forgot password?" })).getAttribute("href")).toBe("/forgot");
    await act(async () => {
      navigate("/forgot");
    });
    await screen.findByRole("heading", { name: "Forgot password" });
    const email = screen.getByLabelText("Email");
    fireEvent.click(screen.getByRole("button", { name: "Send reset link" }));
    // Empty: said beside the field, focused there, and nothing sent.
    expect((await screen.findByText("Enter the email address of your account.")).className).toBe("field-error");
    await waitFor(() => expect(document.activeElement).toBe(email));
    expect(posts("/api/auth/password/forgot")).toHaveLength(0);
    fireEvent.change(email, { target: { value: " ada@example.com " } });
    fireEvent.click(screen.getByRole("button", { name: "Send reset link" }));
    expect((await screen.findByTestId("forgot-sent")).textContent).toContain("If an account has this address");
    expect(posts("/api/auth/password/forgot")[0].body).toEqual({ email: "ada@example.com" });
  });

  it("hides the offer where this server cannot mail links", async () => {
    await serve({ ...LOCAL, password_reset: false }, ME);
    renderApp("/signin");
    await screen.findByLabelText("Email");
    expect(screen.queryByRole("link", { name: "Forgot password?" })).toBeNull();
  });

  it("sets the new password from the link, then drops the token from the address bar", async () => {
    await serve(LOCAL, ME, (req, res) => {
      if (req.path !== "/api/auth/password/reset") return false;
      const body = req.body as { token: string };
      if (body.token !== "good") {
        const words = "This link is not valid any more: it was used, replaced by a newer one, or has expired. Ask for a new one.";
        reply(res, 400, refusal(400, words, { json: { token: [words] } }));
      } else reply(res, 204);
      return true;
    });
    renderApp("/reset#token=good");
    const field = await screen.findByLabelText("New password");
    fireEvent.change(field, { target: { value: "short" } });
    fireEvent.click(screen.getByRole("button", { name: "Set new password" }));
    expect(await screen.findByText("Use at least 10 characters.")).toBeTruthy();
    expect(screen.queryByText("At least 10 characters.")).toBeNull(); // the advice once, not twice
    fireEvent.change(field, { target: { value: "a much longer one" } });
    fireEvent.click(screen.getByRole("button", { name: "Set new password" }));
    expect((await screen.findByTestId("reset-done")).textContent).toContain("every session of your account was signed out");
    expect(posts("/api/auth/password/reset")[0].body).toEqual({ token: "good", password: "a much longer one" });
    expect(window.location.pathname + window.location.hash).toBe("/reset");
  });

  it("says when a link is spent, once, and offers a new one", async () => {
    await serve(LOCAL, ME, (req, res) => {
      if (req.path !== "/api/auth/password/reset") return false;
      const words = "This link is not valid any more. Ask for a new one.";
      reply(res, 400, refusal(400, words, { json: { token: [words] } }));
      return true;
    });
    renderApp("/reset#token=old");
    fireEvent.change(await screen.findByLabelText("New password"), { target: { value: "a much longer one" } });
    fireEvent.click(screen.getByRole("button", { name: "Set new password" }));
    const alert = await screen.findByRole("alert");
    expect(alert.textContent).toBe("This link is not valid any more. Ask for a new one.");
    expect(screen.getByRole("link", { name: "Ask for a new link" }).getAttribute("href")).toBe("/forgot");
  });
});

describe("verification", () => {
  it("spends a verification link once, even in StrictMode, and refreshes the signed-in user", async () => {
    let verified = false;
    await serve(LOCAL, ME, (req, res) => {
      if (req.path === "/api/auth/me") {
        reply(res, 200, { ...ME, email_verified: verified });
        return true;
      }
      if (req.path !== "/api/auth/email/verify") return false;
      verified = true;
      reply(res, 200, { ...ME, email_verified: true });
      return true;
    });
    signedIn();
    renderApp("/verify#token=tok", true);
    expect((await screen.findByTestId("verify-done")).textContent).toContain("ada@example.com is verified");
    expect(posts("/api/auth/email/verify")).toHaveLength(1);
    expect(posts("/api/auth/email/verify")[0].body).toEqual({ token: "tok" });
    await waitFor(() => expect(posts("/api/auth/me").length).toBeGreaterThanOrEqual(2));
  });

  it("shows the banner where uploads wait for verification, and resends from the account page", async () => {
    await serve({ ...LOCAL, email_verification: "required" }, { ...ME, email_verified: false }, (req, res) => {
      if (req.path !== "/api/auth/email/verify/resend") return false;
      reply(res, 202, { message: "A new link is on its way to ada@example.com." });
      return true;
    });
    signedIn();
    renderApp("/account");
    expect((await screen.findByTestId("verify-banner")).textContent).toContain("Verify your email address to upload");
    expect(screen.getByText("(not verified yet)")).toBeTruthy();
    fireEvent.click(screen.getByRole("button", { name: "Send a new verification link" }));
    expect(await screen.findByText("A new link is on its way to ada@example.com.")).toBeTruthy();
  });

  it("asks again when people come back from the tab where they opened the link", async () => {
    let verified = false;
    await serve({ ...LOCAL, email_verification: "required" }, ME, (req, res) => {
      if (req.path !== "/api/auth/me") return false;
      reply(res, 200, { ...ME, email_verified: verified });
      return true;
    });
    signedIn();
    renderApp("/");
    await screen.findByTestId("verify-banner");
    verified = true;
    await act(async () => window.dispatchEvent(new Event("focus")));
    await waitFor(() => expect(screen.queryByTestId("verify-banner")).toBeNull());
  });
});

describe("account page", () => {
  it("changes the password and keeps this session with the tokens the server handed back", async () => {
    await serve(LOCAL, ME, (req, res) => {
      if (req.path !== "/api/auth/password/change") return false;
      const body = req.body as { current_password: string };
      if (body.current_password !== "old password!") {
        reply(res, 400, refusal(400, "That is not your current password.", { json: { current_password: ["That is not your current password."] } }));
      } else reply(res, 200, { access_token: "acc2", refresh_token: "ref2", token_type: "Bearer", expires_in: 3600 });
      return true;
    });
    signedIn();
    renderApp("/account");
    const current = await screen.findByLabelText("Current password", { selector: "[name=current-password]" });
    fireEvent.change(current, { target: { value: "wrong one" } });
    fireEvent.change(screen.getByLabelText("New password"), { target: { value: "brand new password" } });
    fireEvent.click(screen.getByRole("button", { name: "Change password" }));
    expect(await screen.findByText("That is not your current password.")).toBeTruthy();
    await waitFor(() => expect(document.activeElement).toBe(current));
    fireEvent.change(current, { target: { value: "old password!" } });
    fireEvent.click(screen.getByRole("button", { name: "Change password" }));
    expect(await screen.findByText(/Every other session of your account was signed out/)).toBeTruthy();
    expect(sessionStorage.getItem("videoforge.session")).toContain('"accessToken":"acc2"');
  });

  it("deletes the account only after a confirmation, then signs out and says so", async () => {
    await serve(LOCAL, ME, (req, res) => {
      if (req.path !== "/api/auth/account") return false;
      reply(res, 204);
      return true;
    });
    signedIn();
    renderApp("/account");
    expect(await screen.findByText(/Your videos and all their files are deleted for good/)).toBeTruthy();
    fireEvent.change(screen.getByLabelText("Password", { selector: "[name=delete-password]" }), { target: { value: "my password!" } });
    fireEvent.click(screen.getByRole("button", { name: "Delete account…" }));
    const dialog = await screen.findByTestId("confirm-dialog");
    expect(dialog.textContent).toContain("Delete your account?");
    expect(posts("/api/auth/account")).toHaveLength(0);
    fireEvent.click(screen.getByRole("button", { name: "Delete account" }));
    await waitFor(() => expect(window.location.pathname).toBe("/signin"));
    expect(await screen.findByText("Your account was deleted.")).toBeTruthy();
    const [request] = posts("/api/auth/account");
    expect(request.method).toBe("DELETE");
    expect(request.body).toEqual({ password: "my password!" });
    expect(sessionStorage.getItem("videoforge.session")).toBeNull();
  });

  it("says where the videos go when the server hands them over", async () => {
    await serve({ ...LOCAL, account_deletion: "handover" }, ME);
    signedIn();
    renderApp("/account");
    expect(await screen.findByText(/they are handed to its administrators/)).toBeTruthy();
  });
});
