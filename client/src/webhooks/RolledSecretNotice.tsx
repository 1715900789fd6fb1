/** An endpoint's secret just rolled: the new secret, shown this once, and until when the old one still signs. */
import type { RolledWebhookEndpoint } from "../api/types";
import { ShownOnce } from "../components/ShownOnce";
import { CopyField } from "../share/CopyField";
import { formatUntil } from "./rolling";

export function RolledSecretNotice({ rolled, onDone }: { rolled: RolledWebhookEndpoint; onDone: () => void }) {
  const until = rolled.previous_secret_expires_at;
  return (
    <ShownOnce testId="rolled-webhook-secret" doneTestId="rolled-secret-done" onDone={onDone}>
      <p>
        <strong>Copy the new signing secret of {rolled.url} now.</strong> It is shown this once.{" "}
        {until ? (
          <span data-testid="rolled-secret-overlap">
            Until {formatUntil(until)} each delivery carries a signature with it and one with the old secret: put the
            new one in your receiver before then.
          </span>
        ) : (
          <span data-testid="rolled-secret-overlap">
            The old secret no longer signs: put the new one in your receiver now.
          </span>
        )}
      </p>
      <CopyField label="New signing secret" value={rolled.secret} copyLabel="Copy secret" copiedMessage="Secret copied"
        testId="rolled-secret-value" />
    </ShownOnce>
  );
}
