/** The CC menu's model, the remembered choice, and the caption form's checks of languages and files. */
import { describe, expect, it } from "vitest";
import { readyTracksKey } from "../src/captions/CaptionsPanel";
import { canonicalLanguage, captionFileProblem, languageProblem } from "../src/captions/languages";
import {
  CAPTIONS_OFF,
  CAPTIONS_STORAGE_KEY,
  captionEntries,
  initialTrack,
  parseRemembered,
  rememberCaptions,
  rememberedCaptions,
  toggledTrack,
  trackForLanguage,
} from "../src/player/captions";
import { MemoryStorage } from "./memoryStorage";

// As hls.js hands them over from the master playlist's EXT-X-MEDIA lines.
const HLS_TRACKS = [
  { name: "English", lang: "en" },
  { name: "Français", lang: "fr" },
  { name: "Português (Brasil)", lang: "pt-BR" },
];
const entries = captionEntries(HLS_TRACKS);

describe("CC menu entries", () => {
  it("names each track by its label and language, keeping hls.js's indexes", () => {
    expect(entries).toEqual([
      { index: 0, language: "en", label: "English (en)" },
      { index: 1, language: "fr", label: "Français (fr)" },
      { index: 2, language: "pt-BR", label: "Português (Brasil) (pt-BR)" },
    ]);
  });

  it("reads the browser's own text tracks too, and falls back on the language's name or the tag", () => {
    const native = captionEntries([{ label: "", language: "de" }, { label: "", language: "" }, { label: "en", language: "en" }]);
    expect(native[0]).toEqual({ index: 0, language: "de", label: "German (de)" });
    expect(native[1].label).toBe("Track 2");
    expect(native[2].label).toBe("en"); // the label is the tag: said once
  });
});

describe("which track to show", () => {
  it("finds a language by its tag, then by its primary language", () => {
    expect(trackForLanguage(entries, "FR")).toBe(1);
    expect(trackForLanguage(entries, "pt")).toBe(2);
    expect(trackForLanguage(entries, "en-GB")).toBe(0);
    expect(trackForLanguage(entries, "de")).toBe(CAPTIONS_OFF);
    expect(trackForLanguage(entries, null)).toBe(CAPTIONS_OFF);
  });

  it("starts with the remembered language when the video has it, and off otherwise", () => {
    expect(initialTrack(entries, "fr")).toBe(1);
    expect(initialTrack(entries, "de")).toBe(CAPTIONS_OFF);
    expect(initialTrack(entries, "off")).toBe(CAPTIONS_OFF);
    expect(initialTrack(entries, null)).toBe(CAPTIONS_OFF);
  });

  it("C turns captions off, and back on in the remembered language, the reader's, or the first", () => {
    expect(toggledTrack(entries, 1, "fr")).toBe(CAPTIONS_OFF);
    expect(toggledTrack(entries, CAPTIONS_OFF, "fr")).toBe(1);
    expect(toggledTrack(entries, CAPTIONS_OFF, "off", ["pt-PT", "en"])).toBe(2);
    expect(toggledTrack(entries, CAPTIONS_OFF, null, ["ja"])).toBe(0);
    expect(toggledTrack([], CAPTIONS_OFF, "fr")).toBe(CAPTIONS_OFF);
  });
});

describe("remembered choice", () => {
  it("keeps a language, or off, for every video", () => {
    const storage = new MemoryStorage();
    expect(rememberedCaptions(storage)).toBeNull();
    rememberCaptions(storage, "fr");
    expect(storage.getItem(CAPTIONS_STORAGE_KEY)).toBe("fr");
    expect(initialTrack(entries, rememberedCaptions(storage))).toBe(1);
    rememberCaptions(storage, null);
    expect(rememberedCaptions(storage)).toBe("off");
    expect(initialTrack(entries, rememberedCaptions(storage))).toBe(CAPTIONS_OFF);
  });

  it("turned off after French, starts off and C brings French back", () => {
    const storage = new MemoryStorage();
    rememberCaptions(storage, null, "fr");
    expect(parseRemembered(rememberedCaptions(storage))).toEqual({ on: false, language: "fr" });
    expect(initialTrack(entries, rememberedCaptions(storage))).toBe(CAPTIONS_OFF);
    expect(toggledTrack(entries, CAPTIONS_OFF, rememberedCaptions(storage), ["en-GB"])).toBe(1);
    expect(parseRemembered("fr")).toEqual({ on: true, language: "fr" });
    expect(parseRemembered(null)).toEqual({ on: false, language: null });
  });

  it("carries on when storage is blocked", () => {
    const blocked = {
      getItem: () => {
        throw new DOMException("denied", "SecurityError");
      },
      setItem: () => {
        throw new DOMException("denied", "SecurityError");
      },
    };
    expect(rememberedCaptions(blocked)).toBeNull();
    expect(() => rememberCaptions(blocked, "fr")).not.toThrow();
    expect(rememberedCaptions(null)).toBeNull();
  });
});

describe("caption form checks", () => {
  it("takes BCP 47 tags as the server does, in canonical case", () => {
    expect(canonicalLanguage("pt-br")).toBe("pt-BR");
    expect(canonicalLanguage("ZH-hant")).toBe("zh-Hant");
    expect(canonicalLanguage("es-419")).toBe("es-419");
    expect(canonicalLanguage("en_US")).toBeNull();
    expect(canonicalLanguage("x-klingon")).toBeNull();
    expect(canonicalLanguage("english")).toBeNull();
    expect(languageProblem("")).toMatch(/language/);
    expect(languageProblem("french")).toMatch(/not a language tag/);
    expect(languageProblem(" fr ")).toBeNull();
  });

  it("wants a .vtt or .srt file", () => {
    expect(captionFileProblem(null)).toMatch(/Choose/);
    expect(captionFileProblem({ name: "talk.SRT" })).toBeNull();
    expect(captionFileProblem({ name: "talk.vtt" })).toBeNull();
    expect(captionFileProblem({ name: "talk.txt" })).toMatch(/not a caption file/);
  });

  it("reloads the player only when the ready tracks change", () => {
    const track = (id: string, status: "ready" | "pending", updated = "t1") =>
      ({ id, status, updated_at: updated, language: "en", label: "English", kind: "subtitles", generated: false }) as const;
    const before = readyTracksKey([track("a", "ready"), track("b", "pending")]);
    expect(readyTracksKey([track("b", "pending"), track("a", "ready")])).toBe(before);
    expect(readyTracksKey([track("a", "ready"), track("b", "ready")])).not.toBe(before);
    expect(readyTracksKey([track("a", "ready", "t2"), track("b", "pending")])).not.toBe(before);
  });
});
