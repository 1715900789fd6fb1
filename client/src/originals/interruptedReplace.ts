/** A file replacement begun before a reload: whose it is, and whether the server still holds it open for that file. */
import { ApiError } from "../api/client";
import { getReplaceStatus, type UploadStatus } from "../api/endpoints";
import { useAuth } from "../auth/AuthContext";
import type { UnfinishedUpload } from "../upload/unfinished";

/** GET …/replace: the upload's state and the file the open replace declared (null when none is open). */
export interface ReplaceState extends UploadStatus {
  filename?: string | null;
  size?: number | null;
}

/**
 * Whether the replacement `record` remembers can carry on: the server has one open for this video, for that file.
 * False when none is open (confirmed, given up or expired) or it is another file's (started again elsewhere), and
 * when the video is gone; other failures (offline) are thrown, as they say nothing about the replacement.
 */
export async function stillOpen(videoId: string, record: UnfinishedUpload): Promise<boolean> {
  let state: ReplaceState;
  try {
    state = await getReplaceStatus(videoId);
  } catch (err) {
    if (err instanceof ApiError && err.status === 404) return false;
    throw err;
  }
  if (!state.upload) return false;
  // A server without these fields cannot tell another file apart; the sizes of the parts would.
  return (state.filename == null || state.filename === record.name) && (state.size == null || state.size === record.size);
}

/** The signed-in account's id, or "" (nothing is remembered then). The panel is also rendered on its own, outside an
 * AuthProvider, where useAuth throws; useContext still runs on every render, so the hooks' order holds. */
export function useSignedInUser(): string {
  try {
    return useAuth().user?.sub ?? "";
  } catch {
    return "";
  }
}
