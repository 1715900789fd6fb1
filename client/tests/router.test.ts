/** Hash routes, and where sign-in sends people back to. */
import { describe, expect, it } from "vitest";
import { parseRoute, returnToFromHash, signInHref, watchHref } from "../src/router";

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
});
