// @vitest-environment jsdom
/** UploadTask end to end with real XHR against a loopback API + storage server. */
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { setApiBase, setAuthHooks } from "../src/api/client";
import { UploadTask, type UploadPhase } from "../src/upload/uploadTask";
import { startFakeBackend, type FakeBackend } from "./fakeBackend";

let backend: FakeBackend;

function makeFile(size: number, name = "clip.mp4", type = "video/mp4"): { file: File; bytes: Uint8Array } {
  const bytes = new Uint8Array(size);
  for (let i = 0; i < size; i++) bytes[i] = (i * 31 + (i >> 8)) & 0xff;
  return { file: new File([bytes], name, { type }), bytes };
}

function waitForPhase(task: UploadTask, phases: UploadPhase[], timeoutMs = 10_000): Promise<UploadPhase> {
  return new Promise((resolve, reject) => {
    if (phases.includes(task.state.phase)) return resolve(task.state.phase);
    const timer = setTimeout(() => reject(new Error(`still ${task.state.phase}: ${task.state.error}`)), timeoutMs);
    const off = task.subscribe((s) => {
      if (phases.includes(s.phase)) {
        clearTimeout(timer);
        off();
        resolve(s.phase);
      }
    });
  });
}

const details = { title: "Holiday", description: "", visibility: "unlisted" as const };

afterEach(async () => {
  await backend?.close();
  setApiBase("");
});

describe("multipart upload", () => {
  beforeEach(async () => {
    backend = await startFakeBackend({ partSize: 64 * 1024, multipartThreshold: 100 * 1024 });
    setApiBase(backend.url);
    setAuthHooks(null);
  });

  it("sends parts in parallel (at most 4), retries a failing part, and confirms with every ETag", async () => {
    const { file, bytes } = makeFile(10 * 64 * 1024 + 123); // 11 parts, the last short
    backend.failures.set(3, 2); // two 500s, then success
    const task = new UploadTask(file, details, { baseDelayMs: 5 });
    await task.start();
    expect(task.state.phase).toBe("done");
    expect(task.state.multipart).toBe(true);
    expect(backend.maxConcurrentPuts).toBeGreaterThan(1);
    expect(backend.maxConcurrentPuts).toBeLessThanOrEqual(4);
    expect(backend.putCounts.get(3)).toBe(3);
    expect(backend.confirmed?.parts?.map((p) => p.number)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11]);
    expect(Buffer.compare(backend.confirmed!.body, Buffer.from(bytes))).toBe(0);
    expect(task.state.bytesSent).toBe(file.size);
    expect(task.state.video?.status).toBe("queued");
  });

  it("after a network failure, resumes by asking which parts arrived and sends only the rest", async () => {
    const { file, bytes } = makeFile(6 * 64 * 1024); // 6 parts
    backend.failures.set(5, "drop");
    const task = new UploadTask(file, details, { baseDelayMs: 5, attempts: 2, concurrency: 2 });
    await task.start();
    expect(task.state.phase).toBe("interrupted");
    expect(task.state.error).toMatch(/network/i);
    const sentBefore = new Map(backend.putCounts);

    backend.failures.delete(5);
    await task.resume();
    expect(task.state.phase).toBe("done");
    expect(backend.statusRequests).toBe(1);
    // Parts that had arrived were not sent again.
    for (const [n, count] of sentBefore) {
      if (backend.parts.has(n) && n !== 5) expect(backend.putCounts.get(n)).toBe(count);
    }
    expect(Buffer.compare(backend.confirmed!.body, Buffer.from(bytes))).toBe(0);
  });

  it("after a reload, a new task for the same file carries on the video's upload", async () => {
    const { file, bytes } = makeFile(6 * 64 * 1024);
    backend.failures.set(5, "drop");
    const first = new UploadTask(file, details, { baseDelayMs: 5, attempts: 1, concurrency: 2 });
    await first.start();
    expect(first.state.phase).toBe("interrupted");
    const sentBefore = new Map(backend.putCounts);
    const arrived = backend.parts.size;
    expect(arrived).toBeGreaterThan(0);

    // The page reloads: the old task is gone; the person picks the same file again.
    backend.failures.delete(5);
    const settled: string[] = [];
    const again = new UploadTask(file, { ...details, title: "" }, { baseDelayMs: 5, resumeVideoId: "vid-1", onSettled: (id) => settled.push(id) });
    await again.start();
    expect(again.state.phase).toBe("done");
    expect(again.state.details.title).toBe("Holiday"); // from the video, not the blank form
    expect(backend.created).toBe(1);
    for (const [n, count] of sentBefore) {
      if (n !== 5 && backend.parts.has(n)) expect(backend.putCounts.get(n)).toBe(count);
    }
    expect(Buffer.compare(backend.confirmed!.body, Buffer.from(bytes))).toBe(0);
    expect(settled).toEqual(["vid-1"]);
  });

  it("a resumed upload that was confirmed meanwhile is simply done", async () => {
    const { file } = makeFile(3 * 64 * 1024);
    await new UploadTask(file, details, { baseDelayMs: 5 }).start();
    const puts = [...backend.putCounts.values()].reduce((a, b) => a + b, 0);
    const again = new UploadTask(file, details, { resumeVideoId: "vid-1" });
    await again.start();
    expect(again.state.phase).toBe("done");
    expect([...backend.putCounts.values()].reduce((a, b) => a + b, 0)).toBe(puts);
  });

  it("a resumed upload whose video was deleted starts afresh", async () => {
    const { file, bytes } = makeFile(3 * 64 * 1024);
    const settled: string[] = [];
    const task = new UploadTask(file, details, { baseDelayMs: 5, resumeVideoId: "vid-deleted", onSettled: (id) => settled.push(id) });
    await task.start();
    expect(task.state.phase).toBe("done");
    expect(backend.created).toBe(1);
    expect(settled).toEqual(["vid-deleted", "vid-1"]);
    expect(Buffer.compare(backend.confirmed!.body, Buffer.from(bytes))).toBe(0);
  });

  it("explains a hidden ETag header instead of confirming without it", async () => {
    await backend.close();
    backend = await startFakeBackend({ partSize: 64 * 1024, multipartThreshold: 100 * 1024, hideEtag: true });
    setApiBase(backend.url);
    const task = new UploadTask(makeFile(3 * 64 * 1024).file, details, { baseDelayMs: 5 });
    await task.start();
    expect(task.state.phase).toBe("interrupted");
    expect(task.state.error).toMatch(/ExposeHeaders: ETag/);
    expect(backend.confirmed).toBeNull();
  });

  it("cancel stops the transfer and deletes the half-made video", async () => {
    backend.failures.set(1, "drop");
    const task = new UploadTask(makeFile(4 * 64 * 1024).file, details, { baseDelayMs: 2000, attempts: 5 });
    const running = task.start();
    await waitForPhase(task, ["uploading"]);
    await task.cancel();
    await running;
    expect(task.state.phase).toBe("cancelled");
    expect(backend.deleted).toEqual(["vid-1"]);
    expect(backend.confirmed).toBeNull();
  });
});

