/** Forgot password: ask for a reset link by email (the answer is the same whether the address has an account). */
import { useState, type FormEvent } from "react";
import { forgotPassword } from "../api/account";
import { checkFields } from "../account/forms";
import { localRefusal } from "../account/localRefusal";
import { useAuth } from "../auth/AuthContext";
import { ErrorNotice } from "../components/ErrorNotice";
import { Field } from "../components/Field";
import { FormActions } from "../components/FormActions";
import { useFormSubmit } from "../components/useFormSubmit";
import { useDocumentTitle } from "../hooks";

export function ForgotPassword() {
  useDocumentTitle("Forgot password");
  const { config, startHostedSignIn } = useAuth();
  const [email, setEmail] = useState("");
  const [sent, setSent] = useState<string | null>(null);
  const { formRef, busy, error, setError, fieldErrors, submit } = useFormSubmit();

  if (config?.flow === "cognito") {
    return (
      <section className="auth-card" aria-labelledby="forgot-heading">
        <h1 id="forgot-heading">Forgot password</h1>
        <p>The sign-in page resets passwords: choose “Forgot your password?” there.</p>
        <button type="button" className="btn btn-primary btn-block" onClick={() => void startHostedSignIn("/")}>
          Continue to sign-in
        </button>
      </section>
    );
  }

  const onSubmit = async (e: FormEvent) => {
    e.preventDefault();
    const problems = localRefusal(checkFields({ email }, { email: "Enter the email address of your account." }));
    if (problems) return setError(problems);
    await submit(async () => setSent((await forgotPassword(email.trim())).message));
  };

  return (
    <section className="auth-card" aria-labelledby="forgot-heading">
      <h1 id="forgot-heading">Forgot password</h1>
      {config?.flow === "local" && config.password_reset === false ? (
        <p>This server cannot email reset links yet. Ask its operator to set your password.</p>
      ) : sent ? (
        <div className="notice notice-ok" role="status" data-testid="forgot-sent">
          <p>{sent}</p>
          <p>Open the link in that email to choose a new password. It works once, for a limited time.</p>
        </div>
      ) : (
        <form ref={formRef} onSubmit={onSubmit} noValidate data-testid="forgot-form">
          <p className="muted">Enter your account’s email address, and we will send you a link to set a new password.</p>
          <Field label="Email" error={fieldErrors.email}>
            <input type="email" name="email" autoComplete="username" required value={email}
              onChange={(e) => setEmail(e.target.value)} />
          </Field>
          <ErrorNotice error={error} hideFields={["email"]} />
          <FormActions label="Send reset link" busyLabel="Sending…" busy={busy} primary layout="block" />
        </form>
      )}
      <p className="auth-switch">
        <a href="/signin">Back to sign in</a>
      </p>
    </section>
  );
}
