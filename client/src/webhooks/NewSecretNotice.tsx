/** An endpoint just registered: its signing secret, shown this once, and how receivers check it. */
import type { CreatedWebhookEndpoint } from "../api/types";
import { ShownOnce } from "../components/ShownOnce";
import { CopyField } from "../share/CopyField";

export function NewSecretNotice({ created, onDone }: { created: CreatedWebhookEndpoint; onDone: () => void }) {
  return (
    <ShownOnce testId="new-webhook-secret" doneTestId="webhook-secret-done" onDone={onDone}>
      <p>
        <strong>Copy the signing secret of {created.url} now.</strong> It is shown this once. Your receiver checks
        each delivery's <code>VideoForge-Signature</code> header with it (HMAC-SHA256 over the timestamp, a dot and the
        body); if you lose it, roll it (a new one is made, the endpoint and its log stay).
      </p>
      <CopyField label="Signing secret" value={created.secret} copyLabel="Copy secret" copiedMessage="Secret copied"
        testId="webhook-secret-value" />
    </ShownOnce>
  );
}
