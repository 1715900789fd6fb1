/** Loads and parses the storyboard WebVTT for seek-bar previews. */
import { useEffect, useState } from "react";
import { apiUrl } from "../api/client";
import { parseThumbnailVtt, type ThumbnailCue } from "./storyboard";

export function useStoryboard(thumbnailsUrl: string | null | undefined, accessToken: string | null): ThumbnailCue[] {
  const [cues, setCues] = useState<ThumbnailCue[]>([]);
  useEffect(() => {
    setCues([]);
    if (!thumbnailsUrl) return;
    const controller = new AbortController();
    const url = apiUrl(thumbnailsUrl);
    // Signed storage URLs need no header (and CORS would reject one); our own API paths do.
    const sameOrigin = thumbnailsUrl.startsWith("/");
    fetch(url, {
      signal: controller.signal,
      headers: sameOrigin && accessToken ? { Authorization: `Bearer ${accessToken}` } : undefined,
    })
      .then((res) => (res.ok ? res.text() : Promise.reject(new Error(`thumbnails ${res.status}`))))
      .then((text) => setCues(parseThumbnailVtt(text, new URL(url, window.location.href).toString())))
      .catch(() => {
        // Previews are a nicety: without them the seek bar still works.
      });
    return () => controller.abort();
    // The token changes on every refresh; the signed thumbnails need not be reloaded for it.
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [thumbnailsUrl]);
  return cues;
}
