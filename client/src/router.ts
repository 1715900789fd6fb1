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

export const watchHref = (id: string) => routeHref({ name: "watch", id });

/** Sign-in that comes back to `returnTo` (a route href such as "#/watch/abc") afterwards. */
export const signInHref = (returnTo: string) => `#/signin?next=${encodeURIComponent(returnTo)}`;

/** The `next` of "#/signin?next=...", when it is one of our own routes; null otherwise. */
export function returnToFromHash(hash: string): string | null {
  const query = hash.includes("?") ? hash.slice(hash.indexOf("?") + 1) : "";
  const next = new URLSearchParams(query).get("next");
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
