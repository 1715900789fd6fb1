/** The page a verification link opens (/verify#token=...): the account's address, or a new one, is confirmed. */
import { useEffect, useRef, useState } from "react";
import { resendVerification, verifyEmail } from "../api/account";
import type { Me } from "../api/types";
import { linkToken } from "../account/forms";
import { useAuth } from "../auth/AuthContext";
import { ErrorNotice } from "../components/ErrorNotice";
import { useDocumentTitle } from "../hooks";
import { navigate } from "../router";

export function VerifyEmail() {
  useDocumentTitle("Verify email address");
  const { status, reloadUser } = useAuth();
  const [token] = useState(() => linkToken(window.location.hash));
  const [verified, setVerified] = useState<Me | null>(null);
  const [error, setError] = useState<unknown>(null);
  const [resent, setResent] = useState<string | null>(null);
  const used = useRef(false);

  useEffect(() => {
    // A link works once: StrictMode's second run of this effect must not spend it again.
    if (!token || used.current) return;
    used.current = true;
    void (async () => {
      try {
        setVerified(await verifyEmail(token));
        navigate("/verify", { replace: true });
      } catch (err) {
        setError(err);
      }
    })();
  }, [token]);

  useEffect(() => {
    if (verified && status === "signedIn") void reloadUser();
  }, [verified, status, reloadUser]);

  const resend = async () => {
    setError(null);
    try {
      setResent((await resendVerification()).message);
    } catch (err) {
      setError(err);
    }
  };

  return (
    <section className="auth-card" aria-labelledby="verify-heading">
      <h1 id="verify-heading">Verify email address</h1>
      {!token ? (
        <p>This page opens from the link in a verification email.</p>
      ) : verified ? (
        <div className="notice notice-ok" role="status" data-testid="verify-done">
          <p>
            Thank you: <strong>{verified.email}</strong> is verified.
          </p>
          <p>{status === "signedIn" ? <a href="/">Go to my videos</a> : <a href="/signin">Sign in</a>}</p>
        </div>
      ) : error ? (
        <>
          <ErrorNotice error={error} />
          {resent ? (
            <p role="status">{resent}</p>
          ) : status === "signedIn" ? (
            <button type="button" className="btn" onClick={() => void resend()}>
              Send a new link
            </button>
          ) : (
            <p>
              <a href="/signin">Sign in</a> to ask for a new link.
            </p>
          )}
        </>
      ) : (
        <p className="muted" role="status">
          Checking the link…
        </p>
      )}
    </section>
  );
}
