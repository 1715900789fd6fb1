/** Pick or drop several videos, set their details, and watch each one's transfer. */
import { useEffect, useRef, useState, type DragEvent } from "react";
import type { Visibility } from "../api/types";
import { summarize } from "../components/ErrorNotice";
import { Field } from "../components/Field";
import { focusFirstError } from "../components/focusError";
import { ProgressBar } from "../components/ProgressBar";
import { VISIBILITY_OPTIONS } from "../components/visibility";
import { formatBytes, formatEta, formatSpeed } from "../format";
import { useDocumentTitle } from "../hooks";
import { watchHref } from "../router";
import { PasswordField } from "../protection/PasswordField";
import { AutoCaptionsFields } from "../upload/AutoCaptionsFields";
import { useUploads, useUploadState } from "../upload/UploadsContext";
import { fileRefusal, TITLE_MAX_LENGTH, titleProblem, useUploadRules } from "../upload/rules";
import { TitleCounter } from "../upload/TitleCounter";
import type { UploadTask } from "../upload/uploadTask";

/** Refusals about the file itself: no change to the details can make the server take it. */
const FILE_FIELDS = ["filename", "content_type", "size", "quota"];
/** Fields the upload form shows beside their inputs. */
const FORM_FIELDS = ["title", "description", "visibility", "password"];

export function Upload() {
  useDocumentTitle("Upload");
  const { tasks, unfinished, addFiles, discard } = useUploads();
  const [dragging, setDragging] = useState(false);
  const [refused, setRefused] = useState<string[]>([]);
  const inputRef = useRef<HTMLInputElement>(null);
  const rules = useUploadRules();
  const titleMax = rules?.title_max_length ?? TITLE_MAX_LENGTH;

  const onFiles = (list: FileList | null) => {
    const files = Array.from(list ?? []);
    // The server's own rules, before any form: a file it would refuse never gets one.
    const verdicts = files.map((file) => ({ file, refusal: rules ? fileRefusal(file, rules) : null }));
    setRefused(verdicts.flatMap((v) => (v.refusal ? [v.refusal] : [])));
    const accepted = verdicts.filter((v) => !v.refusal).map((v) => v.file);
    if (accepted.length) addFiles(accepted, { titleMaxLength: titleMax });
  };
  const onDrop = (e: DragEvent) => {
    e.preventDefault();
    setDragging(false);
    onFiles(e.dataTransfer.files);
  };
  // A title the server would refuse waits for its row's own button, which says what to fix.
  const startable = tasks.filter((t) => t.state.phase === "ready" && !titleProblem(t.state.details.title, titleMax));

  return (
    <section aria-labelledby="upload-heading">
      <div className="page-head">
        <h1 id="upload-heading">Upload videos</h1>
        {startable.length > 1 && (
          <button type="button" className="btn btn-primary" onClick={() => startable.forEach((t) => void t.start())}>
            Upload all ({startable.length})
          </button>
        )}
      </div>
      <div
        className={`dropzone${dragging ? " dropzone-active" : ""}`}
        onDragOver={(e) => {
          e.preventDefault();
          setDragging(true);
        }}
        onDragLeave={() => setDragging(false)}
        onDrop={onDrop}
        data-testid="dropzone"
      >
        <p className="dropzone-title">Drag and drop video files here</p>
        <p className="muted">or</p>
        <label className="btn btn-primary" htmlFor="upload-input">
          Choose files
        </label>
        <input
          ref={inputRef}
          id="upload-input"
          className="visually-hidden"
          type="file"
          accept={rules ? rules.allowed_extensions.map((e) => `.${e}`).join(",") : "video/*,.mkv,.mov,.m4v,.avi,.webm"}
          multiple
          data-testid="upload-input"
          onChange={(e) => {
            onFiles(e.target.files);
            e.target.value = "";
          }}
        />
        <p className="muted small">Files go straight to storage; large ones are sent in parts and can resume.</p>
      </div>
      {refused.length > 0 && (
        <div className="notice notice-error refused" role="alert" data-testid="refused-files">
          {refused.length === 1 ? (
            <p>{refused[0]}</p>
          ) : (
            <ul>
              {refused.map((message) => (
                <li key={message}>{message}</li>
              ))}
            </ul>
          )}
        </div>
      )}
      {unfinished.length > 0 && (
        <section className="card unfinished" aria-labelledby="unfinished-heading" data-testid="unfinished-uploads">
          <h2 id="unfinished-heading">Unfinished uploads</h2>
          <p className="muted small">
            These stopped before they were done. Choose or drop the same file again and it carries on from where it stopped.
          </p>
          <ul className="plain-list">
            {unfinished.map((r) => (
              <li key={r.videoId} className="unfinished-item" data-testid="unfinished-item">
                <span>
                  <strong>{r.title}</strong> <span className="muted small">({r.name}, {formatBytes(r.size)})</span>
                </span>
                <button type="button" className="btn btn-link" onClick={() => void discard(r.videoId)}>
                  Discard
                </button>
              </li>
            ))}
          </ul>
        </section>
      )}
      {tasks.length > 0 && (
        <ul className="upload-list" aria-label="Uploads">
          {tasks.map((t) => (
            <UploadRow key={t.key} task={t} titleMax={titleMax} captionLanguages={rules?.caption_languages} />
          ))}
        </ul>
      )}
    </section>
  );
}

