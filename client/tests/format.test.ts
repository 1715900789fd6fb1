/** Formatting helpers. */
import { describe, expect, it } from "vitest";
import { contentTypeFor, formatBitrate, formatBytes, formatDuration, formatEta, formatSpeed, stageLabel, titleFromFilename } from "../src/format";

describe("format", () => {
  it("durations", () => {
    expect(formatDuration(0)).toBe("0:00");
    expect(formatDuration(75.9)).toBe("1:15");
    expect(formatDuration(3725)).toBe("1:02:05");
    expect(formatDuration(null)).toBe("--:--");
    expect(formatDuration(Infinity)).toBe("--:--");
  });

  it("processing stages", () => {
    expect(stageLabel("probing")).toBe("Checking the file");
    expect(stageLabel("transcoding")).toBe("Transcoding");
    expect(stageLabel("retrying (attempt 2 of 5)")).toBe("Retrying (attempt 2 of 5)");
    expect(stageLabel("720p")).toBe("720p");
    expect(stageLabel(null)).toBe("");
  });

  it("sizes and speeds", () => {
    expect(formatBytes(999)).toBe("999 B");
    expect(formatBytes(1500)).toBe("1.50 KB");
    expect(formatBytes(52_400_000)).toBe("52.4 MB");
    expect(formatBytes(3_210_000_000)).toBe("3.21 GB");
    expect(formatSpeed(4_500_000)).toBe("4.50 MB/s");
    expect(formatSpeed(null)).toBe("–");
  });

  it("time left", () => {
    expect(formatEta(7.2)).toBe("8 s");
    expect(formatEta(200)).toBe("3 min 20 s");
    expect(formatEta(120)).toBe("2 min");
    expect(formatEta(3900)).toBe("1 h 5 min");
    expect(formatEta(null)).toBe("–");
  });

  it("bitrates", () => {
    expect(formatBitrate(6_200_000)).toBe("6.2 Mbps");
    expect(formatBitrate(800_000)).toBe("800 kbps");
  });

  it("titles and content types from file names", () => {
    expect(titleFromFilename("my_trip.final.mp4")).toBe("my trip.final");
    expect(contentTypeFor({ name: "a.MKV", type: "" })).toBe("video/x-matroska");
    expect(contentTypeFor({ name: "a.mov", type: "video/quicktime" })).toBe("video/quicktime");
    expect(contentTypeFor({ name: "noext", type: "" })).toBe("application/octet-stream");
  });
});
