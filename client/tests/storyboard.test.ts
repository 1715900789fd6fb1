/** Storyboard WebVTT parsing and cue lookup. */
import { describe, expect, it } from "vitest";
import { cueAt, parseThumbnailVtt, parseTimestamp } from "../src/player/storyboard";

const VTT = `WEBVTT

1
00:00:00.000 --> 00:00:05.000
https://bucket.example/processed/v1/storyboard.jpg?X-Amz-Signature=abc&X-Amz-Expires=300#xywh=0,0,160,90

2
00:00:05.000 --> 00:00:10.000
https://bucket.example/processed/v1/storyboard.jpg?X-Amz-Signature=abc&X-Amz-Expires=300#xywh=160,0,160,90

00:01:00.500 --> 01:00:00.000
sprite.jpg#xywh=0,90,160,90
`;

describe("storyboard", () => {
  it("parses timestamps with and without hours", () => {
    expect(parseTimestamp("00:00:05.000")).toBe(5);
    expect(parseTimestamp("01:02.5")).toBe(62.5);
    expect(parseTimestamp("1:00:00.250")).toBe(3600.25);
    expect(parseTimestamp("nonsense")).toBeNaN();
  });

  it("parses cues, keeps signed query strings and resolves relative sprites", () => {
    const cues = parseThumbnailVtt(VTT, "https://api.example/api/streaming/videos/v1/thumbnails.vtt");
    expect(cues).toHaveLength(3);
    expect(cues[1]).toEqual({
      start: 5,
      end: 10,
      url: "https://bucket.example/processed/v1/storyboard.jpg?X-Amz-Signature=abc&X-Amz-Expires=300",
      x: 160,
      y: 0,
      w: 160,
      h: 90,
    });
    expect(cues[2].url).toBe("https://api.example/api/streaming/videos/v1/sprite.jpg");
    expect(cues[2].start).toBe(60.5);
  });

  it("handles CRLF and a BOM, skips cues without coordinates", () => {
    const text = "\uFEFFWEBVTT\r\n\r\n00:00.000 --> 00:02.000\r\nwhole.jpg\r\n\r\n00:02.000 --> 00:04.000\r\ns.jpg#xywh=1,2,3,4\r\n";
    const cues = parseThumbnailVtt(text, "https://x.example/");
    expect(cues).toHaveLength(1);
    expect(cues[0]).toMatchObject({ x: 1, y: 2, w: 3, h: 4, start: 2 });
  });

  it("rejects a file that is not WebVTT", () => {
    expect(() => parseThumbnailVtt("<html>", "https://x.example/")).toThrow(/WEBVTT/);
  });

  it("finds the cue for a time", () => {
    const cues = parseThumbnailVtt(VTT, "https://x.example/");
    expect(cueAt(cues, 0)?.x).toBe(0);
    expect(cueAt(cues, 7.3)?.x).toBe(160);
    expect(cueAt(cues, 5)?.x).toBe(160);
    expect(cueAt(cues, 3000)?.y).toBe(90);
    expect(cueAt([], 3)).toBeNull();
  });
});
