/** The playback answer after the caption tracks changed: one whose master playlist URL the browser has not cached. */
import { getPlayback } from "../api/endpoints";
import type { Playback } from "../api/types";

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * The master playlist lists the ready tracks, and the browser keeps each one it fetched for a minute: the player must
 * fetch the new one at a new URL. A playback token (so the URL) changes once a second, so asking again a second later
 * gives one. Null when no new URL came (the player keeps what it has).
 */
export async function playbackWithNewUrl(id: string, before: string | null | undefined, attempts = 3, waitMs = 1000): Promise<Playback | null> {
  for (let attempt = 0; attempt < attempts; attempt++) {
    if (attempt > 0) await sleep(waitMs);
    const next = await getPlayback(id).catch(() => null);
    if (next && next.master_url !== before) return next;
  }
  return null;
}
