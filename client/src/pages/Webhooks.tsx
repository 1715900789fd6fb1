/** Webhooks: the signed-in person's endpoints (add, send a test event, enable or disable, roll the secret, delete)
 * and the delivery log of the one chosen. The server posts signed events to them; docs/webhooks.md says how to check
 * a signature. */
import { useState } from "react";
import type { CreatedWebhookEndpoint, RolledWebhookEndpoint, WebhookEndpoint } from "../api/types";
import { deleteWebhook, listWebhooks, sendTestEvent, updateWebhook } from "../api/webhooks";
import { ConfirmDialog } from "../components/ConfirmDialog";
import { ErrorNotice } from "../components/ErrorNotice";
import { ListTable } from "../components/ListTable";
import { StatusNote } from "../components/StatusNote";
import { useFormSubmit } from "../components/useFormSubmit";
import { useLoad } from "../components/useLoad";
import { useDocumentTitle } from "../hooks";
import { DeliveryLog } from "../webhooks/DeliveryLog";
import { NewEndpointForm } from "../webhooks/NewEndpointForm";
import { NewSecretNotice } from "../webhooks/NewSecretNotice";
import { RollSecretDialog } from "../webhooks/RollSecretDialog";
import { RolledSecretNotice } from "../webhooks/RolledSecretNotice";
import { formatUntil } from "../webhooks/rolling";

export function Webhooks() {
  useDocumentTitle("Webhooks");
  const { data: endpoints, error: loadError, reload: load } = useLoad(listWebhooks);
  const [created, setCreated] = useState<CreatedWebhookEndpoint | null>(null);
  const [chosen, setChosen] = useState<string | null>(null);
  const [logVersion, setLogVersion] = useState(0);
  const [deleting, setDeleting] = useState<WebhookEndpoint | null>(null);
  const [rolling, setRolling] = useState<WebhookEndpoint | null>(null);
  const [rolled, setRolled] = useState<RolledWebhookEndpoint | null>(null);
  const [notice, setNotice] = useState("");
  const action = useFormSubmit();

  const onCreated = async (endpoint: CreatedWebhookEndpoint) => {
    setCreated(endpoint);
    setNotice("");
    await load();
  };

  const onRolled = async (endpoint: RolledWebhookEndpoint) => {
    setRolling(null);
    setRolled(endpoint);
    if (created?.id === endpoint.id) setCreated(null); // that secret no longer signs alone: show the new one only
    setNotice("");
    await load();
  };

  const onTest = (endpoint: WebhookEndpoint) =>
    action.submit(async () => {
      await sendTestEvent(endpoint.id);
      setNotice(`A test event is on its way to ${endpoint.url}; its delivery is below.`);
      setChosen(endpoint.id);
      setLogVersion((v) => v + 1);
    });

  const onToggle = (endpoint: WebhookEndpoint) =>
    action.submit(async () => {
      await updateWebhook(endpoint.id, { enabled: !endpoint.enabled });
      await load();
      setNotice(endpoint.enabled ? `${endpoint.url} is disabled: it receives nothing.` : `${endpoint.url} is enabled.`);
    });

  const onDelete = () =>
    action.submit(async () => {
      if (!deleting) return;
      try {
        await deleteWebhook(deleting.id);
        setNotice(`${deleting.url} was deleted with its delivery log.`);
        if (chosen === deleting.id) setChosen(null);
        if (created?.id === deleting.id) setCreated(null);
        if (rolled?.id === deleting.id) setRolled(null);
      } finally {
        setDeleting(null);
        await load();
      }
    });

  const shown = endpoints?.find((e) => e.id === chosen) ?? null;
  return (
    <section className="account-page" aria-labelledby="webhooks-heading">
      <h1 id="webhooks-heading">Webhooks</h1>
      <p>
        VideoForge sends a signed <code>POST</code> to your URLs when one of your videos is ready, fails or is deleted,
        so your scripts need not ask again and again. Each request carries a <code>VideoForge-Signature</code> header to
        check with the endpoint's secret, and an event id to ignore repeats by; failed deliveries are retried for a day.
      </p>
      {created && <NewSecretNotice created={created} onDone={() => setCreated(null)} />}
      {rolled && <RolledSecretNotice rolled={rolled} onDone={() => setRolled(null)} />}
      <StatusNote message={notice} />
      <ErrorNotice error={loadError ?? action.error} />
      <ListTable
        items={endpoints}
        empty="No endpoints yet."
        columns={["URL", "Events", "State"]}
        testId="webhook-list"
        row={(endpoint) => (
          <tr key={endpoint.id} data-testid="webhook-row" aria-selected={endpoint.id === chosen || undefined}>
            <td className="break-anywhere">
              {endpoint.url}
              {endpoint.description && <div className="muted small">{endpoint.description}</div>}
            </td>
            <td>{endpoint.events.join(", ")}</td>
            <td>
              {endpoint.enabled ? "Enabled" : "Disabled"}
              {endpoint.previous_secret_expires_at && (
                <div className="muted small" data-testid="webhook-old-secret">
                  Old secret signs too until {formatUntil(endpoint.previous_secret_expires_at)}
                </div>
              )}
            </td>
            <td className="row-actions">
              <button type="button" className="btn btn-small" onClick={() => setChosen(endpoint.id)}
                aria-pressed={endpoint.id === chosen}>
                Deliveries <span className="visually-hidden">to {endpoint.url}</span>
              </button>
              <button type="button" className="btn btn-small" disabled={action.busy || !endpoint.enabled}
                onClick={() => void onTest(endpoint)}>
                Send test event <span className="visually-hidden">to {endpoint.url}</span>
              </button>
              <button type="button" className="btn btn-small" disabled={action.busy} onClick={() => void onToggle(endpoint)}>
                {endpoint.enabled ? "Disable" : "Enable"} <span className="visually-hidden">{endpoint.url}</span>
              </button>
              <button type="button" className="btn btn-small" onClick={() => setRolling(endpoint)}>
                Roll secret <span className="visually-hidden">of {endpoint.url}</span>
              </button>
              <button type="button" className="btn btn-small btn-danger" onClick={() => setDeleting(endpoint)}>
                Delete <span className="visually-hidden">{endpoint.url}</span>
              </button>
            </td>
          </tr>
        )}
      />
      {shown && <DeliveryLog endpoint={shown} version={logVersion} />}
      <section className="account-section" aria-labelledby="new-webhook-heading">
        <h2 id="new-webhook-heading">New endpoint</h2>
        <NewEndpointForm onCreated={(endpoint) => void onCreated(endpoint)} />
      </section>
      {rolling && (
        <RollSecretDialog endpoint={rolling} onRolled={(endpoint) => void onRolled(endpoint)}
          onCancel={() => setRolling(null)} />
      )}
      {deleting && (
        <ConfirmDialog
          title="Delete this endpoint?"
          message={`${deleting.url} receives nothing more, and its delivery log is deleted. This cannot be undone.`}
          confirmLabel="Delete endpoint"
          busy={action.busy}
          onConfirm={() => void onDelete()}
          onCancel={() => setDeleting(null)}
        />
      )}
    </section>
  );
}
