/** What the share dialog hands out: a watch link (optionally at a moment), the embed page's URL and its embed code. */
import { routeHref } from "../router";

/** The default embed's box: the player fits inside it, keeping the video's shape (the server's oEmbed default). */
export const EMBED_BOX = 640;

/** A start position as links write it: 90 -> "1m30s", 3605 -> "1h5s", 7 -> "7s" (whole seconds, rounded down). */
export function formatStartTime(seconds: number): string {
  const total = Math.max(0, Math.floor(seconds));
  const h = Math.floor(total / 3600);
  const m = Math.floor((total % 3600) / 60);
  const s = total % 60;
  const text = `${h ? `${h}h` : ""}${m ? `${m}m` : ""}${s ? `${s}s` : ""}`;
  return text || "0s";
}

/** `?t=1m30s` for a start of at least a second, else nothing (a link to the beginning has no `t`). */
function startQuery(start: number | null | undefined): string {
  return start != null && Number.isFinite(start) && start >= 1 ? `?t=${formatStartTime(start)}` : "";
}

/** The absolute watch link of a video, at `start` seconds when given. */
export function watchLink(origin: string, id: string, start?: number | null): string {
  return `${origin}${routeHref({ name: "watch", id })}${startQuery(start)}`;
}

/** The absolute URL of a video's embed page (the player alone), at `start` seconds when given. */
export function embedLink(origin: string, id: string, start?: number | null): string {
  return `${origin}/embed/${encodeURIComponent(id)}${startQuery(start)}`;
}

/** The player's size for an embed: the video's shape inside an EMBED_BOX square, 16:9 until it is known. */
export function embedSize(width?: number | null, height?: number | null): { width: number; height: number } {
  const w = width && height ? width : 16;
  const h = width && height ? height : 9;
  const scale = Math.min(EMBED_BOX / w, EMBED_BOX / h);
  return { width: Math.min(EMBED_BOX, Math.floor(w * scale + 0.5)), height: Math.min(EMBED_BOX, Math.floor(h * scale + 0.5)) };
}

const ESCAPES: Record<string, string> = { "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#x27;" };

/** Text made safe inside a double-quoted HTML attribute (titles are whatever an uploader typed). */
export function escapeAttribute(text: string): string {
  return text.replace(/[&<>"']/g, (c) => ESCAPES[c]);
}

/** The embed code: the same markup the server's oEmbed answers (videoforge/modules/web/oembed.py, `iframe`). */
export function embedCode(src: string, title: string, size: { width: number; height: number }): string {
  return (
    `<iframe src="${escapeAttribute(src)}" width="${size.width}" height="${size.height}" ` +
    `title="${escapeAttribute(title)}" frameborder="0" ` +
    `allow="autoplay; fullscreen; picture-in-picture" allowfullscreen></iframe>`
  );
}
