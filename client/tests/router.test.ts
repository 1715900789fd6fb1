/** Hash routes, and where sign-in sends people back to. */
import { describe, expect, it } from "vitest";
import { hashParams, parseRoute, parseStartTime, returnToFromHash, signInHref, watchHref, withHashParam } from "../src/router";

describe("router", () => {
  it("parses routes and ignores the query", () => {
    expect(parseRoute("#/watch/abc%20d")).toEqual({ name: "watch", id: "abc d" });
    expect(parseRoute("#/signin?next=%23%2Fwatch%2Fabc")).toEqual({ name: "signin" });
    expect(parseRoute("")).toEqual({ name: "home" });
    expect(parseRoute("#/nope/x/y")).toEqual({ name: "notFound", path: "/nope/x/y" });
  });

  it("returns from sign-in to our own routes only", () => {
    expect(returnToFromHash(signInHref(watchHref("abc")))).toBe("#/watch/abc");
    expect(returnToFromHash("#/signin")).toBeNull();
    expect(returnToFromHash("#/signin?next=https%3A%2F%2Fevil.example")).toBeNull();
    expect(returnToFromHash("#/signin?next=%23%2Fsignin")).toBeNull();
  });

  it("links to a moment of a video, in whole seconds just before it", () => {
    expect(watchHref("abc", 12.8)).toBe("#/watch/abc?t=12");
    expect(watchHref("abc", 0.4)).toBe("#/watch/abc");
    expect(watchHref("abc", null)).toBe("#/watch/abc");
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
    expect(withHashParam("#/public", "q", "harbour lights")).toBe("#/public?q=harbour+lights");
    expect(hashParams(withHashParam("#/public", "q", "fish & chips")).get("q")).toBe("fish & chips");
    expect(withHashParam("#/public?q=old", "q", "  ")).toBe("#/public");
    expect(withHashParam("", "q", "x")).toBe("#/?q=x");
    expect(withHashParam("#/?q=old&page=2", "q", "new")).toBe("#/?q=new&page=2");
    expect(parseRoute(withHashParam("#/videos", "q", "x"))).toEqual({ name: "home" });
  });
});
