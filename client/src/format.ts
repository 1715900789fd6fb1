/** Human-readable durations, sizes, speeds and estimates. */

/** 75 -> "1:15", 3725 -> "1:02:05"; unknown -> "--:--". */
export function formatDuration(seconds: number | null | undefined): string {
  if (seconds == null || !Number.isFinite(seconds) || seconds < 0) return "--:--";
  const total = Math.floor(seconds);
  const h = Math.floor(total / 3600);
  const m = Math.floor((total % 3600) / 60);
  const s = total % 60;
  const ss = String(s).padStart(2, "0");
  return h > 0 ? `${h}:${String(m).padStart(2, "0")}:${ss}` : `${m}:${ss}`;
}

const UNITS = ["B", "KB", "MB", "GB", "TB"];

/** Decimal units, as disks and network speeds are sold: 1500000 -> "1.5 MB". */
export function formatBytes(bytes: number): string {
  if (!Number.isFinite(bytes) || bytes < 0) return "?";
  let value = bytes;
  let unit = 0;
  while (value >= 1000 && unit < UNITS.length - 1) {
    value /= 1000;
    unit += 1;
  }
  const digits = unit === 0 || value >= 100 ? 0 : value >= 10 ? 1 : 2;
  return `${value.toFixed(digits)} ${UNITS[unit]}`;
}

export function formatSpeed(bytesPerSecond: number | null): string {
  if (bytesPerSecond == null || !Number.isFinite(bytesPerSecond) || bytesPerSecond <= 0) return "–";
  return `${formatBytes(bytesPerSecond)}/s`;
}

/** Time left, rounded the way people read it: "8 s", "3 min 20 s", "1 h 5 min". */
export function formatEta(seconds: number | null): string {
  if (seconds == null || !Number.isFinite(seconds) || seconds < 0) return "–";
  const s = Math.ceil(seconds);
  if (s < 60) return `${s} s`;
  if (s < 3600) {
    const rest = s % 60;
    return rest ? `${Math.floor(s / 60)} min ${rest} s` : `${s / 60} min`;
  }
  const m = Math.round((s % 3600) / 60);
  return m ? `${Math.floor(s / 3600)} h ${m} min` : `${Math.floor(s / 3600)} h`;
}

/** "1080p · 6.2 Mbps"-style label for a rendition or hls.js level. */
export function formatBitrate(bitsPerSecond: number): string {
  if (!bitsPerSecond) return "";
  return bitsPerSecond >= 1_000_000
    ? `${(bitsPerSecond / 1_000_000).toFixed(1)} Mbps`
    : `${Math.round(bitsPerSecond / 1000)} kbps`;
}

// The worker's stage words (videoforge/modules/processor/service.py) in the words people read.
const STAGES: Record<string, string> = {
  downloading: "Fetching the upload",
  probing: "Checking the file",
  transcoding: "Transcoding",
  "transcoding (playable)": "Transcoding · you can watch already",
  artwork: "Making the poster and previews",
};

/** A processing stage for display: known ones reworded, others (free text) with a capital first letter. */
export function stageLabel(stage: string | null | undefined): string {
  const text = (stage ?? "").trim();
  if (!text) return "";
  return STAGES[text.toLowerCase()] ?? text.charAt(0).toUpperCase() + text.slice(1);
}

export function formatDate(iso: string | undefined): string {
  if (!iso) return "";
  const d = new Date(iso);
  return Number.isNaN(d.getTime()) ? "" : d.toLocaleDateString(undefined, { dateStyle: "medium" });
}

/** Title from a file name: "my_trip.final.mp4" -> "my trip.final". */
export function titleFromFilename(name: string): string {
  const base = name.replace(/\.[^.]+$/, "").replace(/[_]+/g, " ").trim();
  return base || name;
}

const VIDEO_TYPES: Record<string, string> = {
  mp4: "video/mp4",
  m4v: "video/x-m4v",
  mov: "video/quicktime",
  mkv: "video/x-matroska",
  webm: "video/webm",
  avi: "video/x-msvideo",
  mpg: "video/mpeg",
  mpeg: "video/mpeg",
  ts: "video/mp2t",
  "3gp": "video/3gpp",
  ogv: "video/ogg",
  wmv: "video/x-ms-wmv",
  flv: "video/x-flv",
};

/** Browsers leave File.type empty for .mkv and others; fall back on the extension. */
export function contentTypeFor(file: { name: string; type: string }): string {
  if (file.type) return file.type;
  const ext = file.name.split(".").pop()?.toLowerCase() ?? "";
  return VIDEO_TYPES[ext] ?? "application/octet-stream";
}
