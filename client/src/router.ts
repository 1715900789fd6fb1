/**
 * History routing (/watch/abc): real addresses, so a shared link reaches the server, which answers the app for each
 * page in ROUTES (videoforge/modules/web/pages.py lists the same paths) and a link preview for a watch page. Old hash
 * links (/#/watch/abc) are moved to their path when the page loads.
 */
import { useSyncExternalStore } from "react";

export type Route =
  | { name: "home" }
  | { name: "signin" }
  | { name: "signup" }
  | { name: "upload" }
  | { name: "public" }
  | { name: "admin" }
  | { name: "account" }
  | { name: "webhooks" }
  | { name: "forgot" }
  | { name: "reset" }
  | { name: "verify" }
  | { name: "watch"; id: string }
  | { name: "notFound"; path: string };

type PageName = Exclude<Route["name"], "notFound">;

/**
 * Every page's path, first the one links use; `:id` is one path segment. A page added here is added to
 * videoforge/modules/web/pages.py too, or reloading it answers 404 (tests/modules/web/test_pages.py compares them).
 */
export const ROUTES: ReadonlyArray<readonly [PageName, string]> = [
  ["home", "/"],
  ["home", "/videos"],
  ["upload", "/upload"],
  ["public", "/public"],
  ["admin", "/admin"],
  ["account", "/account"],
  ["webhooks", "/webhooks"],
  ["signin", "/signin"],
  ["signup", "/signup"],
  ["forgot", "/forgot"],
  ["reset", "/reset"],
  ["verify", "/verify"],
  ["watch", "/watch/:id"],
];

const NAVIGATED = "videoforge:navigate";

function segments(path: string): string[] {
  return path.split("/").filter(Boolean);
}

function decode(segment: string): string | null {
  try {
    return decodeURIComponent(segment);
  } catch {
    return null;
  }
}

