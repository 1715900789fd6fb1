/** The CC menu's model: its entries from the playlist's subtitle tracks, which one to show, and the remembered choice. */
import { languageLabel } from "../captions/languages";

/** A subtitle track as hls.js (`hls.subtitleTracks`) or the browser (`video.textTracks`) describes it. */
export interface TrackShape {
  name?: string;
  label?: string;
  lang?: string;
  language?: string;
}

export interface CaptionEntry {
  /** The track's index in hls.subtitleTracks (or among the video's caption text tracks). */
  index: number;
  language: string;
  /** What the menu shows: "English (en)". */
  label: string;
}

/** Off, in the menu and in `hls.subtitleTrack`. */
export const CAPTIONS_OFF = -1;
export const CAPTIONS_STORAGE_KEY = "videoforge.captions";
/** Stored when someone turned captions off on purpose (no language tag is spelled so). */
const OFF_WORD = "off";

/** The menu's entries in the playlist's order, each "label (language)" (the label alone when it is the language). */
export function captionEntries(tracks: TrackShape[]): CaptionEntry[] {
  return tracks.map((track, index) => {
    const language = (track.lang ?? track.language ?? "").trim();
    const name = (track.name ?? track.label ?? "").trim() || (language && languageLabel(language)) || `Track ${index + 1}`;
    const label = language && name.toLowerCase() !== language.toLowerCase() ? `${name} (${language})` : name;
    return { index, language, label };
  });
}

/**
 * The entry for `language`: the same tag (case-insensitive), else one of the same primary language ("pt" for
 * "pt-BR" and back). CAPTIONS_OFF when none is.
 */
export function trackForLanguage(entries: CaptionEntry[], language: string | null): number {
  if (!language) return CAPTIONS_OFF;
  const wanted = language.toLowerCase();
  const exact = entries.find((e) => e.language.toLowerCase() === wanted);
  if (exact) return exact.index;
  const primary = wanted.split("-")[0];
  const near = entries.find((e) => e.language.toLowerCase().split("-")[0] === primary);
  return near ? near.index : CAPTIONS_OFF;
}

/**
 * The remembered choice, as stored: a language tag (captions on in that language), "off" (turned off on purpose) or
 * "off:<tag>" (turned off after watching in that language, which C brings back); null when never chosen.
 */
export function rememberedCaptions(storage: Pick<Storage, "getItem"> | null): string | null {
  try {
    return storage?.getItem(CAPTIONS_STORAGE_KEY) || null;
  } catch {
    return null; // storage blocked (private mode, a sandboxed frame)
  }
}

/** What a stored choice says: whether captions are on, and the last language chosen. */
export function parseRemembered(stored: string | null): { on: boolean; language: string | null } {
  if (!stored) return { on: false, language: null };
  if (stored === OFF_WORD) return { on: false, language: null };
  if (stored.startsWith(`${OFF_WORD}:`)) return { on: false, language: stored.slice(OFF_WORD.length + 1) || null };
  return { on: true, language: stored };
}

/** Remembers captions on in `language`, or off (`null`) keeping the `last` language for C to bring back. */
export function rememberCaptions(storage: Pick<Storage, "setItem"> | null, language: string | null, last?: string | null): void {
  try {
    storage?.setItem(CAPTIONS_STORAGE_KEY, language || (last ? `${OFF_WORD}:${last}` : OFF_WORD));
  } catch {
    // Not remembered: the choice still holds for this video.
  }
}

/** What to show when a video's tracks arrive: the remembered language if captions are on and it has it; else off. */
export function initialTrack(entries: CaptionEntry[], stored: string | null): number {
  const { on, language } = parseRemembered(stored);
  return on ? trackForLanguage(entries, language) : CAPTIONS_OFF;
}

/**
 * What the C key switches to: off when a track shows; otherwise the last language chosen, else the reader's own
 * (`preferred`, e.g. navigator.languages), else the first track. CAPTIONS_OFF when there is none.
 */
export function toggledTrack(
  entries: CaptionEntry[],
  current: number,
  stored: string | null,
  preferred: readonly string[] = [],
): number {
  if (current !== CAPTIONS_OFF) return CAPTIONS_OFF;
  if (entries.length === 0) return CAPTIONS_OFF;
  for (const language of [parseRemembered(stored).language, ...preferred]) {
    const index = trackForLanguage(entries, language);
    if (index !== CAPTIONS_OFF) return index;
  }
  return entries[0].index;
}

/** Text tracks the browser plays itself (Safari's HLS) that are captions or subtitles, with their indexes. */
export function captionTextTracks(list: TextTrackList | null | undefined): TextTrack[] {
  if (!list) return [];
  return Array.from({ length: list.length }, (_, i) => list[i]).filter(
    (t) => t.kind === "subtitles" || t.kind === "captions",
  );
}
