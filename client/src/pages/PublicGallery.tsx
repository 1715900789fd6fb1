/** Public videos; needs no sign-in. */
import { useEffect, useState } from "react";
import { listPublicVideos, type VideoPage } from "../api/endpoints";
import { ErrorNotice } from "../components/ErrorNotice";
import { Pagination } from "../components/Pagination";
import { VideoCard } from "../components/VideoCard";
import { useDocumentTitle } from "../hooks";

export function PublicGallery() {
  useDocumentTitle("Public videos");
  const [page, setPage] = useState(1);
  const [data, setData] = useState<VideoPage | null>(null);
  const [error, setError] = useState<unknown>(null);

  useEffect(() => {
    let live = true;
    listPublicVideos(page).then(
      (d) => live && (setData(d), setError(null)),
      (err) => live && setError(err),
    );
    return () => {
      live = false;
    };
  }, [page]);

  return (
    <section aria-labelledby="public-heading">
      <div className="page-head">
        <h1 id="public-heading">Public videos</h1>
      </div>
      <ErrorNotice error={error} />
      {data === null && !error && <p className="muted" role="status">Loading…</p>}
      {data && data.videos.length === 0 && <p className="empty">Nothing has been shared publicly yet.</p>}
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
