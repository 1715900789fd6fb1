/** Sign in: local email/password (with a TOTP step when the issuer asks) or Cognito's hosted UI. */
import { useEffect, useRef, useState, type FormEvent } from "react";
import { ApiError } from "../api/client";
import { isMfaRequired, useAuth } from "../auth/AuthContext";
import { ErrorNotice } from "../components/ErrorNotice";
import { Field } from "../components/Field";
import { useDocumentTitle } from "../hooks";

export function SignIn({ returnTo }: { returnTo?: string }) {
  useDocumentTitle("Sign in");
  const { config, configError, callbackError, signIn, startHostedSignIn } = useAuth();
  const [email, setEmail] = useState("");
  const [password, setPassword] = useState("");
  const [code, setCode] = useState("");
  const [needCode, setNeedCode] = useState(false);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>(null);
  const codeRef = useRef<HTMLInputElement>(null);

  useEffect(() => {
    if (needCode) codeRef.current?.focus();
  }, [needCode]);

  const onSubmit = async (e: FormEvent) => {
    e.preventDefault();
    setBusy(true);
    setError(null);
    try {
      await signIn(email.trim(), password, needCode ? code.trim() : undefined);
      if (returnTo) window.location.hash = returnTo;
    } catch (err) {
      if (isMfaRequired(err) && !needCode) {
        setNeedCode(true);
      } else {
        setError(err);
      }
    } finally {
      setBusy(false);
    }
  };

  const fieldErrors = error instanceof ApiError ? error.fieldErrors : {};
  const hosted = config?.flow === "cognito";

  return (
    <section className="auth-card" aria-labelledby="signin-heading">
      <h1 id="signin-heading">Sign in</h1>
      {configError && (
        <div className="notice notice-warn" role="status">
          {configError} Showing the built-in sign-in form.
        </div>
      )}
      {callbackError && <ErrorNotice error={new Error(callbackError)} />}
      {hosted ? (
        <>
          <p className="muted">You will continue on the secure sign-in page and come back here.</p>
          <button type="button" className="btn btn-primary btn-block" onClick={() => void startHostedSignIn(returnTo)}>
            Continue to sign-in
          </button>
        </>
      ) : (
        <form onSubmit={onSubmit} noValidate data-testid="signin-form">
          <Field label="Email" error={fieldErrors.email}>
            <input
              type="email"
              name="email"
              autoComplete="username"
              required
              value={email}
              onChange={(e) => setEmail(e.target.value)}
              disabled={needCode}
            />
          </Field>
          <Field label="Password" error={fieldErrors.password}>
            <input
              type="password"
              name="password"
              autoComplete="current-password"
              required
              value={password}
              onChange={(e) => setPassword(e.target.value)}
              disabled={needCode}
            />
          </Field>
          {needCode && (
            <Field
              label="Authentication code"
              hint="Enter the 6-digit code from your authenticator app."
              error={fieldErrors.code ?? (fieldErrors.mfa && !/required/i.test(fieldErrors.mfa) ? fieldErrors.mfa : undefined)}
            >
              <input
                ref={codeRef}
                type="text"
                name="code"
                inputMode="numeric"
                autoComplete="one-time-code"
                pattern="[0-9]*"
                maxLength={8}
                required
                value={code}
                onChange={(e) => setCode(e.target.value)}
              />
            </Field>
          )}
          <ErrorNotice error={error} hideFields={["email", "password", "code", "mfa"]} />
          <button type="submit" className="btn btn-primary btn-block" disabled={busy}>
            {busy ? "Signing in…" : needCode ? "Verify" : "Sign in"}
          </button>
          {needCode && (
            <button
              type="button"
              className="btn btn-link"
              onClick={() => {
                setNeedCode(false);
                setCode("");
                setError(null);
              }}
            >
              Use a different account
            </button>
          )}
        </form>
      )}
      {!hosted && !(config?.flow === "local" && config.signup === false) && (
        <p className="auth-switch">
          New here? <a href="#/signup">Create an account</a>
        </p>
      )}
      <p className="auth-switch">
        <a href="#/public">Browse public videos</a>
      </p>
    </section>
  );
}
