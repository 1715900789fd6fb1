/**
 * Roll an endpoint's signing secret: choose how long the old secret goes on signing beside the new one, then ask the
 * server for the new one. Modal: the focus starts on the choice, Escape or Cancel closes it, nothing changes until
 * "Roll secret" is pressed.
 */
import { useId, useState, type FormEvent } from "react";
import type { RolledWebhookEndpoint, WebhookEndpoint } from "../api/types";
import { rollWebhookSecret } from "../api/webhooks";
import { ErrorNotice } from "../components/ErrorNotice";
import { Field } from "../components/Field";
import { Modal } from "../components/Modal";
import { useFormSubmit } from "../components/useFormSubmit";
import { DEFAULT_OVERLAP_HOURS, OVERLAP_CHOICES, formatUntil } from "./rolling";

export function RollSecretDialog({
  endpoint,
  onRolled,
  onCancel,
}: {
  endpoint: WebhookEndpoint;
  onRolled: (rolled: RolledWebhookEndpoint) => void;
  onCancel: () => void;
}) {
  const [hours, setHours] = useState(DEFAULT_OVERLAP_HOURS);
  const { formRef, busy, error, fieldErrors, submit } = useFormSubmit();
  const headingId = useId();
  const olderUntil = endpoint.previous_secret_expires_at;

  const onSubmit = async (e: FormEvent) => {
    e.preventDefault();
    await submit(async () => onRolled(await rollWebhookSecret(endpoint.id, hours)));
  };

  return (
    <Modal labelledBy={headingId} describedBy={`${headingId}-about`} initialFocus="select" onClose={onCancel}
      testId="roll-secret-dialog">
      <form ref={formRef} onSubmit={onSubmit} noValidate>
        <h2 id={headingId}>Roll the signing secret?</h2>
        <p id={`${headingId}-about`}>
          {endpoint.url} gets a new secret, shown once. Until the old secret stops, each delivery carries a signature
          with both, so your receiver accepts it whichever one it holds: put the new one in before then.
        </p>
        {olderUntil && (
          <p className="muted small" data-testid="roll-drops-older">
            The secret an earlier roll replaced (signing until {formatUntil(olderUntil)}) stops now: only the current
            one is kept as the old one.
          </p>
        )}
        <Field label="The old secret keeps signing for" error={fieldErrors.expire_old_in_hours}>
          <select name="expire-old-in-hours" value={hours} onChange={(e) => setHours(Number(e.target.value))}>
            {OVERLAP_CHOICES.map((choice) => (
              <option key={choice.hours} value={choice.hours}>
                {choice.label}
              </option>
            ))}
          </select>
        </Field>
        <ErrorNotice error={error} hideFields={["expire_old_in_hours"]} />
        <div className="dialog-actions">
          <button type="button" className="btn" onClick={onCancel}>
            Cancel
          </button>
          <button type="submit" className="btn btn-danger" disabled={busy}>
            {busy ? "Rolling…" : "Roll secret"}
          </button>
        </div>
      </form>
    </Modal>
  );
}
