// @vitest-environment jsdom
/** What each hls.js request carries: the bearer token only to our API, cookies only to a signed-cookie CDN. */
import { describe, expect, it } from "vitest";
import { prepareRequest } from "../src/player/Player";

function fakeXhr() {
  const headers: Record<string, string> = {};
  return {
    headers,
    withCredentials: false,
    setRequestHeader(name: string, value: string) {
      headers[name] = value;
    },
  };
}

const api = `${window.location.origin}/api/streaming/videos/v/master.m3u8?token=t`;
const cdn = "https://media.example.com/processed/v/t1/360p/seg_00001.m4s";

describe("prepareRequest", () => {
  it("sends the bearer token to our own API only", () => {
    const own = fakeXhr();
    prepareRequest(own, api, "jwt", false);
    expect(own.headers).toEqual({ Authorization: "Bearer jwt" });
    const media = fakeXhr();
    prepareRequest(media, cdn, "jwt", true);
    expect(media.headers).toEqual({});
  });

  it("asks for cookies on media requests only when the server grants access with them", () => {
    const signedUrls = fakeXhr();
    prepareRequest(signedUrls, cdn, "jwt", false);
    expect(signedUrls.withCredentials).toBe(false);
    const signedCookies = fakeXhr();
    prepareRequest(signedCookies, cdn, null, true);
    expect(signedCookies.withCredentials).toBe(true);
    const ownApi = fakeXhr();
    prepareRequest(ownApi, api, null, true);
    expect(ownApi.withCredentials).toBe(false);
  });
});
