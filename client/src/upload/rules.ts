/** The server's upload rules, checked before a form appears: which files, how long a title, in people's words. */
import { useEffect, useState } from "react";
import { apiUrl } from "../api/client";
import { getUploadRules, RULES_PATH } from "../api/endpoints";
import type { UploadRules } from "../api/types";
import { contentTypeFor, formatBytes, titleFromFilename } from "../format";

/** The server's default, used until (or unless) its rules arrive. */
export const TITLE_MAX_LENGTH = 200;

/** Characters as the server counts them (code points: an emoji is one, not two UTF-16 units). */
export function characters(text: string): number {
  return Array.from(text).length;
}

/** A file's default title: its name without the extension, cut to the limit (at a word where one is near). */
export function defaultTitle(fileName: string, max: number = TITLE_MAX_LENGTH): string {
  const title = titleFromFilename(fileName);
  const chars = Array.from(title);
  if (chars.length <= max) return title;
  const cut = chars.slice(0, max).join("");
  const space = cut.lastIndexOf(" ");
  return (space >= max * 0.8 ? cut.slice(0, space) : cut).trimEnd();
}

/** What is wrong with a title the server would refuse, or null. */
export function titleProblem(title: string, max: number = TITLE_MAX_LENGTH): string | null {
  const length = characters(title.trim());
  if (length === 0) return "Give the video a title.";
  if (length > max) {
    const over = length - max;
    return `The title is ${over} character${over === 1 ? "" : "s"} too long: ${max} at most.`;
  }
  return null;
}

/** Why the server would refuse this file, as one sentence; null when it would take it. */
export function fileRefusal(file: { name: string; type: string; size: number }, rules: UploadRules): string | null {
  const dot = file.name.lastIndexOf(".");
  const extension = dot > 0 ? file.name.slice(dot + 1).toLowerCase() : "";
  const accepted = rules.allowed_extensions.map((e) => `.${e}`);
  const list = accepted.length > 1 ? `${accepted.slice(0, -1).join(", ")} or ${accepted[accepted.length - 1]}` : accepted[0];
  if (!rules.allowed_extensions.includes(extension)) {
    return `“${file.name}” is not a video file this site accepts. Choose a file ending in ${list}.`;
  }
  const type = contentTypeFor(file).split(";")[0].trim().toLowerCase();
  if (!rules.allowed_content_types.includes(type)) {
    return `“${file.name}” says it is ${type}, a type this site does not accept. Choose a file ending in ${list}.`;
  }
  if (file.size <= 0) return `“${file.name}” is empty.`;
  if (file.size > rules.upload_max_size) {
    return `“${file.name}” is ${formatBytes(file.size)}; the largest upload is ${formatBytes(rules.upload_max_size)}.`;
  }
  return null;
}

/** By the URL asked (one server in the browser; one per test). */
const loading = new Map<string, Promise<UploadRules | null>>();

/** The server's rules, fetched once per page load; null until they arrive, or if they cannot be had (the server
 * still checks every upload). */
export function useUploadRules(): UploadRules | null {
  const [rules, setRules] = useState<UploadRules | null>(null);
  useEffect(() => {
    let live = true;
    const url = apiUrl(RULES_PATH);
    let rulesLoad = loading.get(url);
    if (!rulesLoad) {
      rulesLoad = getUploadRules().catch(() => {
        loading.delete(url); // try again on the next page that asks
        return null;
      });
      loading.set(url, rulesLoad);
    }
    void rulesLoad.then((r) => live && setRules(r));
    return () => {
      live = false;
    };
  }, []);
  return rules;
}