describe("single PUT upload", () => {
  beforeEach(async () => {
    backend = await startFakeBackend({ multipartThreshold: 1024 * 1024 });
    setApiBase(backend.url);
    setAuthHooks(null);
  });

  it("PUTs the whole file with the plan's headers and confirms with an empty body", async () => {
    const { file, bytes } = makeFile(50_000, "a.mkv", "");
    const task = new UploadTask(file, details);
    await task.start();
    expect(task.state.phase).toBe("done");
    expect(backend.single?.headers["x-amz-meta-video"]).toBe("vid-1");
    // The browser gave no type for .mkv; the client filled it in from the extension.
    expect(backend.single?.headers["content-type"]).toBe("video/x-matroska");
    expect(Buffer.compare(backend.confirmed!.body, Buffer.from(bytes))).toBe(0);
    expect(backend.confirmed?.parts).toBeUndefined();
  });

  it("shows the API's field errors when the video cannot be created", async () => {
    const task = new UploadTask(makeFile(10).file, { ...details, title: "" });
    // An empty title falls back to the file name, so force the server's 422 with a blank name too.
    Object.defineProperty(task.file, "name", { value: "" });
    await task.start();
    expect(task.state.phase).toBe("failed");
    expect(task.state.fieldErrors.title).toMatch(/Missing data/);
  });
});

describe("replacing a video's file", () => {
  beforeEach(async () => {
    backend = await startFakeBackend({ partSize: 64 * 1024, multipartThreshold: 100 * 1024 });
    setApiBase(backend.url);
    setAuthHooks(null);
  });

  it("sends the file as the video's new original and confirms it through the replace, creating no video", async () => {
    const { file, bytes } = makeFile(3 * 64 * 1024 + 5, "better.mp4");
    const task = new UploadTask(file, details, { baseDelayMs: 5, replaceVideoId: "vid-1" });
    await task.start();
    expect(task.state.phase).toBe("done");
    expect([backend.replaces, backend.created]).toEqual([1, 0]);
    expect(backend.confirmed?.parts?.map((p) => p.number)).toEqual([1, 2, 3, 4]);
    expect(Buffer.compare(backend.confirmed!.body, Buffer.from(bytes))).toBe(0);
    expect(task.state.video?.id).toBe("vid-1");
  });

  it("a cancelled replace gives up the new file, never the video", async () => {
    const { file } = makeFile(6 * 64 * 1024);
    backend.failures.set(2, "drop");
    const task = new UploadTask(file, details, { baseDelayMs: 5, attempts: 1, replaceVideoId: "vid-1" });
    await task.start();
    expect(task.state.phase).toBe("interrupted");
    await task.cancel();
    expect(backend.cancelledReplaces).toEqual(["vid-1"]);
    expect(backend.deleted).toEqual([]);
  });
});
