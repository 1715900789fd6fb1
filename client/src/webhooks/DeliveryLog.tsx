/** One endpoint's deliveries, newest first: what was sent, how each attempt went, and a replay. It refreshes itself
 * every few seconds while a delivery waits for the worker. */
import { useCallback, useEffect, useState } from "react";
import type { WebhookDelivery, WebhookEndpoint } from "../api/types";
import { listDeliveries, replayDelivery } from "../api/webhooks";
import { ErrorNotice } from "../components/ErrorNotice";
import { ListTable } from "../components/ListTable";
import { StatusNote } from "../components/StatusNote";
import { useFormSubmit } from "../components/useFormSubmit";
import { useLoad } from "../components/useLoad";
import { formatWhen } from "../keys/access";
import { anyPending, deliveryOutcome } from "./events";

/** How often, and how many times in a row, the log looks again while something is pending. */
export const REFRESH_MS = 2000;
const MAX_REFRESHES = 30;

export function DeliveryLog({ endpoint, version }: { endpoint: WebhookEndpoint; version: number }) {
  const [refreshes, setRefreshes] = useState(0);
  const [notice, setNotice] = useState("");
  const replay = useFormSubmit();

  // A new `version` (something was just sent) is a new fetch: the log loads again, and refreshes anew.
  const fetchLog = useCallback(() => listDeliveries(endpoint.id), [endpoint.id, version]); // eslint-disable-line react-hooks/exhaustive-deps
  const { data: page, error: loadError, reload: load } = useLoad(fetchLog);
  const deliveries = page?.deliveries ?? null;
  const total = page?.total ?? 0;
  useEffect(() => setRefreshes(0), [fetchLog]);

  useEffect(() => {
    if (!deliveries || !anyPending(deliveries) || refreshes >= MAX_REFRESHES) return;
    const timer = setTimeout(() => {
      setRefreshes((n) => n + 1);
      void load();
    }, REFRESH_MS);
    return () => clearTimeout(timer);
  }, [deliveries, refreshes, load]);

  const onReplay = (delivery: WebhookDelivery) =>
    replay.submit(async () => {
      await replayDelivery(delivery.id);
      setNotice(`The ${delivery.event_type} event is being sent again.`);
      setRefreshes(0);
      await load();
    });

  return (
    <section className="account-section" aria-labelledby="delivery-log-heading" data-testid="delivery-log">
      <h2 id="delivery-log-heading">
        Deliveries to <span className="break-anywhere">{endpoint.url}</span>
      </h2>
      <div className="row-actions">
        <button type="button" className="btn btn-small" onClick={() => void load()}>
          Refresh
        </button>
        <span className="muted small">{total === 1 ? "1 delivery" : `${total} deliveries`}, newest first</span>
      </div>
      <StatusNote message={notice} />
      <ErrorNotice error={loadError ?? replay.error} />
      <ListTable
        items={deliveries}
        empty="Nothing sent yet. Send a test event to try it."
        columns={["When", "Event", "Outcome", "Attempts"]}
        testId="delivery-list"
        row={(delivery) => (
          <tr key={delivery.id} data-testid="delivery-row">
            <td>{formatWhen(delivery.created_at)}</td>
            <td>
              <code>{delivery.event_type}</code>
              {delivery.replay_of && <span className="muted small"> (replay)</span>}
              <br />
              <span className="muted small">id {delivery.event_id}</span>
            </td>
            <td className={delivery.status === "failed" ? "error-text" : undefined}>
              {deliveryOutcome(delivery)}
              {delivery.status === "pending" && delivery.next_attempt_at && delivery.attempt_count > 0 && (
                <span className="muted small"> — next try {formatWhen(delivery.next_attempt_at)}</span>
              )}
            </td>
            <td>
              <Attempts delivery={delivery} />
            </td>
            <td>
              <button type="button" className="btn btn-small" disabled={replay.busy} onClick={() => void onReplay(delivery)}>
                Replay <span className="visually-hidden">{delivery.event_type} of {formatWhen(delivery.created_at)}</span>
              </button>
            </td>
          </tr>
        )}
      />
    </section>
  );
}

function Attempts({ delivery }: { delivery: WebhookDelivery }) {
  if (delivery.attempts.length === 0) return <span className="muted">0</span>;
  return (
    <details>
      <summary>{delivery.attempts.length}</summary>
      <ol className="attempt-list">
        {delivery.attempts.map((attempt, i) => (
          <li key={i} data-testid="delivery-attempt">
            {formatWhen(attempt.started_at)} · {attempt.duration_ms} ms ·{" "}
            {attempt.status_code != null ? `HTTP ${attempt.status_code}` : attempt.error}
            {attempt.status_code != null && attempt.error && <> · {attempt.error}</>}
            {attempt.response && <pre className="response-snippet">{attempt.response}</pre>}
          </li>
        ))}
      </ol>
    </details>
  );
}