function UploadRow({ task, titleMax, captionLanguages }: { task: UploadTask; titleMax: number; captionLanguages?: string[] | null }) {
  const s = useUploadState(task);
  const { remove } = useUploads();
  const formRef = useRef<HTMLFormElement>(null);
  // An object per failed check, so finding the same problem again moves the focus again.
  const [titleError, setTitleError] = useState<{ message: string } | null>(null);
  const fileRefused = s.phase === "failed" && Object.keys(s.fieldErrors).some((k) => FILE_FIELDS.includes(k));
  const editable = (s.phase === "ready" || s.phase === "failed") && !fileRefused;
  // Each error once: beside its field, or in the message below the form (not both).
  const summary = s.error ? summarize(s.error, s.fieldErrors, FORM_FIELDS) : null;
  const general = summary ? [summary.message, ...summary.fields.map(([, m]) => m)].filter(Boolean).join(" ") : "";

  useEffect(() => {
    if (titleError) focusFirstError(formRef.current);
  }, [titleError]);
  useEffect(() => {
    if (s.phase === "failed") focusFirstError(formRef.current ?? document.getElementById(`${s.key}-refused`));
  }, [s.phase, s.key]);

  const onSubmit = () => {
    const problem = titleProblem(s.details.title, titleMax);
    setTitleError(problem ? { message: problem } : null);
    if (!problem) void task.start();
  };
  const moving = s.phase === "creating" || s.phase === "uploading" || s.phase === "confirming";
  const pct = s.size > 0 ? (s.bytesSent / s.size) * 100 : s.phase === "done" ? 100 : 0;
  const headingId = `${s.key}-name`;

  return (
    <li className="upload-item card" data-testid="upload-item" data-phase={s.phase} aria-labelledby={headingId}>
      <div className="upload-head">
        <h2 className="upload-name" id={headingId}>
          {s.fileName}
        </h2>
        <span className="muted small">{formatBytes(s.size)}</span>
      </div>

      {fileRefused && (
        <div className="upload-refused" id={`${s.key}-refused`}>
          <p className="error-text" role="alert">
            {general || "This file cannot be uploaded."}
          </p>
          <div className="row-actions">
            <button type="button" className="btn" onClick={() => remove(s.key)}>
              Remove
            </button>
          </div>
        </div>
      )}

      {editable && (
        <form
          className="upload-form"
          ref={formRef}
          noValidate
          onSubmit={(e) => {
            e.preventDefault();
            onSubmit();
          }}
        >
          <Field
            label="Title"
            error={titleError?.message ?? s.fieldErrors.title}
            hint={<TitleCounter title={s.details.title} max={titleMax} />}
          >
            <input
              type="text"
              required
              value={s.details.title}
              onChange={(e) => {
                setTitleError(null);
                task.setDetails({ title: e.target.value });
              }}
            />
          </Field>
          <Field label="Description" error={s.fieldErrors.description}>
            <textarea rows={2} value={s.details.description} onChange={(e) => task.setDetails({ description: e.target.value })} />
          </Field>
          <Field label="Visibility" error={s.fieldErrors.visibility}>
            <select value={s.details.visibility} onChange={(e) => task.setDetails({ visibility: e.target.value as Visibility })}>
              {VISIBILITY_OPTIONS.map((o) => (
                <option key={o.value} value={o.value}>
                  {o.label}
                </option>
              ))}
            </select>
          </Field>
          {s.details.visibility === "password" && (
            <PasswordField value={s.details.password ?? ""} onChange={(password) => task.setDetails({ password })}
              error={s.fieldErrors.password} hasPassword={false} />
          )}
          <AutoCaptionsFields
            checked={s.details.autoCaptions ?? false}
            language={s.details.captionLanguage ?? ""}
            languages={captionLanguages}
            onChange={(change) => task.setDetails(change)}
          />
          {general && (
            <p className="error-text" role="alert">
              {general}
            </p>
          )}
          <div className="row-actions">
            <button type="submit" className="btn btn-primary">
              {s.phase === "failed" ? "Try again" : "Start upload"}
            </button>
            <button type="button" className="btn" onClick={() => remove(s.key)}>
              Remove
            </button>
          </div>
        </form>
      )}

      {!editable && (
        <div className="upload-status">
          <p className="upload-title">{s.details.title}</p>
          {s.phase !== "cancelled" && (
            <ProgressBar value={s.phase === "creating" ? null : pct} label={`Upload of ${s.fileName}`} testId="upload-progress" />
          )}
          <p className="muted small" aria-live="polite" data-testid="upload-stats">
            {describe(s.phase)}
            {(s.phase === "uploading" || s.phase === "interrupted") && (
              <>
                {" · "}
                {formatBytes(s.bytesSent)} of {formatBytes(s.size)} ({Math.floor(pct)}%)
              </>
            )}
            {s.phase === "uploading" && (
              <>
                {" · "}
                {formatSpeed(s.bytesPerSecond)} · {formatEta(s.secondsLeft)} left
              </>
            )}
          </p>
          {s.phase === "interrupted" && s.error && (
            <p className="error-text" role="alert">
              {s.error}
            </p>
          )}
          <div className="row-actions">
            {s.phase === "interrupted" && (
              <button type="button" className="btn btn-primary" onClick={() => void task.resume()}>
                Resume
              </button>
            )}
            {(moving || s.phase === "interrupted") && s.phase !== "confirming" && (
              <button type="button" className="btn" onClick={() => void task.cancel()}>
                Cancel
              </button>
            )}
            {s.phase === "done" && s.video && (
              <a className="btn" href={watchHref(s.video.id)}>
                Open video
              </a>
            )}
            {(s.phase === "done" || s.phase === "cancelled") && (
              <button type="button" className="btn btn-link" onClick={() => remove(s.key)}>
                Dismiss
              </button>
            )}
          </div>
        </div>
      )}
    </li>
  );
}

function describe(phase: string): string {
  switch (phase) {
    case "creating":
      return "Preparing";
    case "uploading":
      return "Uploading";
    case "interrupted":
      return "Interrupted";
    case "confirming":
      return "Finishing";
    case "done":
      return "Uploaded — processing has started";
    case "cancelled":
      return "Cancelled";
    default:
      return phase;
  }
}
