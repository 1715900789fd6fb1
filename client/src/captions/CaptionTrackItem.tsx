/** One caption track in the owner's list: its name and state, a download link, and delete (after a confirmation). */
import type { CaptionStatus, CaptionTrack } from "../api/types";

const STATUS: Record<CaptionStatus, { label: string; badge: string }> = {
  pending: { label: "Waiting for transcription", badge: "queued" },
  processing: { label: "Transcribing", badge: "processing" },
  ready: { label: "Ready", badge: "ready" },
  failed: { label: "Failed", badge: "failed" },
};

export function CaptionTrackItem({ track, onDelete }: { track: CaptionTrack; onDelete: (track: CaptionTrack) => void }) {
  const status = STATUS[track.status] ?? { label: track.status, badge: "queued" };
  const name = `${track.label || track.language} (${track.language})`;
  return (
    <li className="caption-track" data-testid="caption-track" data-language={track.language} data-status={track.status}>
      <div className="caption-track-head">
        <strong>{name}</strong>
        <span className="muted small">{track.kind === "captions" ? "Captions" : "Subtitles"}</span>
        {track.generated && <span className="badge" data-testid="caption-generated">Auto-generated</span>}
        <span className={`badge badge-${status.badge}`} data-testid="caption-status">
          {status.label}
        </span>
        {track.status === "ready" && track.cue_count != null && (
          <span className="muted small">
            {track.cue_count} cue{track.cue_count === 1 ? "" : "s"}
          </span>
        )}
      </div>
      {track.status === "failed" && (
        <p className="error-text small" data-testid="caption-error">
          {track.error ? `Transcription failed: ${track.error}` : "Transcription failed."}
        </p>
      )}
      <div className="row-actions">
        {track.url && (
          <a className="btn btn-small" href={track.url} download={`${track.language}.vtt`}>
            Download <span className="visually-hidden">{name}</span>
          </a>
        )}
        {/* A track being generated cannot go yet: its job would write it back. */}
        {!(track.generated && (track.status === "pending" || track.status === "processing")) && (
          <button type="button" className="btn btn-small btn-danger" onClick={() => onDelete(track)}>
            Delete <span className="visually-hidden">{name}</span>
          </button>
        )}
      </div>
    </li>
  );
}
