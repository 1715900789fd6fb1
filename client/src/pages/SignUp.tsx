/** Create an account on the local issuer, then sign straight in. */
import { useState, type FormEvent } from "react";
import { checkFields, minPasswordLength } from "../account/forms";
import { localRefusal } from "../account/localRefusal";
import { useAuth } from "../auth/AuthContext";
import { ErrorNotice } from "../components/ErrorNotice";
import { Field } from "../components/Field";
import { FormActions } from "../components/FormActions";
import { useFormSubmit } from "../components/useFormSubmit";
import { flash } from "../flash";
import { useDocumentTitle } from "../hooks";
import { navigate } from "../router";

export function SignUp() {
  useDocumentTitle("Create account");
  const { config, signUp, startHostedSignIn } = useAuth();
  const [email, setEmail] = useState("");
  const [password, setPassword] = useState("");
  const { formRef, busy, error, setError, fieldErrors, submit } = useFormSubmit();

  if (config?.flow === "cognito") {
    return (
      <section className="auth-card" aria-labelledby="signup-heading">
        <h1 id="signup-heading">Create account</h1>
        <p className="muted">Accounts are created on the sign-in page.</p>
        <button type="button" className="btn btn-primary btn-block" onClick={() => void startHostedSignIn("/")}>
          Continue to sign-in
        </button>
      </section>
    );
  }

  if (config?.flow === "local" && config.signup === false) {
    return (
      <section className="auth-card" aria-labelledby="signup-heading">
        <h1 id="signup-heading">Create account</h1>
        <p>New accounts are not open on this server. Ask its operator for one.</p>
        <p className="auth-switch">
          Already have an account? <a href="/signin">Sign in</a>
        </p>
      </section>
    );
  }
  const minLength = minPasswordLength(config);

  const onSubmit = async (e: FormEvent) => {
    e.preventDefault();
    const problems = localRefusal(
      checkFields(
        { email, password },
        { email: "Enter your email address.", password: "Choose a password." },
        { newPassword: "password", minLength },
      ),
    );
    if (problems) return setError(problems);
    await submit(async () => {
      await signUp(email.trim(), password);
      if (config?.flow === "local" && (config.email_verification ?? "optional") !== "off") {
        flash(`We sent a link to ${email.trim()}: open it to verify your address.`);
      }
      navigate("/");
    });
  };

  return (
    <section className="auth-card" aria-labelledby="signup-heading">
      <h1 id="signup-heading">Create account</h1>
      <form ref={formRef} onSubmit={onSubmit} noValidate data-testid="signup-form">
        <Field label="Email" error={fieldErrors.email}>
          <input type="email" name="email" autoComplete="email" required value={email} onChange={(e) => setEmail(e.target.value)} />
        </Field>
        <Field label="Password" error={fieldErrors.password}
          hint={fieldErrors.password ? undefined : `At least ${minLength} characters.`}>
          <input
            type="password"
            name="password"
            autoComplete="new-password"
            required
            minLength={minLength}
            value={password}
            onChange={(e) => setPassword(e.target.value)}
          />
        </Field>
        <ErrorNotice error={error} hideFields={["email", "password"]} />
        <FormActions label="Create account" busyLabel="Creating…" busy={busy} primary layout="block" />
      </form>
      <p className="auth-switch">
        Already have an account? <a href="/signin">Sign in</a>
      </p>
    </section>
  );
}
