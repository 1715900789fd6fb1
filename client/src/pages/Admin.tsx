/** Operators' view: queue depth, dead letters, redrive and retry; everyone's API keys. */
import { useCallback, useEffect, useState } from "react";
import { adminRetryVideo, getQueueStats, listDeadLetters, redriveDeadLetters } from "../api/endpoints";
import type { DeadLetter, QueueStats } from "../api/types";
import { useAuth } from "../auth/AuthContext";
import { AdminKeysSection } from "../keys/AdminKeysSection";
import { ErrorNotice } from "../components/ErrorNotice";
import { ListTable } from "../components/ListTable";
import { StatusNote } from "../components/StatusNote";
import { useDocumentTitle, usePoll } from "../hooks";
import { watchHref } from "../router";

export function Admin() {
  useDocumentTitle("Admin");
  const { isAdmin } = useAuth();
  const [stats, setStats] = useState<QueueStats | null>(null);
  const [letters, setLetters] = useState<DeadLetter[] | null>(null);
  const [error, setError] = useState<unknown>(null);
  const [notice, setNotice] = useState("");
  const [busy, setBusy] = useState<string | null>(null);

  const load = useCallback(async () => {
    try {
      const [s, d] = await Promise.all([getQueueStats(), listDeadLetters()]);
      setStats(s);
      setLetters(d);
      setError(null);
    } catch (err) {
      setError(err);
    }
  }, []);

  useEffect(() => {
    if (isAdmin) void load();
  }, [isAdmin, load]);
  usePoll(load, 5000, isAdmin);

  if (!isAdmin) {
    return (
      <section>
        <h1>Admin</h1>
        <p>You need to be in the admin group to see this page.</p>
      </section>
    );
  }

  const act = async (key: string, action: () => Promise<unknown>, done: string) => {
    setBusy(key);
    setNotice("");
    try {
      await action();
      setNotice(done);
      await load();
    } catch (err) {
      setError(err);
    } finally {
      setBusy(null);
    }
  };

  return (
    <section aria-labelledby="admin-heading">
      <div className="page-head">
        <h1 id="admin-heading">Processing queue</h1>
        <button type="button" className="btn" onClick={() => void load()}>
          Refresh
        </button>
      </div>
      <ErrorNotice error={error} />
      <StatusNote message={notice} />
      {stats && (
        <dl className="stats" data-testid="queue-stats">
          <Stat label="Waiting" value={stats.depth} testId="queue-depth" />
          <Stat label="In flight" value={stats.in_flight} testId="queue-in-flight" />
          <Stat label="Dead letters" value={stats.dead_letters} testId="queue-dead-letters" />
          {stats.workers != null && <Stat label="Workers" value={stats.workers} testId="queue-workers" />}
        </dl>
      )}
      <div className="page-head">
        <h2>Dead letters</h2>
        <button
          type="button"
          className="btn btn-primary"
          disabled={!letters?.length || busy !== null}
          onClick={() => void act("redrive", redriveDeadLetters, "Dead letters sent back to the queue.")}
          data-testid="redrive-button"
        >
          {busy === "redrive" ? "Redriving…" : "Redrive all"}
        </button>
      </div>
      <ListTable
        items={letters}
        empty="No dead letters. Everything is flowing."
        columns={["Video", "Receives", "Error"]}
        testId="dead-letters"
        row={(d) => (
          <tr key={d.id} data-testid="dead-letter-row">
            <td>
              <a className="video-id" href={watchHref(d.video_id)} title={d.video_id}>
                {d.video_id}
              </a>
            </td>
            <td>{d.receive_count}</td>
            <td className="error-text">{d.error || "—"}</td>
            <td>
              <button
                type="button"
                className="btn btn-small"
                disabled={busy !== null}
                onClick={() => void act(d.id, () => adminRetryVideo(d.video_id), `Video ${d.video_id} queued again.`)}
                aria-label={`Retry video ${d.video_id}`}
              >
                {busy === d.id ? "Retrying…" : "Retry"}
              </button>
            </td>
          </tr>
        )}
      />
      <AdminKeysSection />
    </section>
  );
}

function Stat({ label, value, testId }: { label: string; value: number; testId: string }) {
  return (
    <div className="stat">
      <dt>{label}</dt>
      <dd data-testid={testId}>{value}</dd>
    </div>
  );
}
