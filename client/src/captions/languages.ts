/** Caption languages: the common ones offered in the form, and what makes a tag one the server takes (BCP 47). */

/** Offered in the language field's list (any other BCP 47 tag may be typed). */
export const COMMON_LANGUAGES = [
  "en", "en-GB", "en-US", "fr", "de", "es", "es-419", "it", "pt", "pt-BR", "nl", "sv", "da", "nb", "fi", "pl",
  "cs", "el", "tr", "ru", "uk", "ar", "he", "hi", "bn", "ja", "ko", "zh-Hans", "zh-Hant", "id", "vi", "th",
] as const;

/** "fr" -> "French" (in `locale`, the reader's by default); the tag itself when the browser has no name for it. */
export function languageLabel(tag: string, locale?: string): string {
  try {
    return new Intl.DisplayNames(locale ? [locale] : undefined, { type: "language" }).of(tag) ?? tag;
  } catch {
    return tag;
  }
}

/** The tag as BCP 47 spells it ("pt-br" -> "pt-BR"), or null when it is not a language tag. */
export function canonicalLanguage(tag: string): string | null {
  const text = tag.trim();
  // The server's form (it goes into playlists and URLs): language[-Script][-REGION], no extensions or private use.
  if (!/^[A-Za-z]{2,3}(-[A-Za-z]{4})?(-([A-Za-z]{2}|[0-9]{3}))?$/.test(text)) return null;
  try {
    return Intl.getCanonicalLocales(text)[0] ?? null;
  } catch {
    return null;
  }
}

/** What is wrong with a language field, in people's words; null when it is a tag. */
export function languageProblem(tag: string): string | null {
  if (!tag.trim()) return "Give the captions' language, e.g. en or pt-BR.";
  return canonicalLanguage(tag) ? null : `“${tag.trim()}” is not a language tag: use one such as en, fr, pt-BR or zh-Hant.`;
}

/** Caption files the server converts or takes as they are. */
export const CAPTION_EXTENSIONS = [".vtt", ".srt"];

/** What is wrong with the chosen file, or null. */
export function captionFileProblem(file: { name: string } | null): string | null {
  if (!file) return "Choose a WebVTT (.vtt) or SubRip (.srt) file.";
  const name = file.name.toLowerCase();
  return CAPTION_EXTENSIONS.some((ext) => name.endsWith(ext))
    ? null
    : `“${file.name}” is not a caption file: choose a .vtt or .srt file.`;
}

/** A language's name in itself, capitalised as a menu entry: "fr" -> "Français", "pt-BR" -> "Português (Brasil)". */
export function autonym(tag: string): string {
  const name = languageLabel(tag, tag);
  return name.charAt(0).toLocaleUpperCase(tag) + name.slice(1);
}
