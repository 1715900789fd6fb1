/** Delete the account (password, then a confirmation): its videos and files go, or to an administrator. */
import { useState, type FormEvent } from "react";
import { deleteAccount } from "../api/account";
import { useAuth } from "../auth/AuthContext";
import { ConfirmDialog } from "../components/ConfirmDialog";
import { ErrorNotice } from "../components/ErrorNotice";
import { Field } from "../components/Field";
import { useFormSubmit } from "../components/useFormSubmit";
import { flash } from "../flash";
import { navigate } from "../router";
import { checkFields } from "./forms";
import { localRefusal } from "./localRefusal";

export function DeleteSection() {
  const { config, forgetSession } = useAuth();
  const [password, setPassword] = useState("");
  const [confirming, setConfirming] = useState(false);
  const { formRef, busy, error, setError, fieldErrors, submit } = useFormSubmit();
  const handover = config?.flow === "local" && config.account_deletion === "handover";
  const consequence = handover
    ? "Your videos stay on the site: they are handed to its administrators."
    : "Your videos and all their files are deleted for good.";

  const onSubmit = (e: FormEvent) => {
    e.preventDefault();
    const problems = localRefusal(checkFields({ password }, { password: "Enter your password to delete the account." }));
    setError(problems);
    if (!problems) setConfirming(true);
  };

  const onConfirm = () =>
    submit(async () => {
      try {
        await deleteAccount(password);
        flash("Your account was deleted.");
        forgetSession();
        navigate("/signin");
      } catch (err) {
        setConfirming(false); // the dialog goes, the error shows in the form
        throw err;
      }
    });

  return (
    <section className="account-section account-danger" aria-labelledby="delete-heading">
      <h2 id="delete-heading">Delete account</h2>
      <p>{consequence} You cannot undo this.</p>
      <form ref={formRef} onSubmit={onSubmit} noValidate data-testid="delete-form">
        <Field label="Password" error={fieldErrors.password}>
          <input type="password" name="delete-password" autoComplete="current-password" required value={password}
            onChange={(e) => setPassword(e.target.value)} />
        </Field>
        <ErrorNotice error={error} hideFields={["password"]} />
        <button type="submit" className="btn btn-danger">
          Delete account…
        </button>
      </form>
      {confirming && (
        <ConfirmDialog
          title="Delete your account?"
          message={`${consequence} You will be signed out, and your email address can be used for a new account.`}
          confirmLabel="Delete account"
          busy={busy}
          onConfirm={() => void onConfirm()}
          onCancel={() => setConfirming(false)}
        />
      )}
    </section>
  );
}
