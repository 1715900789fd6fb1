/**
 * The watch page's share dialog: the link (optionally at the moment the viewer is at, `?t=1m30s`) and, for a video
 * other sites may show, the embed code. Modal: focus starts on the link, Tab stays inside, Escape closes, and focus
 * goes back to what opened it.
 */
import { useId, useState } from "react";
import { Modal } from "../components/Modal";
import { formatDuration } from "../format";
import { CopyField } from "./CopyField";
import { embedCode, embedLink, embedSize, watchLink } from "./links";

export interface ShareDialogProps {
  videoId: string;
  title: string;
  /** Where the viewer is, in seconds, when the dialog opens. */
  position: number;
  width?: number | null;
  height?: number | null;
  /**
   * Whether other sites may show it: `true` (any site), the sites its owner allows (a list, shown to the owner), or
   * `false` (no embed page: a private or password video, or embedding turned off).
   */
  embeddable: boolean | string[];
  onClose: () => void;
  /** The site's address; the page's own by default. */
  origin?: string;
}

export function ShareDialog({ videoId, title, position, width, height, embeddable, onClose, origin }: ShareDialogProps) {
  const site = origin ?? window.location.origin;
  const [atPosition, setAtPosition] = useState(false);
  const headingId = useId();
  // The moment is the one the dialog opened at: the player may go on playing behind it.
  const [moment] = useState(() => Math.floor(Math.max(0, position)));
  const start = atPosition && moment >= 1 ? moment : null;

  return (
    <Modal className="dialog share-dialog" labelledBy={headingId} initialFocus="input" onClose={onClose} testId="share-dialog">
      <h2 id={headingId}>Share</h2>
      <CopyField
        label="Link"
        value={watchLink(site, videoId, start)}
        copyLabel="Copy link"
        copiedMessage="Link copied"
        testId="share-link"
      />
      <div className="check share-start">
        <input
          id={`${headingId}-start`}
          type="checkbox"
          checked={atPosition}
          onChange={(e) => setAtPosition(e.target.checked)}
          data-testid="share-at-time"
        />
        <label htmlFor={`${headingId}-start`}>Start at {formatDuration(moment)}</label>
      </div>
      {embeddable !== false ? (
        <>
          <CopyField
            label="Embed code"
            value={embedCode(embedLink(site, videoId, start), title, embedSize(width, height))}
            copyLabel="Copy code"
            copiedMessage="Embed code copied"
            multiline
            testId="embed-code"
          />
          {Array.isArray(embeddable) && (
            <p className="muted small" data-testid="embed-sites">
              Only these sites can show it: {embeddable.join(", ")}.
            </p>
          )}
        </>
      ) : (
        <p className="muted small" data-testid="embed-off">
          Other sites cannot show this video.
        </p>
      )}
      <div className="dialog-actions">
        <button type="button" className="btn" onClick={onClose} data-testid="share-close">
          Close
        </button>
      </div>
    </Modal>
  );
}
