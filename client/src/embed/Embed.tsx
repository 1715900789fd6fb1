/**
 * The embed page: one video's player filling the frame, as anyone with the link sees it (never a signed-in session:
 * a frame on another site acts for no one). `?t=` starts at a moment (seconds, "1m30s" or "1:30"), `?autoplay=1`
 * starts playing (with `&muted=1` browsers allow it everywhere). A title link opens the watch page in a new tab.
 */
import { useCallback, useEffect } from "react";
import { ApiError } from "../api/client";
import { getPlayback } from "../api/endpoints";
import { useLoad } from "../components/useLoad";
import { usePoll } from "../hooks";
import { Player } from "../player/Player";
import { playerSource } from "../player/playerSource";
import { parseStartTime, searchParams, watchHref } from "../router";

export interface EmbedOptions {
  /** The video's id, null when the address names none. */
  id: string | null;
  startAt: number | null;
  autoPlay: boolean;
  muted: boolean;
}

const yes = (value: string | null) => value === "1" || value === "true";

/** What the embed page's address asks for: /embed/<id>?t=1m30s&autoplay=1&muted=1. */
export function embedOptions(pathname: string, search: string): EmbedOptions {
  const match = /^\/embed\/([^/]+)$/.exec(pathname);
  let id: string | null = null;
  try {
    id = match ? decodeURIComponent(match[1]) : null;
  } catch {
    id = null;
  }
  const params = searchParams(search.startsWith("?") ? search : `?${search}`);
  return { id, startAt: parseStartTime(params.get("t")), autoPlay: yes(params.get("autoplay")), muted: yes(params.get("muted")) };
}

export function Embed({ id, startAt, autoPlay, muted }: EmbedOptions) {
  const { data: playback, error, reload: load } = useLoad(
    useCallback(() => (id ? getPlayback(id) : Promise.reject(new ApiError(404, "No such video."))), [id]),
  );
  const preparing = playback != null && !playback.master_url && playback.status !== "failed";
  usePoll(load, 5000, preparing);

  const title = playback?.title ?? "Video";
  useEffect(() => {
    if (playback?.title) document.title = `${playback.title} · VideoForge`;
  }, [playback?.title]);

  if (!playback) {
    const gone = error instanceof ApiError && (error.status === 404 || error.status === 403);
    return (
      <div className="embed-message" role={error ? "alert" : "status"} data-testid="embed-message">
        {error ? (gone ? "This video is not available." : "The video could not be loaded. Try again later.") : "Loading…"}
      </div>
    );
  }
  const watchLink = id ? `${window.location.origin}${watchHref(id, startAt)}` : "/";
  const source = playerSource(playback);
  return (
    <div className="embed" data-testid="embed">
      {source ? (
        <Player {...source} title={title} accessToken={null} startAt={startAt} autoPlay={autoPlay} startMuted={muted} />
      ) : (
        <div className="embed-message" role="status" data-testid="embed-message">
          {playback.status === "failed" ? "This video could not be processed." : "This video is being prepared."}
        </div>
      )}
      <a className="embed-title" href={watchLink} target="_blank" rel="noopener" data-testid="embed-title">
        {title}
      </a>
    </div>
  );
}
