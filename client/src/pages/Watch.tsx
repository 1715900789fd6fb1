/** Watch a video; its owner can also edit details, delete it and copy its share link. */
import { useCallback, useEffect, useState, type FormEvent } from "react";
import { ApiError } from "../api/client";
import { deleteVideo, getPlayback, getVideo, retryVideo, updateVideo } from "../api/endpoints";
import type { Playback, Video, Visibility } from "../api/types";
import { useAuth } from "../auth/AuthContext";
import { ConfirmDialog } from "../components/ConfirmDialog";
import { ErrorNotice } from "../components/ErrorNotice";
import { Field } from "../components/Field";
import { ProgressBar } from "../components/ProgressBar";
import { StatusBadge } from "../components/StatusBadge";
import { processingSummary } from "../components/VideoCard";
import { useDocumentTitle, usePoll } from "../hooks";
import { Player } from "../player/Player";
import { signInHref, watchHref } from "../router";
import { VISIBILITY_OPTIONS } from "../components/visibility";

export function shareUrl(id: string): string {
  return `${window.location.origin}${window.location.pathname}${watchHref(id)}`;
}

export function Watch({ id }: { id: string }) {
  const { status: authStatus, accessToken, user, isAdmin } = useAuth();
  const [playback, setPlayback] = useState<Playback | null>(null);
  const [video, setVideo] = useState<Video | null>(null);
  const [error, setError] = useState<unknown>(null);
  const title = video?.title ?? playback?.title ?? "Video";
  useDocumentTitle(title);

  const loadPlayback = useCallback(async () => {
    try {
      setPlayback(await getPlayback(id));
      setError(null);
    } catch (err) {
      setError(err);
    }
  }, [id]);

  const loadVideo = useCallback(async () => {
    if (authStatus !== "signedIn") return setVideo(null);
    try {
      setVideo(await getVideo(id));
    } catch {
      // Someone else's video: watching is allowed, editing is not.
      setVideo(null);
    }
  }, [id, authStatus]);

  useEffect(() => {
    setPlayback(null);
    void loadPlayback();
  }, [loadPlayback]);
  useEffect(() => {
    void loadVideo();
  }, [loadVideo]);

  const busy = playback?.status === "queued" || playback?.status === "processing";
  usePoll(
    async () => {
      await loadPlayback();
      if (video) await loadVideo();
    },
    2000,
    busy,
  );

  // Signed-in people also get public videos from the gallery: only the owner (or an admin) may change them.
  const ownsVideo =
    video !== null && (video.is_owner === true || (video.owner != null && video.owner === user?.sub) || isAdmin);
  const merged: Video | null = video && playback ? { ...video, status: playback.status } : video;

  if (error && !playback) {
    const notFound = error instanceof ApiError && (error.status === 404 || error.status === 403);
    return (
      <section>
        <h1>{notFound ? "Video not available" : "Could not load the video"}</h1>
        <ErrorNotice error={error} />
        {notFound && authStatus !== "signedIn" && (
          <p>
            If this video is private, <a href={signInHref(watchHref(id))}>sign in</a> to watch it.
          </p>
        )}
      </section>
    );
  }
  if (!playback) return <p className="muted" role="status">Loading…</p>;

  return (
    <section className="watch" aria-labelledby="watch-title">
      {playback.master_url ? (
        <Player
          masterUrl={playback.master_url}
          posterUrl={playback.poster_url}
          thumbnailsUrl={playback.thumbnails_url}
          duration={playback.duration}
          title={title}
          accessToken={accessToken}
          reloadKey={playback.status === "ready" ? "ready" : "partial"}
        />
      ) : (
        <div className="player player-placeholder" data-testid="player-placeholder">
          {playback.poster_url && <img src={playback.poster_url} alt="" />}
          <div className="player-placeholder-text">
            {playback.status === "failed" ? (
              // The owner's panel below gives the reason and a retry; others just learn it will not play.
              <p>{ownsVideo || !playback.error ? "This video could not be processed." : `This video could not be processed: ${playback.error}`}</p>
            ) : (
              <>
                <p>This video is being prepared. It will start playing as soon as the first quality is ready.</p>
                <ProgressBar
                  value={playback.status === "processing" ? (video?.progress ?? playback.progress ?? null) : null}
                  label="Processing"
                  testId="processing-progress"
                />
              </>
            )}
          </div>
        </div>
      )}

      <div className="watch-head">
        <h1 id="watch-title">{title}</h1>
        <StatusBadge status={playback.status} />
      </div>
      {busy && video && <p className="muted small" aria-live="polite">{processingSummary({ ...video, status: playback.status })}</p>}
      {video?.description && <p className="description">{video.description}</p>}
      {playback.renditions?.length > 0 && (
        <p className="muted small">
          Available in{" "}
          {[...playback.renditions]
            .sort((a, b) => b.height - a.height)
            .map((r) => `${r.height}p`)
            .join(", ")}
        </p>
      )}
      {ownsVideo && merged && <OwnerPanel video={merged} onChanged={setVideo} />}
    </section>
  );
}

