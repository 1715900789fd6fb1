/** Coloured label for a video's processing status. */
import type { VideoStatus } from "../api/types";

const LABELS: Record<VideoStatus, string> = {
  awaiting_upload: "Awaiting upload",
  queued: "Queued",
  processing: "Processing",
  ready: "Ready",
  failed: "Failed",
};

export function StatusBadge({ status }: { status: VideoStatus }) {
  return (
    <span className={`badge badge-${status}`} data-testid="status-badge" data-status={status}>
      {LABELS[status] ?? status}
    </span>
  );
}
