/** The account's address: whether it is verified (with a new link on request), and a change that a link confirms. */
import { useState, type FormEvent } from "react";
import { changeEmail, resendVerification } from "../api/account";
import { useAuth } from "../auth/AuthContext";
import { ErrorNotice } from "../components/ErrorNotice";
import { Field } from "../components/Field";
import { FormActions } from "../components/FormActions";
import { useFormSubmit } from "../components/useFormSubmit";
import { checkFields, needsVerification } from "./forms";
import { localRefusal } from "./localRefusal";

export function EmailSection() {
  const { config, user } = useAuth();
  const [newEmail, setNewEmail] = useState("");
  const [password, setPassword] = useState("");
  const [notice, setNotice] = useState<string | null>(null);
  const [resendError, setResendError] = useState<unknown>(null);
  const [resent, setResent] = useState<string | null>(null);
  const { formRef, busy, error, setError, fieldErrors, submit } = useFormSubmit();
  const verification = config?.flow === "local" ? (config.email_verification ?? "optional") : "off";

  const resend = async () => {
    setResendError(null);
    try {
      setResent((await resendVerification()).message);
    } catch (err) {
      setResendError(err);
    }
  };

  const onSubmit = async (e: FormEvent) => {
    e.preventDefault();
    const problems = localRefusal(
      checkFields(
        { email: newEmail, password },
        { email: "Enter the new email address.", password: "Enter your current password." },
      ),
    );
    if (problems) return setError(problems);
    setNotice(null);
    await submit(async () => {
      const { message } = await changeEmail(password, newEmail.trim());
      setNotice(`${message} Until then, your address stays ${user?.email}.`);
      setNewEmail("");
      setPassword("");
    });
  };

  return (
    <section className="account-section" aria-labelledby="email-heading">
      <h2 id="email-heading">Email address</h2>
      <p>
        <strong data-testid="account-address">{user?.email}</strong>{" "}
        {verification !== "off" &&
          (user?.email_verified ? (
            <span className="muted">(verified)</span>
          ) : (
            <span className="muted">(not verified yet)</span>
          ))}
      </p>
      {needsVerification(config, user) && (
        <div className="row-actions">
          {resent ? (
            <p role="status">{resent}</p>
          ) : (
            <button type="button" className="btn" onClick={() => void resend()}>
              Send a new verification link
            </button>
          )}
        </div>
      )}
      <ErrorNotice error={resendError} />
      <form ref={formRef} onSubmit={onSubmit} noValidate data-testid="email-form">
        <h3>Change email address</h3>
        <p className="muted">We send a link to the new address; the change happens when you open it.</p>
        <Field label="New email address" error={fieldErrors.email}>
          <input type="email" name="new-email" autoComplete="email" required value={newEmail}
            onChange={(e) => setNewEmail(e.target.value)} />
        </Field>
        <Field label="Current password" error={fieldErrors.password}>
          <input type="password" name="password" autoComplete="current-password" required value={password}
            onChange={(e) => setPassword(e.target.value)} />
        </Field>
        <ErrorNotice error={error} hideFields={["email", "password"]} />
        {notice && (
          <div className="notice notice-ok" role="status">
            <p>{notice}</p>
          </div>
        )}
        <FormActions label="Send confirmation link" busyLabel="Sending…" busy={busy} layout="inline" />
      </form>
    </section>
  );
}
