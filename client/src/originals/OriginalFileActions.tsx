/** The owner's actions on a video's original file: download it, or replace it (the video keeps its id, links, title and captions). */
import { useEffect, useId, useRef, useState } from "react";
import { getOriginalDownload } from "../api/endpoints";
import type { Video } from "../api/types";
import { ErrorNotice } from "../components/ErrorNotice";
import { ProgressBar } from "../components/ProgressBar";
import { formatBytes } from "../format";
import { fileRefusal, useUploadRules } from "../upload/rules";
import { UploadTask, type UploadSnapshot } from "../upload/uploadTask";

/** Statuses whose file may be replaced: no job is working on it (the server refuses the others with 409). */
const REPLACEABLE = ["ready", "failed"];

export function OriginalFileActions({
  video,
  canReplace,
  onReplaced,
}: {
  video: Video;
  /** Its owner (an admin may download, not replace). */
  canReplace: boolean;
  onReplaced: (video: Video) => void;
}) {
  const inputId = useId();
  const rules = useUploadRules();
  const [error, setError] = useState<unknown>(null);
  const [downloading, setDownloading] = useState(false);
  const [task, setTask] = useState<UploadTask | null>(null);
  const [upload, setUpload] = useState<UploadSnapshot | null>(null);

  const replaced = useRef(onReplaced);
  replaced.current = onReplaced;
  useEffect(() => {
    if (!task) return;
    return task.subscribe((snapshot) => {
      setUpload(snapshot);
      if (snapshot.phase === "done" && snapshot.video) replaced.current(snapshot.video);
    });
  }, [task]);

  const onDownload = async () => {
    setDownloading(true);
    setError(null);
    try {
      // The link answers "attachment": the browser saves the file and the page stays.
      window.location.assign((await getOriginalDownload(video.id)).url);
    } catch (err) {
      setError(err);
    } finally {
      setDownloading(false);
    }
  };

  const onPick = (file: File | undefined) => {
    if (!file) return;
    const refusal = rules ? fileRefusal(file, rules) : null;
    if (refusal) return setError(new Error(refusal));
    setError(null);
    const next = new UploadTask(file, { title: video.title, description: "", visibility: video.visibility }, { replaceVideoId: video.id });
    setTask(next);
    setUpload(next.state);
    void next.start();
  };

  const sending = upload !== null && !["done", "failed", "cancelled"].includes(upload.phase);
  const replaceable = REPLACEABLE.includes(video.status);
  return (
    <section className="original-file" aria-labelledby={`${inputId}-heading`} data-testid="original-file">
      <h2 id={`${inputId}-heading`}>Original file</h2>
      <div className="row-actions">
        <button type="button" className="btn" onClick={() => void onDownload()} disabled={downloading || video.status === "awaiting_upload"}
          data-testid="download-original">
          {downloading ? "Preparing…" : "Download original"}
        </button>
        {canReplace && (
          <>
            <label className={`btn${!replaceable || sending ? " btn-disabled" : ""}`} htmlFor={inputId} aria-disabled={!replaceable || sending}>
              Replace file
            </label>
            <input
              id={inputId}
              className="visually-hidden"
              type="file"
              accept={rules ? rules.allowed_extensions.map((e) => `.${e}`).join(",") : "video/*"}
              disabled={!replaceable || sending}
              data-testid="replace-input"
              onChange={(e) => {
                onPick(e.target.files?.[0]);
                e.target.value = "";
              }}
            />
          </>
        )}
      </div>
      {canReplace && (
        <p className="muted small">
          {replaceable
            ? "A new file keeps this video's link, title and captions; the current one plays until the new one is ready."
            : "The file can be replaced once the video is ready (or has failed)."}
        </p>
      )}
      {upload && sending && (
        <div className="replace-progress" data-testid="replace-progress">
          <ProgressBar value={upload.size ? (100 * upload.bytesSent) / upload.size : null} label={`Sending ${upload.fileName}`} />
          <p className="muted small" aria-live="polite">
            {upload.phase === "interrupted" ? upload.error : `${formatBytes(upload.bytesSent)} of ${formatBytes(upload.size)}`}
          </p>
          <div className="row-actions">
            {upload.phase === "interrupted" && (
              <button type="button" className="btn btn-small" onClick={() => void task?.resume()}>
                Resume
              </button>
            )}
            <button type="button" className="btn btn-small" onClick={() => void task?.cancel()}>
              Cancel
            </button>
          </div>
        </div>
      )}
      {upload?.phase === "done" && (
        <p role="status" className="muted small">
          The new file was received; it is being processed.
        </p>
      )}
      {upload?.phase === "failed" && <ErrorNotice error={new Error(upload.error ?? "The new file was refused.")} />}
      <ErrorNotice error={error} />
    </section>
  );
}
