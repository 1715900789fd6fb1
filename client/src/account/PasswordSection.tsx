/** Change the password (the current one first); every other session is signed out, this one carries on. */
import { useRef, useState, type FormEvent } from "react";
import { changePassword } from "../api/account";
import { ApiError } from "../api/client";
import { useAuth } from "../auth/AuthContext";
import { ErrorNotice } from "../components/ErrorNotice";
import { Field } from "../components/Field";
import { useFocusOnError } from "../components/focusError";
import { checkFields, minPasswordLength } from "./forms";
import { localRefusal } from "./localRefusal";

export function PasswordSection() {
  const { config, adoptTokens } = useAuth();
  const [current, setCurrent] = useState("");
  const [next, setNext] = useState("");
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>(null);
  const [done, setDone] = useState(false);
  const formRef = useRef<HTMLFormElement>(null);
  useFocusOnError(formRef, error);
  const minLength = minPasswordLength(config);

  const onSubmit = async (e: FormEvent) => {
    e.preventDefault();
    const problems = localRefusal(
      checkFields(
        { current_password: current, new_password: next },
        { current_password: "Enter your current password.", new_password: "Enter a new password." },
        { newPassword: "new_password", minLength },
      ),
    );
    if (problems) return setError(problems);
    setBusy(true);
    setError(null);
    setDone(false);
    try {
      adoptTokens(await changePassword(current, next));
      setCurrent("");
      setNext("");
      setDone(true);
    } catch (err) {
      setError(err);
    } finally {
      setBusy(false);
    }
  };
  const fieldErrors = error instanceof ApiError ? error.fieldErrors : {};

  return (
    <section className="account-section" aria-labelledby="password-heading">
      <h2 id="password-heading">Password</h2>
      <form ref={formRef} onSubmit={onSubmit} noValidate data-testid="password-form">
        <Field label="Current password" error={fieldErrors.current_password}>
          <input type="password" name="current-password" autoComplete="current-password" required value={current}
            onChange={(e) => setCurrent(e.target.value)} />
        </Field>
        <Field label="New password" error={fieldErrors.new_password}
          hint={fieldErrors.new_password ? undefined : `At least ${minLength} characters.`}>
          <input type="password" name="new-password" autoComplete="new-password" required minLength={minLength}
            value={next} onChange={(e) => setNext(e.target.value)} />
        </Field>
        <ErrorNotice error={error} hideFields={["current_password", "new_password"]} />
        {done && (
          <div className="notice notice-ok" role="status">
            <p>Password changed. Every other session of your account was signed out.</p>
          </div>
        )}
        <button type="submit" className="btn" disabled={busy}>
          {busy ? "Saving…" : "Change password"}
        </button>
      </form>
    </section>
  );
}
