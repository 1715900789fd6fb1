/** Reset password: the page a mailed link opens (/reset#token=...); sets a new password, signing out everywhere. */
import { useState, type FormEvent } from "react";
import { resetPassword } from "../api/account";
import { checkFields, linkToken, minPasswordLength } from "../account/forms";
import { localRefusal } from "../account/localRefusal";
import { useAuth } from "../auth/AuthContext";
import { ErrorNotice } from "../components/ErrorNotice";
import { Field } from "../components/Field";
import { FormActions } from "../components/FormActions";
import { useFormSubmit } from "../components/useFormSubmit";
import { useDocumentTitle } from "../hooks";
import { navigate } from "../router";

export function ResetPassword() {
  useDocumentTitle("Set a new password");
  const { config, status, forgetSession } = useAuth();
  const [token] = useState(() => linkToken(window.location.hash));
  const [password, setPassword] = useState("");
  const [done, setDone] = useState(false);
  const { formRef, busy, error, setError, fieldErrors, submit } = useFormSubmit();
  const minLength = minPasswordLength(config);

  const onSubmit = async (e: FormEvent) => {
    e.preventDefault();
    const problems = localRefusal(
      checkFields({ password }, { password: "Enter a new password." }, { newPassword: "password", minLength }),
    );
    if (problems) return setError(problems);
    await submit(async () => {
      await resetPassword(token!, password);
      // The link is spent, and every session (this tab's too) was signed out: drop both.
      navigate("/reset", { replace: true });
      if (status === "signedIn") forgetSession();
      setDone(true);
    });
  };

  return (
    <section className="auth-card" aria-labelledby="reset-heading">
      <h1 id="reset-heading">Set a new password</h1>
      {done ? (
        <div className="notice notice-ok" role="status" data-testid="reset-done">
          <p>Your new password is set, and every session of your account was signed out.</p>
          <p>
            <a href="/signin">Sign in with your new password</a>
          </p>
        </div>
      ) : !token ? (
        <p>
          This page opens from the link in a password-reset email. <a href="/forgot">Ask for a link</a>.
        </p>
      ) : (
        <form ref={formRef} onSubmit={onSubmit} noValidate data-testid="reset-form">
          <Field label="New password" error={fieldErrors.password}
            hint={fieldErrors.password ? undefined : `At least ${minLength} characters.`}>
            <input type="password" name="password" autoComplete="new-password" required minLength={minLength}
              value={password} onChange={(e) => setPassword(e.target.value)} />
          </Field>
          <ErrorNotice error={error} hideFields={["password"]} />
          {fieldErrors.token && (
            <p>
              <a href="/forgot">Ask for a new link</a>
            </p>
          )}
          <FormActions label="Set new password" busyLabel="Saving…" busy={busy} primary layout="block" />
        </form>
      )}
    </section>
  );
}
