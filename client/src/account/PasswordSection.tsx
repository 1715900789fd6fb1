/** Change the password (the current one first); every other session is signed out, this one carries on. */
import { useState, type FormEvent } from "react";
import { changePassword } from "../api/account";
import { useAuth } from "../auth/AuthContext";
import { ErrorNotice } from "../components/ErrorNotice";
import { Field } from "../components/Field";
import { FormActions } from "../components/FormActions";
import { useFormSubmit } from "../components/useFormSubmit";
import { checkFields, minPasswordLength } from "./forms";
import { localRefusal } from "./localRefusal";

export function PasswordSection() {
  const { config, adoptTokens } = useAuth();
  const [current, setCurrent] = useState("");
  const [next, setNext] = useState("");
  const [done, setDone] = useState(false);
  const { formRef, busy, error, setError, fieldErrors, submit } = useFormSubmit();
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
    setDone(false);
    await submit(async () => {
      adoptTokens(await changePassword(current, next));
      setCurrent("");
      setNext("");
      setDone(true);
    });
  };

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
        <FormActions label="Change password" busyLabel="Saving…" busy={busy} layout="inline" />
      </form>
    </section>
  );
}
