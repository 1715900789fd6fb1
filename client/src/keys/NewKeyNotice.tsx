/** A key just made, shown this once: a copy button, how to send it, and a warning that it will not be shown again. */
import type { CreatedApiKey } from "../api/types";
import { ShownOnce } from "../components/ShownOnce";
import { CopyField } from "../share/CopyField";

export function NewKeyNotice({ created, onDone }: { created: CreatedApiKey; onDone: () => void }) {
  return (
    <ShownOnce testId="new-api-key" doneTestId="api-key-done" onDone={onDone}>
      <p>
        <strong>Copy your new key “{created.name}” now.</strong> It is shown this once: VideoForge keeps only a
        fingerprint of it and cannot show it again. Keep it secret, like a password; if it leaks, revoke it.
      </p>
      <CopyField label="API key" value={created.key} copyLabel="Copy key" copiedMessage="Key copied" testId="api-key-value" />
      <p>
        Scripts send it in every request: <code>Authorization: Bearer {created.prefix}…</code>
      </p>
    </ShownOnce>
  );
}
