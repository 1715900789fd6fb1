/** The owner's caption editor on the watch page: the video's tracks, uploads, generation and deletion. */
import { useCallback, useEffect, useRef, useState } from "react";
import { deleteCaptions, generateCaptions, listCaptions } from "../api/endpoints";
import type { CaptionTrack, Video } from "../api/types";
import { ConfirmDialog } from "../components/ConfirmDialog";
import { ErrorNotice } from "../components/ErrorNotice";
import { focusFirstError } from "../components/focusError";
import { StatusNote } from "../components/StatusNote";
import { usePoll } from "../hooks";
import { CaptionTrackItem } from "./CaptionTrackItem";
import { CaptionUploadForm } from "./CaptionUploadForm";

/** What the player's master playlist lists: a change means the player should load it again. */
export function readyTracksKey(tracks: CaptionTrack[]): string {
  return tracks
    .filter((t) => t.status === "ready")
    .map((t) => `${t.id}@${t.updated_at ?? ""}`)
    .sort()
    .join(",");
}

export function CaptionsPanel({ video, onReadyTracksChanged }: { video: Video; onReadyTracksChanged: () => void }) {
  const [tracks, setTracks] = useState<CaptionTrack[] | null>(null);
  const [error, setError] = useState<unknown>(null);
  const [deleting, setDeleting] = useState<CaptionTrack | null>(null);
  const [busy, setBusy] = useState(false);
  const [notice, setNotice] = useState("");
  const sectionRef = useRef<HTMLElement>(null);
  const readyKey = useRef<string | null>(null);
  const changed = useRef(onReadyTracksChanged);
  changed.current = onReadyTracksChanged;

  const show = useCallback((list: CaptionTrack[]) => {
    setTracks(list);
    const key = readyTracksKey(list);
    // The first list is what the player loaded already; later changes reload it.
    if (readyKey.current !== null && readyKey.current !== key) changed.current();
    readyKey.current = key;
  }, []);

  const load = useCallback(async () => {
    try {
      show(await listCaptions(video.id));
    } catch (err) {
      setError(err);
    }
  }, [video.id, show]);
  useEffect(() => {
    void load();
  }, [load]);
  const transcribing = tracks?.some((t) => t.status === "pending" || t.status === "processing") ?? false;
  usePoll(load, 2000, transcribing);

  /** An action's failure: said at the top of the panel, where the focus goes. */
  const fail = (err: unknown) => {
    setError(err);
    requestAnimationFrame(() => focusFirstError(sectionRef.current?.querySelector(".captions-errors") ?? null));
  };

  const onGenerate = async () => {
    setBusy(true);
    setError(null);
    try {
      await generateCaptions(video.id);
      setNotice("Captions are being generated; they appear here when ready.");
      await load();
    } catch (err) {
      fail(err);
    } finally {
      setBusy(false);
    }
  };

  const onDelete = async () => {
    if (!deleting) return;
    setBusy(true);
    try {
      await deleteCaptions(video.id, deleting.id);
      setNotice(`${deleting.label || deleting.language} captions deleted.`);
      setDeleting(null);
      await load();
    } catch (err) {
      setDeleting(null);
      fail(err);
    } finally {
      setBusy(false);
    }
  };

  const canGenerate = video.status === "ready" && tracks !== null && !tracks.some((t) => t.generated);
  return (
    <section className="captions-panel" ref={sectionRef} aria-labelledby="captions-heading" data-testid="captions-panel">
      <h2 id="captions-heading">Captions</h2>
      <div className="captions-errors">
        <ErrorNotice error={error} />
      </div>
      <StatusNote message={notice} />
      {tracks === null && !error && <p className="muted">Loading…</p>}
      {tracks && tracks.length === 0 && <p className="muted">No captions yet.</p>}
      {tracks && tracks.length > 0 && (
        <ul className="plain-list caption-tracks" aria-label="Caption tracks">
          {tracks.map((t) => (
            <CaptionTrackItem key={t.id} track={t} onDelete={setDeleting} />
          ))}
        </ul>
      )}
      {canGenerate && (
        <div className="row-actions">
          <button type="button" className="btn" onClick={() => void onGenerate()} disabled={busy}>
            {busy ? "Starting…" : "Generate captions"}
          </button>
          <span className="muted small">Transcribes the audio into an auto-generated track.</span>
        </div>
      )}
      <CaptionUploadForm videoId={video.id} onUploaded={() => void load()} />
      {deleting && (
        <ConfirmDialog
          title="Delete these captions?"
          message={`The ${deleting.label || deleting.language} (${deleting.language}) track will be removed from the video. This cannot be undone.`}
          confirmLabel="Delete captions"
          busy={busy}
          onConfirm={() => void onDelete()}
          onCancel={() => setDeleting(null)}
        />
      )}
    </section>
  );
}
