/** The owner's actions on a video's original file: download it, or replace it (the video keeps its id, links, title
 * and captions); a replacement cut short by a reload carries on when the same file is picked again. */
import { useEffect, useId, useMemo, useRef, useState } from "react";
import { ApiError } from "../api/client";
import { cancelReplace, getOriginalDownload } from "../api/endpoints";
import type { Video } from "../api/types";
import { ErrorNotice } from "../components/ErrorNotice";
import { ProgressBar } from "../components/ProgressBar";
import { formatBytes } from "../format";
import { fileRefusal, useUploadRules } from "../upload/rules";
import { sameFile, UnfinishedUploads, type UnfinishedUpload } from "../upload/unfinished";
import { UploadTask, type UploadSnapshot, type UploadTaskOptions } from "../upload/uploadTask";
import { stillOpen, useSignedInUser } from "./interruptedReplace";

/** Statuses whose file may be replaced: no job is working on it (the server refuses the others with 409). */
const REPLACEABLE = ["ready", "failed"];

export function OriginalFileActions({
  video,
  canReplace,
  onReplaced,
  taskOptions,
}: {
  video: Video;
  /** Its owner (an admin may download, not replace). */
  canReplace: boolean;
  onReplaced: (video: Video) => void;
  /** Retries and parallel parts of the transfer (tests shorten them). */
  taskOptions?: Pick<UploadTaskOptions, "attempts" | "baseDelayMs" | "concurrency">;
}) {
  const inputId = useId();
  const rules = useUploadRules();
  const user = useSignedInUser();
  // This browser's localStorage, shared with the Upload page's unfinished uploads (kept apart by kind).
  const ledger = useMemo(() => new UnfinishedUploads(), []);
  const [error, setError] = useState<unknown>(null);
  const [downloading, setDownloading] = useState(false);
  const [task, setTask] = useState<UploadTask | null>(null);
  const [upload, setUpload] = useState<UploadSnapshot | null>(null);
  /** A replacement of this video begun before a reload, still open on the server: offered until a task takes over. */
  const [interrupted, setInterrupted] = useState<UnfinishedUpload | null>(null);
  const [cancelling, setCancelling] = useState(false);

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

  useEffect(() => {
    setInterrupted(null);
    if (!canReplace || !user) return;
    const record = ledger.list(user, "replace").find((r) => r.videoId === video.id);
    if (!record) return;
    let live = true;
    stillOpen(video.id, record).then(
      (open) => {
        if (!live) return;
        if (open) setInterrupted(record);
        else ledger.forget(video.id, "replace"); // confirmed, given up or expired elsewhere: nothing to carry on
      },
      () => live && setInterrupted(record), // offline or the server failing: picking the file asks again
    );
    return () => {
      live = false;
    };
  }, [canReplace, user, ledger, video.id]);

  /** Sends `file` as the new original; with `resume`, carries on the replacement the server holds open for it. */
  const startReplacing = (file: File, resume: boolean) => {
    const next = new UploadTask(file, { title: video.title, description: "", visibility: video.visibility }, {
      ...taskOptions,
      replaceVideoId: video.id,
      resumeVideoId: resume ? video.id : undefined,
      onVideoCreated: (created) => {
        if (!user) return;
        const { name, size, lastModified } = file;
        ledger.remember({ kind: "replace", videoId: created.id, user, name, size, lastModified, title: created.title });
      },
      onSettled: (videoId) => ledger.forget(videoId, "replace"),
    });
    setInterrupted(null);
    setTask(next);
    setUpload(next.state);
    void next.start();
  };

  const onPick = (file: File | undefined) => {
    if (!file) return;
    const refusal = rules ? fileRefusal(file, rules) : null;
    if (refusal) return setError(new Error(refusal));
    setError(null);
    startReplacing(file, false);
  };

  /** The file picked to carry on an interrupted replacement: only the one it was sending will do. */
  const onPickToCarryOn = async (file: File | undefined) => {
    if (!file || !interrupted) return;
    if (!sameFile(interrupted, file)) {
      return setError(new Error(`“${file.name}” is not the file the replacement was sending: pick “${interrupted.name}” ` +
        `(${formatBytes(interrupted.size)}) again, or cancel the replacement.`));
    }
    setError(null);
    let open: boolean;
    try {
      open = await stillOpen(video.id, interrupted); // it may have expired while the page stood open
    } catch (err) {
      return setError(err);
    }
    if (!open) ledger.forget(video.id, "replace");
    startReplacing(file, open); // no longer open: the person still wants this file, so it starts afresh
  };

  const onCancelInterrupted = async () => {
    setCancelling(true);
    setError(null);
    try {
      await cancelReplace(video.id);
    } catch (err) {
      if (!(err instanceof ApiError && err.status === 404)) return setError(err); // kept: it may be tried again
    } finally {
      setCancelling(false);
    }
    ledger.forget(video.id, "replace");
    setInterrupted(null);
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
      {canReplace && interrupted && !sending && (
        <div className="replace-progress" data-testid="replace-interrupted">
          <p role="status">A file replacement was interrupted — pick the same file to carry on.</p>
          <p className="muted small">
            {interrupted.name}, {formatBytes(interrupted.size)}
          </p>
          <div className="row-actions">
            <label className={`btn btn-small${cancelling ? " btn-disabled" : ""}`} htmlFor={`${inputId}-resume`}>
              Pick the file
            </label>
            <input
              id={`${inputId}-resume`}
              className="visually-hidden"
              type="file"
              disabled={cancelling}
              data-testid="replace-resume-input"
              onChange={(e) => {
                void onPickToCarryOn(e.target.files?.[0]);
                e.target.value = "";
              }}
            />
            <button type="button" className="btn btn-small" onClick={() => void onCancelInterrupted()} disabled={cancelling}
              data-testid="replace-cancel-interrupted">
              {cancelling ? "Cancelling…" : "Cancel replacement"}
            </button>
          </div>
        </div>
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
