/** Watch a video (from `?t=` when the link gives it) and share it (a link, at a moment, or embed code); its owner can also edit details, captions and the sites that may embed it, and delete it. */
import { useCallback, useEffect, useRef, useState, type FormEvent } from "react";
import { ApiError } from "../api/client";
import { deleteVideo, getPlayback, getVideo, retryVideo, updateVideo } from "../api/endpoints";
import type { Playback, Rendition, Video, Visibility } from "../api/types";
import { useAuth } from "../auth/AuthContext";
import { CaptionsPanel } from "../captions/CaptionsPanel";
import { playbackWithNewUrl } from "../captions/freshPlayback";
import { ConfirmDialog } from "../components/ConfirmDialog";
import { ErrorNotice } from "../components/ErrorNotice";
import { Field } from "../components/Field";
import { useFocusOnError } from "../components/focusError";
import { FormActions } from "../components/FormActions";
import { ProgressBar } from "../components/ProgressBar";
import { StatusBadge } from "../components/StatusBadge";
import { processingSummary } from "../components/VideoCard";
import { flash } from "../flash";
import { useDocumentTitle, usePoll } from "../hooks";
import { Player } from "../player/Player";
import { playerSource } from "../player/playerSource";
import { navigate, parseStartTime, signInHref, useSearchParam, watchHref } from "../router";
import { VISIBILITY_OPTIONS } from "../components/visibility";
import { TITLE_MAX_LENGTH, titleProblem, useUploadRules } from "../upload/rules";
import { TitleCounter } from "../upload/TitleCounter";
import { EmbedSitesFields, embedOriginsOf, embedSitesChanged, embedSitesError, embedSitesOf } from "../share/EmbedSites";
import { ShareDialog } from "../share/ShareDialog";
import { OriginalFileActions } from "../originals/OriginalFileActions";
import { PasswordField } from "../protection/PasswordField";
import { PasswordGate } from "../protection/PasswordGate";
import { forgetUnlock, needsPassword, unlockFor } from "../protection/unlocks";

/** Visibilities with an embed page (the server's `Video.visible_to(None)`). */
const EMBEDDABLE = ["public", "unlisted"];

/** "1080p, 720p, 360p": the server's rung names (by short side, so portrait videos read as people say them), best first. */
export function renditionNames(renditions: Rendition[]): string {
  const side = (r: Rendition) => Math.min(r.width || r.height, r.height || r.width);
  return [...renditions]
    .sort((a, b) => side(b) - side(a) || b.bandwidth - a.bandwidth)
    .map((r) => r.name)
    .join(", ");
}

