/** The signed-in person's videos (or those matching a search), refreshed every 2 s while any is queued or processing. */
import { useCallback, useEffect, useState } from "react";
import { listMyVideos, PAGE_SIZE, retryVideo, type VideoPage } from "../api/endpoints";
import { ErrorNotice } from "../components/ErrorNotice";
import { Pagination } from "../components/Pagination";
import { resultsSummary, SearchForm } from "../components/SearchForm";
import { VideoCard } from "../components/VideoCard";
import { takeFlash } from "../flash";
import { useDocumentTitle, usePoll } from "../hooks";
import { useSearchParam } from "../router";

const POLL_MS = 2000;

export function MyVideos() {
  const query = useSearchParam("q") ?? "";
  useDocumentTitle(query ? `“${query}” in my videos` : "My videos");
  const [page, setPage] = useState(1);
  const [data, setData] = useState<VideoPage | null>(null);
  // The search the shown results answer (the box may hold the next one while it loads).
  const [dataQuery, setDataQuery] = useState(query);
  const [error, setError] = useState<unknown>(null);
  const [retrying, setRetrying] = useState<Set<string>>(new Set());
  // What the last page did (a video deleted), said once; set after mount so the status region announces it.
  const [notice, setNotice] = useState<string | null>(null);
  useEffect(() => {
    const message = takeFlash();
    if (message) setNotice(message);
  }, []);

  useEffect(() => setPage(1), [query]);

  const load = useCallback(async () => {
    try {
      setData(await listMyVideos(page, PAGE_SIZE, query));
      setDataQuery(query);
      setError(null);
    } catch (err) {
      setError(err);
    }
  }, [page, query]);

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
        <SearchForm query={query} label="Search my videos" />
        <a className="btn btn-primary" href="/upload">
          Upload
        </a>
      </div>
      <p role="status" className={notice ? "notice notice-ok" : "visually-hidden"} data-testid="page-notice">
        {notice}
      </p>
      <ErrorNotice error={error} />
      {data === null && !error && <p className="muted" role="status">Loading…</p>}
      <p role="status" className={dataQuery && data ? "muted small" : "visually-hidden"} data-testid="search-summary">
        {dataQuery && data ? resultsSummary(data.total, dataQuery) : ""}
      </p>
      {data && data.videos.length === 0 && !dataQuery && (
        <div className="empty">
          <p>No videos yet.</p>
          <a className="btn btn-primary" href="/upload">
            Upload your first video
          </a>
        </div>
      )}
      {data && data.videos.length > 0 && (
        <>
          {!dataQuery && <p className="muted small">{data.total} video{data.total === 1 ? "" : "s"}</p>}
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
