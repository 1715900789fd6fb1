/** The account page's API keys: make one (name, access, lifetime; shown once), see when each was last used, revoke. */
import { useId, useState, type FormEvent } from "react";
import { createApiKey, listApiKeys, revokeApiKey } from "../api/keys";
import type { ApiKey, ApiKeyScope, CreatedApiKey } from "../api/types";
import { checkFields } from "../account/forms";
import { localRefusal } from "../account/localRefusal";
import { ConfirmDialog } from "../components/ConfirmDialog";
import { ErrorNotice } from "../components/ErrorNotice";
import { Field } from "../components/Field";
import { FieldGroup } from "../components/FieldGroup";
import { FormActions } from "../components/FormActions";
import { ListTable } from "../components/ListTable";
import { StatusNote } from "../components/StatusNote";
import { useFormSubmit } from "../components/useFormSubmit";
import { useLoad } from "../components/useLoad";
import { formatDate } from "../format";
import { ACCESS, LIFETIMES, accessLabel, formatWhen, isExpired } from "./access";
import { NewKeyNotice } from "./NewKeyNotice";

export function ApiKeysSection() {
  const { data: keys, error: loadError, reload: load } = useLoad(listApiKeys);
  const [name, setName] = useState("");
  const [scope, setScope] = useState<ApiKeyScope>("read");
  const [lifetime, setLifetime] = useState("90");
  const [created, setCreated] = useState<CreatedApiKey | null>(null);
  const [revoking, setRevoking] = useState<ApiKey | null>(null);
  const [notice, setNotice] = useState("");
  const { formRef, busy, error, setError, fieldErrors, submit } = useFormSubmit();
  const revoke = useFormSubmit();
  const accessId = useId();

  const onSubmit = async (e: FormEvent) => {
    e.preventDefault();
    const problems = localRefusal(checkFields({ name }, { name: "Give the key a name, to know it again in the list." }));
    if (problems) return setError(problems);
    setNotice("");
    await submit(async () => {
      const days = lifetime === "" ? null : Number(lifetime);
      setCreated(await createApiKey({ name: name.trim(), scopes: [scope], expires_in_days: days }));
      setName("");
      await load();
    });
  };

  const onRevoke = () =>
    revoke.submit(async () => {
      if (!revoking) return;
      try {
        await revokeApiKey(revoking.id);
        setNotice(`The key “${revoking.name}” was revoked: it stopped working at once.`);
        if (created?.id === revoking.id) setCreated(null);
      } finally {
        setRevoking(null);
        await load();
      }
    });

  return (
    <section className="account-section" aria-labelledby="api-keys-heading" data-testid="api-keys">
      <h2 id="api-keys-heading">API keys</h2>
      <p>
        Scripts and other programs use a key instead of your password, sent as{" "}
        <code>Authorization: Bearer vf_…</code>. A key acts as you, within the access you give it; it can never make
        keys or change your password.
      </p>
      {created && <NewKeyNotice created={created} onDone={() => setCreated(null)} />}
      <StatusNote message={notice} />
      <ErrorNotice error={loadError ?? revoke.error} />
      <ListTable
        items={keys}
        empty="No keys yet."
        columns={["Name", "Access", "Last used", "Expires"]}
        testId="api-key-list"
        row={(key) => (
          <tr key={key.id} data-testid="api-key-row">
            <td>
              {key.name} <code className="muted small">{key.prefix}…</code>
            </td>
            <td>{accessLabel(key.scopes)}</td>
            <td>{formatWhen(key.last_used_at) || "Never"}</td>
            <td className={isExpired(key.expires_at) ? "error-text" : undefined}>
              {isExpired(key.expires_at) ? "Expired" : formatDate(key.expires_at ?? undefined) || "Never"}
            </td>
            <td>
              <button type="button" className="btn btn-small btn-danger" onClick={() => setRevoking(key)}>
                Revoke <span className="visually-hidden">{key.name}</span>
              </button>
            </td>
          </tr>
        )}
      />
      <h3>New key</h3>
      <form ref={formRef} onSubmit={onSubmit} noValidate data-testid="api-key-form">
        <Field label="Name" error={fieldErrors.name} hint={fieldErrors.name ? undefined : "What it is for, e.g. “nightly uploads”."}>
          <input type="text" name="api-key-name" maxLength={100} autoComplete="off" required value={name}
            onChange={(e) => setName(e.target.value)} />
        </Field>
        <FieldGroup legend="Access" error={fieldErrors.scopes}>
          {ACCESS.map((level) => (
            <div className="check" key={level.scope}>
              <input type="radio" id={`${accessId}-${level.scope}`} name="api-key-access" value={level.scope}
                checked={scope === level.scope} onChange={() => setScope(level.scope)} />
              <label htmlFor={`${accessId}-${level.scope}`}>
                {level.label} <span className="muted small">{level.description}</span>
              </label>
            </div>
          ))}
        </FieldGroup>
        <Field label="Expires after" error={fieldErrors.expires_in_days}>
          <select name="api-key-lifetime" value={lifetime} onChange={(e) => setLifetime(e.target.value)}>
            {LIFETIMES.map((option) => (
              <option key={option.label} value={option.days === null ? "" : String(option.days)}>
                {option.label}
              </option>
            ))}
          </select>
        </Field>
        <ErrorNotice error={error} hideFields={["name", "scopes", "expires_in_days"]} />
        <FormActions label="Create key" busyLabel="Creating…" busy={busy} layout="inline" />
      </form>
      {revoking && (
        <ConfirmDialog
          title="Revoke this key?"
          message={`Anything using “${revoking.name}” (${revoking.prefix}…) is refused from now on. This cannot be undone.`}
          confirmLabel="Revoke key"
          busy={revoke.busy}
          onConfirm={() => void onRevoke()}
          onCancel={() => setRevoking(null)}
        />
      )}
    </section>
  );
}
