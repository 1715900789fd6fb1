/** What the player plays from a video's playback info, the same on the watch page and the embed page. */
import type { Playback } from "../api/types";
import type { PlayerProps } from "./Player";

export type PlayerSource = Pick<
  PlayerProps,
  "masterUrl" | "posterUrl" | "thumbnailsUrl" | "duration" | "reloadKey" | "mediaCredentials"
>;

/** The player's source, or null while the video has no master playlist yet (queued, or failed). */
export function playerSource(playback: Playback): PlayerSource | null {
  if (!playback.master_url) return null;
  return {
    masterUrl: playback.master_url,
    posterUrl: playback.poster_url,
    thumbnailsUrl: playback.thumbnails_url,
    duration: playback.duration,
    // Playing while it is still processing: once it is ready the player loads the master playlist again, complete.
    reloadKey: playback.status === "ready" ? "ready" : "partial",
    mediaCredentials: playback.media_credentials ?? false,
  };
}
