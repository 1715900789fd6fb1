/** The player's caption state: tracks from hls.js (or the browser's own HLS), the one shown, the remembered choice. */
import Hls from "hls.js";
import { useCallback, useRef, useState } from "react";
import {
  CAPTIONS_OFF,
  captionEntries,
  captionTextTracks,
  initialTrack,
  parseRemembered,
  rememberCaptions,
  rememberedCaptions,
  toggledTrack,
  type CaptionEntry,
} from "./captions";

const storage = (): Storage | null => {
  try {
    return window.localStorage;
  } catch {
    return null;
  }
};

export interface Captions {
  entries: CaptionEntry[];
  selected: number;
  /** Shows `index` (CAPTIONS_OFF: none) and remembers its language for every video. */
  choose(index: number): void;
  /** The C key: off, or back on in the remembered language. Returns the entry now shown, or null (off). */
  toggle(): CaptionEntry | null;
  /** Follows this hls.js instance's subtitle tracks; returns the clean-up. */
  attachHls(hls: Hls): () => void;
  /** Follows the browser's own text tracks (Safari's HLS); returns the clean-up. */
  attachNative(video: HTMLVideoElement): () => void;
}

export function useCaptions(): Captions {
  const [entries, setEntries] = useState<CaptionEntry[]>([]);
  const [selected, setSelected] = useState(CAPTIONS_OFF);
  const entriesRef = useRef(entries);
  entriesRef.current = entries;
  const selectedRef = useRef(selected);
  selectedRef.current = selected;
  /** Shows a track, in whichever engine plays the video. */
  const showRef = useRef<(index: number) => void>(() => undefined);
  /** The language on screen now: a reload of the source (a new track was added) keeps it. */
  const showingLanguage = useRef<string | null>(null);

  const show = useCallback((index: number) => {
    showRef.current(index);
    setSelected(index);
    showingLanguage.current = entriesRef.current.find((e) => e.index === index)?.language ?? null;
  }, []);

  const tracksArrived = useCallback(
    (next: CaptionEntry[]) => {
      entriesRef.current = next;
      setEntries(next);
      const remembered = showingLanguage.current ?? rememberedCaptions(storage());
      show(initialTrack(next, remembered));
    },
    [show],
  );

  const choose = useCallback(
    (index: number) => {
      const language = (index: number) => entriesRef.current.find((e) => e.index === index)?.language ?? null;
      // Off keeps the language it was in, for C to bring back.
      const last = language(selectedRef.current) ?? parseRemembered(rememberedCaptions(storage())).language;
      show(index);
      rememberCaptions(storage(), language(index), last);
    },
    [show],
  );

  const toggle = useCallback((): CaptionEntry | null => {
    const list = entriesRef.current;
    const next = toggledTrack(list, selectedRef.current, rememberedCaptions(storage()), navigator.languages ?? []);
    choose(next);
    return list.find((e) => e.index === next) ?? null;
  }, [choose]);

  const attachHls = useCallback(
    (hls: Hls) => {
      showRef.current = (index) => {
        hls.subtitleDisplay = index !== CAPTIONS_OFF;
        hls.subtitleTrack = index;
      };
      // hls.js picks its own track right after announcing the tracks: ours is applied once it has.
      const onTracks = () => void Promise.resolve().then(() => tracksArrived(captionEntries(hls.subtitleTracks)));
      // Someone may pick a track elsewhere (the browser's own menu): the CC menu follows.
      const onSwitch = (_e: unknown, data: { id: number }) => setSelected(data.id);
      hls.on(Hls.Events.SUBTITLE_TRACKS_UPDATED, onTracks);
      hls.on(Hls.Events.SUBTITLE_TRACK_SWITCH, onSwitch);
      return () => {
        hls.off(Hls.Events.SUBTITLE_TRACKS_UPDATED, onTracks);
        hls.off(Hls.Events.SUBTITLE_TRACK_SWITCH, onSwitch);
        showRef.current = () => undefined;
      };
    },
    [tracksArrived],
  );

  const attachNative = useCallback(
    (video: HTMLVideoElement) => {
      showRef.current = (index) => {
        captionTextTracks(video.textTracks).forEach((track, i) => {
          track.mode = i === index ? "showing" : "disabled";
        });
      };
      const onTracks = () => tracksArrived(captionEntries(captionTextTracks(video.textTracks)));
      const list = video.textTracks;
      list?.addEventListener("addtrack", onTracks);
      list?.addEventListener("removetrack", onTracks);
      return () => {
        list?.removeEventListener("addtrack", onTracks);
        list?.removeEventListener("removetrack", onTracks);
        showRef.current = () => undefined;
      };
    },
    [tracksArrived],
  );

  return { entries, selected, choose, toggle, attachHls, attachNative };
}