/** The route of a path ("/watch/abc"; a query or fragment after it is ignored). */
export function parseRoute(href: string): Route {
  const path = href.replace(/[?#].*$/, "") || "/";
  const parts = segments(path);
  if (!(path.endsWith("/") && parts.length > 0)) {
    for (const [name, pattern] of ROUTES) {
      const expected = segments(pattern);
      if (expected.length !== parts.length) continue;
      const params: Record<string, string> = {};
      const matches = expected.every((want, i) => {
        if (!want.startsWith(":")) return want === parts[i];
        const value = decode(parts[i]);
        if (value === null) return false;
        params[want.slice(1)] = value;
        return true;
      });
      if (matches) return (name === "watch" ? { name, id: params.id } : { name }) as Route;
    }
  }
  return { name: "notFound", path };
}

/** The path of a route, for links. */
export function routeHref(route: Route): string {
  if (route.name === "notFound") return route.path;
  const pattern = ROUTES.find(([name]) => name === route.name)![1];
  return pattern.replace(":id", () => encodeURIComponent("id" in route ? route.id : ""));
}

/** A watch page, starting `start` seconds in when given (whole seconds, rounded down: just before the moment). */
export function watchHref(id: string, start?: number | null): string {
  const href = routeHref({ name: "watch", id });
  return start != null && Number.isFinite(start) && start >= 1 ? `${href}?t=${Math.floor(start)}` : href;
}

/** The query of an address or href: "/public?q=harbour" -> q=harbour. */
export function searchParams(href: string): URLSearchParams {
  const query = href.replace(/#.*$/, "");
  return new URLSearchParams(query.includes("?") ? query.slice(query.indexOf("?") + 1) : "");
}

/** `href` (a path and query) with `name` set to `value` (removed when empty), the path and other parameters kept. */
export function withSearchParam(href: string, name: string, value: string | null): string {
  const path = href.replace(/[?#].*$/, "") || "/";
  const params = searchParams(href);
  if (value && value.trim()) params.set(name, value.trim());
  else params.delete(name);
  const query = params.toString();
  return query ? `${path}?${query}` : path;
}

/**
 * The history address of an old hash link ("#/watch/abc?t=5" -> "/watch/abc?t=5"), null when `hash` is not one. A
 * mailed link's token moves into the fragment ("#/reset?token=x" -> "/reset#token=x"), where it never reaches a
 * server's logs.
 */
export function legacyHref(hash: string): string | null {
  if (!hash.startsWith("#/")) return null;
  const inner = hash.slice(1);
  const params = searchParams(inner);
  const token = params.get("token");
  params.delete("token");
  const path = inner.replace(/\?.*$/, "") || "/";
  const query = params.toString();
  return `${path}${query ? `?${query}` : ""}${token ? `#token=${encodeURIComponent(token)}` : ""}`;
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

/** Sign-in that comes back to `returnTo` (a page's path, such as "/watch/abc") afterwards. */
export const signInHref = (returnTo: string) => `/signin?next=${encodeURIComponent(returnTo)}`;

/**
 * Where a sign-in goes back to: the `next` of "/signin?next=...", when it is one of our own pages (never another
 * site: "//evil.example" and "/\evil.example" are other sites to a browser), else null. `search` is the address's
 * query (location.search). An old "#/watch/abc" is understood.
 */
export function returnToFromSearch(search: string): string | null {
  const next = searchParams(search.startsWith("?") ? search : `?${search}`).get("next");
  return next ? ownPage(next) : null;
}

/** `href` when it is a page of this app other than sign-in (a path, or an old "#/" link made one), else null. */
export function ownPage(href: string): string | null {
  const path = legacyHref(href) ?? href;
  if (!path.startsWith("/") || path.startsWith("//") || path.includes("\\")) return null;
  const route = parseRoute(path);
  return route.name === "notFound" || route.name === "signin" ? null : path;
}

/** The address now: path, query and fragment. */
export const currentHref = () => window.location.pathname + window.location.search + window.location.hash;

/** Go to `href` (a path with its query, or an old "#/" link) without reloading; `replace` keeps history as it is. */
export function navigate(href: string, { replace = false }: { replace?: boolean } = {}): void {
  const target = legacyHref(href) ?? href;
  if (target !== currentHref()) {
    if (replace) window.history.replaceState(null, "", target);
    else window.history.pushState(null, "", target);
  }
  window.dispatchEvent(new Event(NAVIGATED));
}

/** An old hash link in the address bar ("/#/watch/abc") becomes its path, in place; true when it was one. */
export function redirectLegacyHash(): boolean {
  const target = legacyHref(window.location.hash);
  if (target === null) return false;
  window.history.replaceState(null, "", target);
  return true;
}

/**
 * Clicks on links to our own pages change the page without reloading (document-level, so every <a href="/...">
 * works as is). A click with a modifier key, on a link with a target or a download, to another site or to a
 * path that is not a page (/api/docs) is the browser's, as is a link to a fragment of this page ("#main").
 */
export function followLink(event: MouseEvent): void {
  if (event.defaultPrevented || event.button !== 0 || event.metaKey || event.ctrlKey || event.shiftKey || event.altKey) {
    return;
  }
  const anchor = (event.target as Element | null)?.closest?.("a");
  if (!anchor || !anchor.hasAttribute("href") || anchor.hasAttribute("download")) return;
  if (anchor.target && anchor.target !== "_self") return;
  const url = new URL(anchor.href, window.location.href);
  if (url.origin !== window.location.origin) return;
  const hashRoute = url.hash.startsWith("#/");
  if (!hashRoute && url.pathname === window.location.pathname && url.search === window.location.search && url.hash) {
    return;
  }
  if (!hashRoute && parseRoute(url.pathname).name === "notFound") return;
  event.preventDefault();
  navigate(hashRoute ? url.hash : url.pathname + url.search + url.hash);
}

function subscribe(callback: () => void): () => void {
  const onHash = () => {
    // Someone followed an old "#/..." link inside the page: move it to its path too.
    if (redirectLegacyHash()) callback();
  };
  window.addEventListener("popstate", callback);
  window.addEventListener(NAVIGATED, callback);
  window.addEventListener("hashchange", onHash);
  return () => {
    window.removeEventListener("popstate", callback);
    window.removeEventListener(NAVIGATED, callback);
    window.removeEventListener("hashchange", onHash);
  };
}

const getPath = () => window.location.pathname;
const getSearch = () => window.location.search;

export function useRoute(): Route {
  return parseRoute(useSyncExternalStore(subscribe, getPath, () => "/"));
}

/** One parameter of the address's query, following the address bar (back, forward, an edited link). */
export function useSearchParam(name: string): string | null {
  return searchParams(useSyncExternalStore(subscribe, getSearch, () => "")).get(name);
}

/** @deprecated The query is in the address now, not the hash: use useSearchParam. */
export const useHashParam = useSearchParam;
