/** Public videos, and a search of their titles, descriptions and captions; needs no sign-in. */
import { useEffect, useState } from "react";
import { listPublicVideos, PAGE_SIZE, type VideoPage } from "../api/endpoints";
import { ErrorNotice } from "../components/ErrorNotice";
import { Pagination } from "../components/Pagination";
import { resultsSummary, SearchForm } from "../components/SearchForm";
import { VideoCard } from "../components/VideoCard";
import { useDocumentTitle } from "../hooks";
import { useSearchParam } from "../router";

export function PublicGallery() {
  const query = useSearchParam("q") ?? "";
  useDocumentTitle(query ? `“${query}” in public videos` : "Public videos");
  const [page, setPage] = useState(1);
  const [data, setData] = useState<VideoPage | null>(null);
  // The search the shown results answer (the box may hold the next one while it loads).
  const [dataQuery, setDataQuery] = useState(query);
  const [error, setError] = useState<unknown>(null);
  useEffect(() => setPage(1), [query]);

  useEffect(() => {
    let live = true;
    listPublicVideos(page, PAGE_SIZE, query).then(
      (d) => live && (setData(d), setDataQuery(query), setError(null)),
      (err) => live && setError(err),
    );
    return () => {
      live = false;
    };
  }, [page, query]);

  return (
    <section aria-labelledby="public-heading">
      <div className="page-head">
        <h1 id="public-heading">Public videos</h1>
        <SearchForm query={query} label="Search public videos" />
      </div>
      <ErrorNotice error={error} />
      {data === null && !error && <p className="muted" role="status">Loading…</p>}
      <p role="status" className={dataQuery && data ? "muted small" : "visually-hidden"} data-testid="search-summary">
        {dataQuery && data ? resultsSummary(data.total, dataQuery) : ""}
      </p>
      {data && data.videos.length === 0 && !dataQuery && <p className="empty">Nothing has been shared publicly yet.</p>}
      {data && data.videos.length > 0 && (
        <>
          <div className="grid" data-testid="video-grid">
            {data.videos.map((v) => (
              <VideoCard key={v.id} video={v} audience="public" />
            ))}
          </div>
          <Pagination page={data.page} totalPages={data.totalPages} onPage={setPage} />
        </>
      )}
    </section>
  );
}