function OwnerPanel({ video, onChanged }: { video: Video; onChanged: (v: Video) => void }) {
  const [title, setTitle] = useState(video.title);
  const [description, setDescription] = useState(video.description ?? "");
  const [visibility, setVisibility] = useState<Visibility>(video.visibility);
  const [saving, setSaving] = useState(false);
  const [saved, setSaved] = useState(false);
  const [error, setError] = useState<unknown>(null);
  const [confirming, setConfirming] = useState(false);
  const [deleting, setDeleting] = useState(false);
  const [copied, setCopied] = useState(false);

  useEffect(() => {
    setTitle(video.title);
    setDescription(video.description ?? "");
    setVisibility(video.visibility);
  }, [video.id, video.title, video.description, video.visibility]);

  const onSave = async (e: FormEvent) => {
    e.preventDefault();
    setSaving(true);
    setSaved(false);
    setError(null);
    try {
      onChanged(await updateVideo(video.id, { title: title.trim(), description, visibility }));
      setSaved(true);
    } catch (err) {
      setError(err);
    } finally {
      setSaving(false);
    }
  };

  const onDelete = async () => {
    setDeleting(true);
    try {
      await deleteVideo(video.id);
      window.location.hash = "#/";
    } catch (err) {
      setError(err);
      setConfirming(false);
    } finally {
      setDeleting(false);
    }
  };

  const link = shareUrl(video.id);
  const onCopy = async () => {
    try {
      await navigator.clipboard.writeText(link);
    } catch {
      // Clipboard API needs a secure context; selecting the text lets people copy by hand.
      (document.getElementById("share-link") as HTMLInputElement | null)?.select();
    }
    setCopied(true);
    setTimeout(() => setCopied(false), 2000);
  };

  const fieldErrors = error instanceof ApiError ? error.fieldErrors : {};
  const shareable = video.visibility === "public" || video.visibility === "unlisted";

  return (
    <div className="owner-panel">
      {shareable && (
        <div className="share">
          <label htmlFor="share-link">Share link</label>
          <div className="share-row">
            <input id="share-link" type="text" readOnly value={link} data-testid="share-link" onFocus={(e) => e.target.select()} />
            <button type="button" className="btn" onClick={onCopy} data-testid="copy-share-link">
              {copied ? "Copied" : "Copy link"}
            </button>
          </div>
          <span className="visually-hidden" aria-live="polite">
            {copied ? "Link copied" : ""}
          </span>
        </div>
      )}
      {video.status === "failed" && (
        <div className="notice notice-error">
          <p>{video.error ? `Processing failed: ${video.error}` : "Processing failed."}</p>
          {video.retryable !== false && (
            <button type="button" className="btn btn-small" onClick={() => void retryVideo(video.id).then(onChanged, setError)}>
              Retry processing
            </button>
          )}
        </div>
      )}
      <form className="edit-form" onSubmit={onSave} aria-labelledby="edit-heading" data-testid="edit-form">
        <h2 id="edit-heading">Details</h2>
        <Field label="Title" error={fieldErrors.title}>
          <input type="text" required maxLength={200} value={title} onChange={(e) => setTitle(e.target.value)} />
        </Field>
        <Field label="Description" error={fieldErrors.description}>
          <textarea rows={3} value={description} onChange={(e) => setDescription(e.target.value)} />
        </Field>
        <Field label="Visibility" error={fieldErrors.visibility}>
          <select value={visibility} onChange={(e) => setVisibility(e.target.value as Visibility)}>
            {VISIBILITY_OPTIONS.map((o) => (
              <option key={o.value} value={o.value}>
                {o.label}
              </option>
            ))}
          </select>
        </Field>
        <ErrorNotice error={error} hideFields={["title", "description", "visibility"]} />
        <div className="row-actions">
          <button type="submit" className="btn btn-primary" disabled={saving}>
            {saving ? "Saving…" : "Save"}
          </button>
          <span role="status" className="muted small">
            {saved ? "Saved" : ""}
          </span>
          <button type="button" className="btn btn-danger push-right" onClick={() => setConfirming(true)}>
            Delete video
          </button>
        </div>
      </form>
      {confirming && (
        <ConfirmDialog
          title="Delete this video?"
          message={`“${video.title}” and all its renditions will be removed. This cannot be undone.`}
          confirmLabel="Delete"
          busy={deleting}
          onConfirm={() => void onDelete()}
          onCancel={() => setConfirming(false)}
        />
      )}
    </div>
  );
}
