/** The ledger of uploads (and file replacements) begun before a reload: per account and kind, matched by file,
 * forgotten when settled or stale. */
import { describe, expect, it } from "vitest";
import { UnfinishedUploads } from "../src/upload/unfinished";
import { MemoryStorage } from "./memoryStorage";

const file = (name: string, size: number, lastModified = 1_700_000_000_000) => new File([new Uint8Array(size)], name, { lastModified });
const record = (videoId: string, user: string, f: File) => ({
  videoId,
  user,
  name: f.name,
  size: f.size,
  lastModified: f.lastModified,
  title: "Holiday",
});

describe("UnfinishedUploads", () => {
  it("finds an upload by the same file, for the same account only", () => {
    const storage = new MemoryStorage();
    const clip = file("clip.mp4", 10);
    new UnfinishedUploads(storage).remember(record("v1", "alice", clip));
    const ledger = new UnfinishedUploads(storage); // a reload: a new ledger over the same storage
    expect(ledger.find("alice", clip)?.videoId).toBe("v1");
    expect(ledger.find("bob", clip)).toBeUndefined();
    expect(ledger.find("alice", file("clip.mp4", 11))).toBeUndefined(); // another file of that name
    expect(ledger.find("alice", file("clip.mp4", 10, 1))).toBeUndefined(); // same size, other date
    expect(ledger.list("alice").map((r) => r.videoId)).toEqual(["v1"]);
  });

  it("forgets settled uploads, replaces a video's record, and drops day-old ones", () => {
    const storage = new MemoryStorage();
    let now = 1_000_000;
    const ledger = new UnfinishedUploads(storage, () => now);
    ledger.remember(record("v1", "alice", file("a.mp4", 1)));
    ledger.remember(record("v2", "alice", file("b.mp4", 2)));
    ledger.remember({ ...record("v2", "alice", file("b.mp4", 2)), title: "Renamed" });
    expect(ledger.list("alice").map((r) => [r.videoId, r.title])).toEqual([["v1", "Holiday"], ["v2", "Renamed"]]);
    ledger.forget("v1");
    expect(ledger.list("alice").map((r) => r.videoId)).toEqual(["v2"]);
    now += 25 * 3600 * 1000;
    expect(ledger.list("alice")).toEqual([]);
    ledger.forget("v2");
    expect(storage.length).toBe(0);
  });

  it("keeps replacements apart from uploads, one record per video and kind", () => {
    const storage = new MemoryStorage();
    const clip = file("clip.mp4", 10);
    const ledger = new UnfinishedUploads(storage);
    ledger.remember(record("v1", "alice", clip));
    ledger.remember({ ...record("v2", "alice", clip), kind: "replace" });
    ledger.remember({ ...record("v1", "alice", file("new.mp4", 5)), kind: "replace" }); // v1's new file, once it is ready
    const reloaded = new UnfinishedUploads(storage);
    // The Upload page (no kind given) never sees a replacement: its "discard" deletes the video.
    expect(reloaded.list("alice").map((r) => [r.videoId, r.kind])).toEqual([["v1", "upload"]]);
    expect(reloaded.list("alice", "replace").map((r) => [r.videoId, r.name])).toEqual([["v2", "clip.mp4"], ["v1", "new.mp4"]]);
    expect(reloaded.find("alice", clip)?.videoId).toBe("v1");
    expect(reloaded.find("alice", clip, "replace")?.videoId).toBe("v2");
    reloaded.forget("v1", "replace");
    expect(reloaded.list("alice").map((r) => r.videoId)).toEqual(["v1"]); // the upload's record stays
    expect(reloaded.list("alice", "replace").map((r) => r.videoId)).toEqual(["v2"]);
    reloaded.forget("v1");
    expect(reloaded.list("alice")).toEqual([]);
    expect(reloaded.list("alice", "replace").map((r) => r.videoId)).toEqual(["v2"]);
  });

  it("reads records stored before replacements were remembered as uploads, and leaves unknown kinds out", () => {
    const storage = new MemoryStorage();
    const now = Date.now();
    const old = { videoId: "v1", user: "alice", name: "a.mp4", size: 1, lastModified: 2, title: "Old", startedAt: now };
    storage.setItem("videoforge.unfinishedUploads", JSON.stringify([old, { ...old, videoId: "v9", kind: "remix" }]));
    const ledger = new UnfinishedUploads(storage);
    expect(ledger.list("alice")).toEqual([{ ...old, kind: "upload" }]);
    expect(ledger.list("alice", "replace")).toEqual([]);
    expect(ledger.find("alice", file("a.mp4", 1, 2))?.title).toBe("Old");
    ledger.forget("v1");
    expect(storage.length).toBe(0);
  });

  it("treats unreadable storage as empty and works without storage at all", () => {
    const storage = new MemoryStorage();
    storage.setItem("videoforge.unfinishedUploads", "{not json");
    expect(new UnfinishedUploads(storage).list("alice")).toEqual([]);
    const none = new UnfinishedUploads(null);
    none.remember(record("v1", "alice", file("a.mp4", 1)));
    expect(none.list("alice")).toEqual([]);
  });
});