export function Watch({ id }: { id: string }) {
  const { status: authStatus, accessToken, user, isAdmin } = useAuth();
  const [playback, setPlayback] = useState<Playback | null>(null);
  const [video, setVideo] = useState<Video | null>(null);
  const [error, setError] = useState<unknown>(null);
  const [sharing, setSharing] = useState(false);
  const position = useRef(0);
  const startAt = parseStartTime(useSearchParam("t"));
  const title = video?.title ?? playback?.title ?? "Video";
  const unavailable = error instanceof ApiError && (error.status === 404 || error.status === 403);
  useDocumentTitle(error && !playback ? (unavailable ? "Video not available" : "Could not load the video") : title);

  const loadPlayback = useCallback(async () => {
    try {
      // A password video this tab unlocked: its token (the owner and admins need none).
      setPlayback(await getPlayback(id, unlockFor(id)));
      setError(null);
    } catch (err) {
      if (needsPassword(err)) forgetUnlock(id); // expired, or the owner set a new password
      setError(err);
    }
  }, [id]);

  const masterUrl = useRef(playback?.master_url);
  masterUrl.current = playback?.master_url;
  // New caption tracks: a new master playlist, at a new URL; the player loads it, keeping its position.
  const reloadTracks = useCallback(async () => {
    const next = await playbackWithNewUrl(id, masterUrl.current);
    if (next) setPlayback(next);
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
  // The gallery's answer (signed in) or the playback info (anyone): a signed-out viewer sees it too.
  const description = video?.description ?? playback?.description;
  // Private videos are only ever shown to their owner (or an admin): anyone else watching may pass the link on.
  const shareable = ownsVideo ? merged?.visibility !== "private" : true;
  // Other sites may show it in a frame: not a private or password video (one this tab unlocked is one), nor one its
  // owner keeps to no site. The list of sites is the owner's to see; anyone else without the gallery's answer
  // watches a public or unlisted one.
  let embeddable: boolean | string[] = true;
  if (unlockFor(id) || (merged && (!EMBEDDABLE.includes(merged.visibility) || merged.embed_origins?.length === 0))) {
    embeddable = false;
  }
  else if (merged && ownsVideo && merged.embed_origins) embeddable = merged.embed_origins;

  if (needsPassword(error) && !playback) {
    return <PasswordGate videoId={id} title={video?.title} onUnlocked={() => void loadPlayback()} />;
  }
  if (error && !playback) {
    return (
      <section>
        <h1>{unavailable ? "Video not available" : "Could not load the video"}</h1>
        <ErrorNotice error={error} />
        {unavailable && authStatus !== "signedIn" && (
          <p>
            If this video is private, <a href={signInHref(watchHref(id))}>sign in</a> to watch it.
          </p>
        )}
      </section>
    );
  }
  if (!playback) return <p className="muted" role="status">Loading…</p>;
  const source = playerSource(playback);

  return (
    <section className="watch" aria-labelledby="watch-title">
      {source ? (
        <Player
          {...source}
          title={title}
          accessToken={accessToken}
          startAt={startAt}
          onTimeChange={(seconds) => (position.current = seconds)}
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
        {ownsVideo && <StatusBadge status={playback.status} />}
      </div>
      {busy && video && <p className="muted small" aria-live="polite">{processingSummary({ ...video, status: playback.status })}</p>}
      {description && <p className="description" data-testid="description">{description}</p>}
      {playback.renditions?.length > 0 && (
        <p className="muted small">
          Available in{" "}
          {renditionNames(playback.renditions)}
        </p>
      )}
      {shareable && playback.status !== "failed" && (
        <div className="watch-share">
          <button type="button" className="btn" onClick={() => setSharing(true)} data-testid="share-button">
            Share
          </button>
        </div>
      )}
      {sharing && (
        <ShareDialog
          videoId={id}
          title={title}
          position={position.current}
          width={merged?.width ?? playback.width}
          height={merged?.height ?? playback.height}
          embeddable={embeddable}
          onClose={() => setSharing(false)}
        />
      )}
      {ownsVideo && merged && <OwnerPanel video={merged} onChanged={setVideo} />}
      {ownsVideo && merged && (
        <OriginalFileActions
          video={merged}
          canReplace={merged.is_owner === true}
          onReplaced={(replaced) => {
            setVideo(replaced);
            void loadPlayback(); // queued: the page follows the new file's processing
          }}
        />
      )}
      {ownsVideo && merged && merged.status !== "awaiting_upload" && (
        <CaptionsPanel video={merged} onReadyTracksChanged={() => void reloadTracks()} />
      )}
    </section>
  );
}

function OwnerPanel({ video, onChanged }: { video: Video; onChanged: (v: Video) => void }) {
  const [title, setTitle] = useState(video.title);
  const [description, setDescription] = useState(video.description ?? "");
  const [visibility, setVisibility] = useState<Visibility>(video.visibility);
  const [password, setPassword] = useState("");
  const [embedSites, setEmbedSites] = useState(() => embedSitesOf(video.embed_origins));
  const [saving, setSaving] = useState(false);
  const [saved, setSaved] = useState(false);
  const [error, setError] = useState<unknown>(null);
  const [confirming, setConfirming] = useState(false);
  const [deleting, setDeleting] = useState(false);
  // An object, so the same problem found again is a new value and focus moves to it again.
  const [titleError, setTitleError] = useState<{ message: string } | null>(null);
  const formRef = useRef<HTMLFormElement>(null);
  useFocusOnError(formRef, titleError ?? error);
  const titleMax = useUploadRules()?.title_max_length ?? TITLE_MAX_LENGTH;

  useEffect(() => {
    setTitle(video.title);
    setDescription(video.description ?? "");
    setVisibility(video.visibility);
    setEmbedSites(embedSitesOf(video.embed_origins));
    // The list by value: the page polls the video while it processes, each answer a new array.
  }, [video.id, video.title, video.description, video.visibility, JSON.stringify(video.embed_origins ?? null)]); // eslint-disable-line react-hooks/exhaustive-deps

  const onSave = async (e: FormEvent) => {
    e.preventDefault();
    setSaved(false);
    setError(null);
    const problem = titleProblem(title, titleMax);
    setTitleError(problem ? { message: problem } : null);
    if (problem) return;
    setSaving(true);
    try {
      const embed = embedSitesChanged(embedSites, video.embed_origins) ? { embed_origins: embedOriginsOf(embedSites) } : {};
      // Only a new password is sent: the server never gives the current one back.
      const secret = visibility === "password" && password ? { password } : {};
      onChanged(await updateVideo(video.id, { title: title.trim(), description, visibility, ...embed, ...secret }));
      setPassword("");
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
      flash(`“${video.title}” was deleted.`);
      navigate("/");
    } catch (err) {
      setError(err);
      setConfirming(false);
    } finally {
      setDeleting(false);
    }
  };

  const fieldErrors = error instanceof ApiError ? error.fieldErrors : {};

  return (
    <div className="owner-panel">
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
      <form className="edit-form" ref={formRef} onSubmit={onSave} noValidate aria-labelledby="edit-heading" data-testid="edit-form">
        <h2 id="edit-heading">Details</h2>
        <Field label="Title" error={titleError?.message ?? fieldErrors.title} hint={<TitleCounter title={title} max={titleMax} />}>
          <input type="text" required value={title} onChange={(e) => (setTitle(e.target.value), setTitleError(null))} />
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
        {visibility === "password" && (
          <PasswordField value={password} onChange={setPassword} error={fieldErrors.password} hasPassword={video.visibility === "password"} />
        )}
        {EMBEDDABLE.includes(visibility) && (
          <EmbedSitesFields sites={embedSites} onChange={setEmbedSites} error={embedSitesError(fieldErrors)} />
        )}
        <ErrorNotice
          error={error}
          hideFields={["title", "description", "visibility", "password", ...Object.keys(fieldErrors).filter((k) => k.startsWith("embed_origins"))]}
        />
        <FormActions label="Save" busyLabel="Saving…" busy={saving} primary>
          <span role="status" className="muted small">
            {saved ? "Saved" : ""}
          </span>
          <button type="button" className="btn btn-danger push-right" onClick={() => setConfirming(true)}>
            Delete video
          </button>
        </FormActions>
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
