/** One video in a grid: poster, title, duration, status, processing progress or failure, and a search's match. */
import type { Video } from "../api/types";
import { formatDate, formatDuration, formatEta, stageLabel } from "../format";
import { watchHref } from "../router";
import { ProgressBar } from "./ProgressBar";
import { StatusBadge } from "./StatusBadge";

export function processingSummary(video: Video): string {
  if (video.status === "queued") {
    const parts = ["Waiting for a worker"];
    if (video.queue_position != null) parts.push(`position ${video.queue_position}`);
    if (video.estimated_start_seconds != null) parts.push(`starts in ~${formatEta(video.estimated_start_seconds)}`);
    // A requeued job says why ("retrying (attempt 2 of 5)").
    if (video.stage) parts.push(stageLabel(video.stage));
    return parts.join(" · ");
  }
  if (video.status === "processing") {
    const pct = video.progress != null ? `${Math.round(video.progress)}%` : "";
    return [stageLabel(video.stage) || "Processing", pct].filter(Boolean).join(" · ");
  }
  if (video.status === "awaiting_upload") return "Upload not finished";
  return "";
}

export function VideoCard({
  video,
  onRetry,
  retrying,
  audience = "owner",
}: {
  video: Video;
  onRetry?: (id: string) => void;
  retrying?: boolean;
  /** "public": a gallery visitor, for whom status and visibility say nothing (everything shown is public and ready). */
  audience?: "owner" | "public";
}) {
  const busy = video.status === "queued" || video.status === "processing";
  const titleId = `video-title-${video.id}`;
  const match = video.match?.text ? video.match : null;
  const matchId = `video-match-${video.id}`;
  return (
    <article className="card" data-testid="video-card" data-video-id={video.id} data-status={video.status} aria-labelledby={titleId}>
      {/* A search result opens at the moment its words are spoken. */}
      <a className="card-link" href={watchHref(video.id, match?.start)} aria-describedby={match ? matchId : undefined}>
        <div className="poster">
          {video.poster_url ? (
            <img src={video.poster_url} alt="" loading="lazy" />
          ) : (
            <div className="poster-placeholder" aria-hidden="true">
              ▶
            </div>
          )}
          {video.duration != null && video.duration > 0 && (
            <span className="duration" aria-label={`Duration ${formatDuration(video.duration)}`}>
              {formatDuration(video.duration)}
            </span>
          )}
        </div>
        {/* h2: the cards sit right under the page's h1. */}
        <h2 className="card-title" id={titleId}>
          {video.title || "Untitled"}
        </h2>
      </a>
      {match && (
        <p className="match small" id={matchId} data-testid="search-match">
          {match.start != null && <span className="match-time">{formatDuration(match.start)}</span>} “{match.text}”
        </p>
      )}
      {audience === "owner" ? (
        <div className="card-meta">
          <StatusBadge status={video.status} />
          {video.visibility && <span className="visibility">{video.visibility}</span>}
        </div>
      ) : (
        video.created_at && (
          <div className="card-meta">
            <span className="muted small">{formatDate(video.created_at)}</span>
          </div>
        )
      )}
      {busy && (
        <div className="card-progress">
          <ProgressBar
            value={video.status === "processing" ? (video.progress ?? null) : null}
            label={`Processing ${video.title}`}
            testId="processing-progress"
          />
          <p className="muted small" aria-live="polite">
            {processingSummary(video)}
          </p>
        </div>
      )}
      {video.status === "awaiting_upload" && <p className="muted small">{processingSummary(video)}</p>}
      {video.status === "failed" && (
        <div className="card-failure">
          <p className="error-text small" data-testid="video-error">
            {video.error || "Processing failed."}
          </p>
          {onRetry && video.retryable !== false && (
            <button type="button" className="btn btn-small" onClick={() => onRetry(video.id)} disabled={retrying}>
              {retrying ? "Retrying…" : "Retry"}
            </button>
          )}
        </div>
      )}
    </article>
  );
}
