/** Unlock tokens of password videos this tab was given, kept until they expire (sessionStorage: never past the tab). */
import { ApiError } from "../api/client";

const key = (videoId: string) => `videoforge.unlock.${videoId}`;

export function rememberUnlock(videoId: string, token: string, expiresIn: number): void {
  try {
    // A little early, so a token is never sent in its last seconds.
    sessionStorage.setItem(key(videoId), JSON.stringify({ token, until: Date.now() + (expiresIn - 30) * 1000 }));
  } catch {
    // Storage refused (private mode, quota): the page keeps working until it is reloaded.
  }
}

/** The token to send with the video's playback info, if this tab unlocked it and it has not expired. */
export function unlockFor(videoId: string): string | undefined {
  try {
    const saved = JSON.parse(sessionStorage.getItem(key(videoId)) ?? "null") as { token?: unknown; until?: unknown } | null;
    if (saved && typeof saved.token === "string" && typeof saved.until === "number" && saved.until > Date.now()) {
      return saved.token;
    }
    sessionStorage.removeItem(key(videoId));
  } catch {
    // Unreadable: as if never unlocked.
  }
  return undefined;
}

export function forgetUnlock(videoId: string): void {
  try {
    sessionStorage.removeItem(key(videoId));
  } catch {
    // Nothing to forget.
  }
}

/** The server's answer for a password video not (or no longer) unlocked: 403 naming the password. */
export function needsPassword(error: unknown): boolean {
  return error instanceof ApiError && error.status === 403 && "password" in error.fieldErrors;
}
