/** Hash routing (#/watch/abc): the server needs no SPA fallback and deep links always load index.html. */
import { useSyncExternalStore } from "react";

export type Route =
  | { name: "home" }
  | { name: "signin" }
  | { name: "signup" }
  | { name: "upload" }
  | { name: "public" }
  | { name: "admin" }
  | { name: "account" }
  | { name: "forgot" }
  | { name: "reset" }
  | { name: "verify" }
  | { name: "watch"; id: string }
  | { name: "notFound"; path: string };

export function parseRoute(hash: string): Route {
  const path = hash.replace(/^#/, "").replace(/\?.*$/, "") || "/";
  const parts = path.split("/").filter(Boolean);
  if (parts.length === 0) return { name: "home" };
  const [head, arg] = parts;
  if (parts.length === 1) {
    switch (head) {
      case "videos":
        return { name: "home" };
      case "signin":
      case "signup":
      case "upload":
      case "public":
      case "admin":
      case "account":
      case "forgot":
      case "reset":
      case "verify":
        return { name: head };
    }
  }
  if (head === "watch" && arg && parts.length === 2) return { name: "watch", id: decodeURIComponent(arg) };
  return { name: "notFound", path };
}

export function routeHref(route: Route): string {
  switch (route.name) {
    case "home":
      return "#/";
    case "watch":
      return `#/watch/${encodeURIComponent(route.id)}`;
    case "notFound":
      return `#${route.path}`;
    default:
      return `#/${route.name}`;
  }
}

/** A watch page, starting `start` seconds in when given (whole seconds, rounded down: just before the moment). */
export function watchHref(id: string, start?: number | null): string {
  const href = routeHref({ name: "watch", id });
  return start != null && Number.isFinite(start) && start >= 1 ? `${href}?t=${Math.floor(start)}` : href;
}

/** The query of a hash route: "#/public?q=harbour" -> q=harbour. */
export function hashParams(hash: string): URLSearchParams {
  return new URLSearchParams(hash.includes("?") ? hash.slice(hash.indexOf("?") + 1) : "");
}

/** `hash` with `name` set to `value` (removed when empty), the route and other parameters kept. */
export function withHashParam(hash: string, name: string, value: string | null): string {
  const path = hash.replace(/\?.*$/, "") || "#/";
  const params = hashParams(hash);
  if (value && value.trim()) params.set(name, value.trim());
  else params.delete(name);
  const query = params.toString();
  return query ? `${path}?${query}` : path;
}

/**
 * A start position as people write it in a link: "90", "90.5", "90s", "1m30s", "1h2m3s", "1:30" or "1:02:03".
 * Null for anything else (a link with a bad `t` starts at the beginning).
 */
export function parseStartTime(value: string | null | undefined): number | null {
  const text = (value ?? "").trim().toLowerCase();
  if (!text) return null;
  if (/^\d+(\.\d+)?$/.test(text)) return Number(text);
  const units = /^(?:(\d+)h)?(?:(\d+)m)?(?:(\d+(?:\.\d+)?)s)?$/.exec(text);
  if (units && (units[1] || units[2] || units[3])) {
    return Number(units[1] ?? 0) * 3600 + Number(units[2] ?? 0) * 60 + Number(units[3] ?? 0);
  }
  const clock = /^(?:(\d+):)?(\d{1,2}):(\d{2}(?:\.\d+)?)$/.exec(text);
  if (clock && Number(clock[3]) < 60 && (clock[1] === undefined || Number(clock[2]) < 60)) {
    return Number(clock[1] ?? 0) * 3600 + Number(clock[2]) * 60 + Number(clock[3]);
  }
  return null;
}

/** Sign-in that comes back to `returnTo` (a route href such as "#/watch/abc") afterwards. */
export const signInHref = (returnTo: string) => `#/signin?next=${encodeURIComponent(returnTo)}`;

/** The `next` of "#/signin?next=...", when it is one of our own routes; null otherwise. */
export function returnToFromHash(hash: string): string | null {
  const next = hashParams(hash).get("next");
  return next && next.startsWith("#/") && !next.startsWith("#/signin") ? next : null;
}

export function navigate(href: string): void {
  if (window.location.hash !== href) window.location.hash = href;
}

function subscribe(callback: () => void): () => void {
  window.addEventListener("hashchange", callback);
  return () => window.removeEventListener("hashchange", callback);
}

const getHash = () => window.location.hash;

export function useRoute(): Route {
  return parseRoute(useSyncExternalStore(subscribe, getHash, () => ""));
}

/** One parameter of the hash route's query, following the address bar (back, forward, an edited link). */
export function useHashParam(name: string): string | null {
  return hashParams(useSyncExternalStore(subscribe, getHash, () => "")).get(name);
}
