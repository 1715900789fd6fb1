/** History routes, old hash links, links followed in place, and where sign-in sends people back to. */
// @vitest-environment jsdom
import { afterEach, describe, expect, it } from "vitest";
import {
  followLink,
  legacyHref,
  navigate,
  parseRoute,
  parseStartTime,
  redirectLegacyHash,
  returnToFromSearch,
  routeHref,
  ROUTES,
  searchParams,
  signInHref,
  watchHref,
  withSearchParam,
} from "../src/router";

afterEach(() => window.history.replaceState(null, "", "/"));

describe("router", () => {
  it("parses paths and ignores the query and fragment", () => {
    expect(parseRoute("/watch/abc%20d")).toEqual({ name: "watch", id: "abc d" });
    expect(parseRoute("/signin?next=%2Fwatch%2Fabc")).toEqual({ name: "signin" });
    expect(parseRoute("/reset#token=x")).toEqual({ name: "reset" });
    expect(parseRoute("/")).toEqual({ name: "home" });
    expect(parseRoute("")).toEqual({ name: "home" });
    expect(parseRoute("/videos")).toEqual({ name: "home" });
    expect(parseRoute("/nope/x/y")).toEqual({ name: "notFound", path: "/nope/x/y" });
    expect(parseRoute("/upload/")).toEqual({ name: "notFound", path: "/upload/" });
    expect(parseRoute("/watch/%E0%A4%A")).toEqual({ name: "notFound", path: "/watch/%E0%A4%A" });
  });

  it("gives each route one path, which parses back to it", () => {
    for (const [name, pattern] of ROUTES) {
      const route = parseRoute(pattern.replace(":id", "v1"));
      expect(route.name).toBe(name);
      expect(parseRoute(routeHref(route))).toEqual(route);
    }
    expect(routeHref({ name: "watch", id: "a/b?c" })).toBe("/watch/a%2Fb%3Fc");
    expect(routeHref({ name: "home" })).toBe("/");
  });

  it("moves old hash links to their path, with a mailed token in the fragment", () => {
    expect(legacyHref("#/watch/abc?t=90")).toBe("/watch/abc?t=90");
    expect(legacyHref("#/")).toBe("/");
    expect(legacyHref("#/public?q=fish+%26+chips")).toBe("/public?q=fish+%26+chips");
    expect(legacyHref("#/reset?token=Ab_c-1%2B")).toBe("/reset#token=Ab_c-1%2B");
    expect(legacyHref("#main")).toBeNull();
    expect(legacyHref("")).toBeNull();
    window.history.replaceState(null, "", "/#/watch/abc?t=5");
    expect(redirectLegacyHash()).toBe(true);
    expect(window.location.pathname + window.location.search + window.location.hash).toBe("/watch/abc?t=5");
    expect(redirectLegacyHash()).toBe(false);
  });

  it("returns from sign-in to our own pages only", () => {
    expect(returnToFromSearch(signInHref(watchHref("abc")).slice("/signin".length))).toBe("/watch/abc");
    expect(returnToFromSearch("?next=%2Fpublic%3Fq%3Dx")).toBe("/public?q=x");
    expect(returnToFromSearch("?next=%23%2Fwatch%2Fabc")).toBe("/watch/abc"); // an old hash link
    for (const bad of ["", "?next=https%3A%2F%2Fevil.example", "?next=%2F%2Fevil.example", "?next=%2F%5Cevil.example",
                       "?next=%2Fsignin", "?next=%2Fno%2Fsuch", "?next=javascript%3Aalert(1)"]) {
      expect(returnToFromSearch(bad), bad).toBeNull();
    }
  });

  it("links to a moment of a video, in whole seconds just before it", () => {
    expect(watchHref("abc", 12.8)).toBe("/watch/abc?t=12");
    expect(watchHref("abc", 0.4)).toBe("/watch/abc");
    expect(watchHref("abc", null)).toBe("/watch/abc");
    expect(parseRoute(watchHref("abc", 90))).toEqual({ name: "watch", id: "abc" });
  });

  it("reads a start time as people write it", () => {
    expect(parseStartTime("90")).toBe(90);
    expect(parseStartTime("12.5")).toBe(12.5);
    expect(parseStartTime("90s")).toBe(90);
    expect(parseStartTime("1m30s")).toBe(90);
    expect(parseStartTime("1m")).toBe(60);
    expect(parseStartTime("1h2m3s")).toBe(3723);
    expect(parseStartTime("1H30S")).toBe(3630);
    expect(parseStartTime("1:30")).toBe(90);
    expect(parseStartTime("1:02:03")).toBe(3723);
    for (const bad of [null, "", "abc", "-5", "1:75", "1m30", "m", "1:2", "Infinity"]) {
      expect(parseStartTime(bad), String(bad)).toBeNull();
    }
  });

  it("keeps a search in the address, so it can be shared and gone back to", () => {
    expect(withSearchParam("/public", "q", "harbour lights")).toBe("/public?q=harbour+lights");
    expect(searchParams(withSearchParam("/public", "q", "fish & chips")).get("q")).toBe("fish & chips");
    expect(withSearchParam("/public?q=old", "q", "  ")).toBe("/public");
    expect(withSearchParam("", "q", "x")).toBe("/?q=x");
    expect(withSearchParam("/?q=old&page=2", "q", "new")).toBe("/?q=new&page=2");
    expect(parseRoute(withSearchParam("/videos", "q", "x"))).toEqual({ name: "home" });
  });

  it("goes to a page in place, pushing history or replacing it", () => {
    const before = window.history.length;
    navigate("/public?q=x");
    expect(window.location.pathname + window.location.search).toBe("/public?q=x");
    expect(window.history.length).toBe(before + 1);
    navigate("/upload", { replace: true });
    expect(window.location.pathname).toBe("/upload");
    expect(window.history.length).toBe(before + 1);
    navigate("#/watch/abc"); // an old link handed to navigate still lands on its path
    expect(window.location.pathname).toBe("/watch/abc");
  });

  it("follows clicks on links to its own pages in place, and leaves every other click to the browser", () => {
    document.body.innerHTML = `
      <a id="page" href="/public?q=boats">page</a>
      <a id="old" href="#/upload">old</a>
      <a id="docs" href="/api/docs">docs</a>
      <a id="away" href="https://elsewhere.example/watch/x">away</a>
      <a id="tab" href="/public" target="_blank">tab</a>
      <a id="skip" href="#main">skip</a>`;
    let followed = false;
    // After followLink has had its say: note it, and keep jsdom from trying to load another document.
    const settle = (event: MouseEvent) => {
      followed = event.defaultPrevented;
      event.preventDefault();
    };
    document.addEventListener("click", followLink);
    window.addEventListener("click", settle);
    try {
      const click = (id: string, init: MouseEventInit = {}) => {
        document.getElementById(id)!.dispatchEvent(new MouseEvent("click", { bubbles: true, cancelable: true, button: 0, ...init }));
        return followed;
      };
      expect(click("page")).toBe(true);
      expect(window.location.pathname + window.location.search).toBe("/public?q=boats");
      expect(click("old")).toBe(true);
      expect(window.location.pathname).toBe("/upload");
      expect(click("page", { ctrlKey: true })).toBe(false); // a new tab is the browser's
      for (const id of ["docs", "away", "tab", "skip"]) expect(click(id), id).toBe(false);
    } finally {
      document.removeEventListener("click", followLink);
      window.removeEventListener("click", settle);
    }
  });
});
