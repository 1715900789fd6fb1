/** The signed-in person's videos, refreshed every 2 s while any is queued or processing. */
import { useCallback, useEffect, useState } from "react";
import { listMyVideos, retryVideo, type VideoPage } from "../api/endpoints";
import { ErrorNotice } from "../components/ErrorNotice";
import { Pagination } from "../components/Pagination";
import { VideoCard } from "../components/VideoCard";
import { takeFlash } from "../flash";
import { useDocumentTitle, usePoll } from "../hooks";

const POLL_MS = 2000;

export function MyVideos() {
  useDocumentTitle("My videos");
  const [page, setPage] = useState(1);
  const [data, setData] = useState<VideoPage | null>(null);
  const [error, setError] = useState<unknown>(null);
  const [retrying, setRetrying] = useState<Set<string>>(new Set());
  // What the last page did (a video deleted), said once; set after mount so the status region announces it.
  const [notice, setNotice] = useState<string | null>(null);
  useEffect(() => {
    const message = takeFlash();
    if (message) setNotice(message);
  }, []);

  const load = useCallback(async () => {
    try {
      setData(await listMyVideos(page));
      setError(null);
    } catch (err) {
      setError(err);
    }
  }, [page]);

  useEffect(() => {
    void load();
  }, [load]);

  const active = data?.videos.some((v) => v.status === "queued" || v.status === "processing") ?? false;
  usePoll(load, POLL_MS, active);

  const onRetry = async (id: string) => {
    setRetrying((s) => new Set(s).add(id));
    try {
      await retryVideo(id);
      await load();
    } catch (err) {
      setError(err);
    } finally {
      setRetrying((s) => {
        const next = new Set(s);
        next.delete(id);
        return next;
      });
    }
  };

  return (
    <section aria-labelledby="my-videos-heading">
      <div className="page-head">
        <h1 id="my-videos-heading">My videos</h1>
        <a className="btn btn-primary" href="#/upload">
          Upload
        </a>
      </div>
      <p role="status" className={notice ? "notice notice-ok" : "visually-hidden"} data-testid="page-notice">
        {notice}
      </p>
      <ErrorNotice error={error} />
      {data === null && !error && <p className="muted" role="status">Loading…</p>}
      {data && data.videos.length === 0 && (
        <div className="empty">
          <p>No videos yet.</p>
          <a className="btn btn-primary" href="#/upload">
            Upload your first video
          </a>
        </div>
      )}
      {data && data.videos.length > 0 && (
        <>
          <p className="muted small">{data.total} video{data.total === 1 ? "" : "s"}</p>
          <div className="grid" data-testid="video-grid">
            {data.videos.map((v) => (
              <VideoCard key={v.id} video={v} onRetry={onRetry} retrying={retrying.has(v.id)} />
            ))}
          </div>
          <Pagination page={data.page} totalPages={data.totalPages} onPage={setPage} />
        </>
      )}
    </section>
  );
}
