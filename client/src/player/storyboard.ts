/** Storyboard thumbnails: parse a WebVTT file whose cues point at sprite regions (`sprite.jpg#xywh=x,y,w,h`). */

export interface ThumbnailCue {
  start: number;
  end: number;
  url: string;
  x: number;
  y: number;
  w: number;
  h: number;
}

/** "01:02:03.500" or "02:03.500" -> seconds; NaN when malformed. */
export function parseTimestamp(text: string): number {
  const m = /^(?:(\d+):)?(\d{1,2}):(\d{2})(?:[.,](\d{1,3}))?$/.exec(text.trim());
  if (!m) return Number.NaN;
  const [, h, min, s, ms] = m;
  return Number(h ?? 0) * 3600 + Number(min) * 60 + Number(s) + (ms ? Number(ms.padEnd(3, "0")) / 1000 : 0);
}

/**
 * Parses cues; the payload URL is resolved against `baseUrl` (for relative sprite paths) and
 * keeps its query string, since signed URLs carry their signature there. A cue without
 * `#xywh=` stands for the whole image, whose size is unknown, so it is skipped.
 */
export function parseThumbnailVtt(text: string, baseUrl?: string): ThumbnailCue[] {
  const lines = text.replace(/^\uFEFF/, "").replace(/\r\n?/g, "\n").split("\n");
  if (!lines[0]?.startsWith("WEBVTT")) throw new Error("thumbnails file is not WebVTT (missing WEBVTT header)");
  const cues: ThumbnailCue[] = [];
  for (let i = 1; i < lines.length; i++) {
    const timing = /^\s*(\S+)\s+-->\s+(\S+)/.exec(lines[i]);
    if (!timing) continue;
    const start = parseTimestamp(timing[1]);
    const end = parseTimestamp(timing[2]);
    const payload = (lines[i + 1] ?? "").trim();
    i += 1;
    const hashAt = payload.lastIndexOf("#xywh=");
    if (Number.isNaN(start) || Number.isNaN(end) || !payload || hashAt < 0) continue;
    const coords = payload.slice(hashAt + 6).split(",").map(Number);
    if (coords.length !== 4 || coords.some((n) => !Number.isFinite(n))) continue;
    let url = payload.slice(0, hashAt);
    try {
      url = new URL(url, baseUrl).toString();
    } catch {
      // Leave relative URLs as they are when there is no base to resolve against.
    }
    const [x, y, w, h] = coords;
    cues.push({ start, end, url, x, y, w, h });
  }
  return cues.sort((a, b) => a.start - b.start);
}

/** The cue covering `time` (binary search; cues sorted by start), or the nearest earlier one. */
export function cueAt(cues: ThumbnailCue[], time: number): ThumbnailCue | null {
  if (cues.length === 0 || !Number.isFinite(time)) return null;
  let lo = 0;
  let hi = cues.length - 1;
  if (time < cues[0].start) return cues[0];
  while (lo < hi) {
    const mid = (lo + hi + 1) >> 1;
    if (cues[mid].start <= time) lo = mid;
    else hi = mid - 1;
  }
  return cues[lo];
}
