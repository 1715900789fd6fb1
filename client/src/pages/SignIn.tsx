/** Sign in: local email/password (with a TOTP step when the issuer asks) or Cognito's hosted UI. */
import { useEffect, useRef, useState, type FormEvent } from "react";
import { checkFields } from "../account/forms";
import { localRefusal } from "../account/localRefusal";
import { isMfaRequired, useAuth } from "../auth/AuthContext";
import { ErrorNotice } from "../components/ErrorNotice";
import { Field } from "../components/Field";
import { FormActions } from "../components/FormActions";
import { useFormSubmit } from "../components/useFormSubmit";
import { takeFlash } from "../flash";
import { useDocumentTitle } from "../hooks";
import { navigate } from "../router";

export function SignIn({ returnTo }: { returnTo?: string }) {
  useDocumentTitle("Sign in");
  const { config, configError, callbackError, signIn, startHostedSignIn } = useAuth();
  const [email, setEmail] = useState("");
  const [password, setPassword] = useState("");
  const [code, setCode] = useState("");
  const [needCode, setNeedCode] = useState(false);
  const { formRef, busy, error, setError, fieldErrors, submit } = useFormSubmit();
  const codeRef = useRef<HTMLInputElement>(null);
  // What the last page did (the account was deleted), said once.
  const [notice, setNotice] = useState<string | null>(null);
  useEffect(() => {
    const message = takeFlash();
    if (message) setNotice(message);
  }, []);

  useEffect(() => {
    if (needCode) codeRef.current?.focus();
  }, [needCode]);

  const onSubmit = async (e: FormEvent) => {
    e.preventDefault();
    const problems = localRefusal(
      checkFields({ email, password }, { email: "Enter your email address.", password: "Enter your password." }),
    );
    if (problems) return setError(problems);
    await submit(async () => {
      try {
        await signIn(email.trim(), password, needCode ? code.trim() : undefined);
      } catch (err) {
        // The first "code required" is the next step, not an error: the code field appears instead.
        if (isMfaRequired(err) && !needCode) return setNeedCode(true);
        throw err;
      }
      if (returnTo) navigate(returnTo, { replace: true });
    });
  };

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
      {notice && (
        <div className="notice notice-ok" role="status">
          <p>{notice}</p>
        </div>
      )}
      {hosted ? (
        <>
          <p className="muted">You will continue on the secure sign-in page and come back here.</p>
          <button type="button" className="btn btn-primary btn-block" onClick={() => void startHostedSignIn(returnTo)}>
            Continue to sign-in
          </button>
        </>
      ) : (
        <form ref={formRef} onSubmit={onSubmit} noValidate data-testid="signin-form">
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
          <FormActions label={needCode ? "Verify" : "Sign in"} busyLabel="Signing in…" busy={busy} primary layout="block">
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
          </FormActions>
        </form>
      )}
      {!hosted && !(config?.flow === "local" && config.password_reset === false) && (
        <p className="auth-switch">
          <a href="/forgot">Forgot password?</a>
        </p>
      )}
      {!hosted && !(config?.flow === "local" && config.signup === false) && (
        <p className="auth-switch">
          New here? <a href="/signup">Create an account</a>
        </p>
      )}
      <p className="auth-switch">
        <a href="/public">Browse public videos</a>
      </p>
    </section>
  );
}
