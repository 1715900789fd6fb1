/** Administrators' view of everyone's API keys: whose, what access, when last used; narrow to one person, revoke. */
import { useCallback, useState, type FormEvent } from "react";
import { adminRevokeApiKey, listEveryonesApiKeys } from "../api/keys";
import type { OwnedApiKey } from "../api/types";
import { ConfirmDialog } from "../components/ConfirmDialog";
import { ErrorNotice } from "../components/ErrorNotice";
import { ListTable } from "../components/ListTable";
import { StatusNote } from "../components/StatusNote";
import { useFormSubmit } from "../components/useFormSubmit";
import { useLoad } from "../components/useLoad";
import { accessLabel, formatWhen, isExpired } from "./access";

export function AdminKeysSection() {
  const [filter, setFilter] = useState("");
  const [shown, setShown] = useState("");
  const { data: page, error, reload } = useLoad(useCallback(() => listEveryonesApiKeys(shown), [shown]));
  const [revoking, setRevoking] = useState<OwnedApiKey | null>(null);
  const [notice, setNotice] = useState("");
  const revoke = useFormSubmit();

  const onFilter = (e: FormEvent) => {
    e.preventDefault();
    setShown(filter.trim());
  };

  const onRevoke = () =>
    revoke.submit(async () => {
      if (!revoking) return;
      try {
        await adminRevokeApiKey(revoking.id);
        setNotice(`The key “${revoking.name}” of ${owner(revoking)} was revoked.`);
      } finally {
        setRevoking(null);
        await reload();
      }
    });

  return (
    <section aria-labelledby="admin-keys-heading" data-testid="admin-api-keys">
      <div className="page-head">
        <h2 id="admin-keys-heading">API keys</h2>
      </div>
      <form className="row-actions" onSubmit={onFilter} role="search" aria-label="API keys of one person">
        <label className="visually-hidden" htmlFor="admin-keys-user">
          Email address or user id
        </label>
        <input id="admin-keys-user" type="search" placeholder="Email address or user id" value={filter}
          onChange={(e) => setFilter(e.target.value)} />
        <button type="submit" className="btn">
          Show
        </button>
      </form>
      <ErrorNotice error={error ?? revoke.error} />
      <StatusNote message={notice} />
      <ListTable
        items={page?.keys}
        empty={shown ? `No keys for ${shown}.` : "Nobody has an API key."}
        columns={["Person", "Key", "Access", "Last used"]}
        testId="admin-api-key-list"
        row={(key) => (
          <tr key={key.id} data-testid="admin-api-key-row">
            <td>{owner(key)}</td>
            <td>
              {key.name} <code className="muted small">{key.prefix}…</code>
              {isExpired(key.expires_at) && <span className="error-text small"> (expired)</span>}
            </td>
            <td>{accessLabel(key.scopes)}</td>
            <td>{formatWhen(key.last_used_at) || "Never"}</td>
            <td>
              <button type="button" className="btn btn-small btn-danger" onClick={() => setRevoking(key)}>
                Revoke <span className="visually-hidden">{`${key.name} of ${owner(key)}`}</span>
              </button>
            </td>
          </tr>
        )}
        footer={
          page && page.total > page.keys.length && (
            <p className="muted small">
              Showing the newest {page.keys.length} of {page.total}; narrow to one person to see theirs.
            </p>
          )
        }
      />
      {revoking && (
        <ConfirmDialog
          title="Revoke this key?"
          message={`Anything using “${revoking.name}” of ${owner(revoking)} is refused from now on. This cannot be undone.`}
          confirmLabel="Revoke key"
          busy={revoke.busy}
          onConfirm={() => void onRevoke()}
          onCancel={() => setRevoking(null)}
        />
      )}
    </section>
  );
}

function owner(key: OwnedApiKey): string {
  return key.owner_email || key.user_id;
}
