// @vitest-environment jsdom
/** Replacing a video's file carries on after a reload: the owner's panel remembers the replacement in localStorage,
 * a new page offers to carry it on with the same file (another is refused), sends only the parts storage lacks and
 * confirms; "Cancel replacement" gives it up, and a replacement the server no longer holds is forgotten silently. */
import { configure, fireEvent, render, screen, waitFor } from "@testing-library/react";
import { afterEach, describe, expect, it } from "vitest";
import type { Video } from "../src/api/types";
import { AuthProvider, useAuth } from "../src/auth/AuthContext";
import { OriginalFileActions } from "../src/originals/OriginalFileActions";
import { UnfinishedUploads } from "../src/upload/unfinished";
import { reply } from "./jsonServer";
import { closeApi, serveApi, type LoopbackApi } from "./loopbackApi";

configure({ asyncUtilTimeout: 5000 });

afterEach(async () => {
  await closeApi();
  localStorage.clear();
});

const PART = 64 * 1024;
const LAST_MODIFIED = 1_700_000_000_000;
const VIDEO: Video = { id: "v1", title: "Harbour", visibility: "private", status: "ready", is_owner: true };
const REPLACE = "/api/gallery/videos/v1/replace";
// Storage is on another origin than the page: its answers must let the page read them, ETag included.
const CORS = {
  "Access-Control-Allow-Origin": "*",
  "Access-Control-Allow-Methods": "GET, POST, PUT, DELETE, OPTIONS",
  "Access-Control-Allow-Headers": "*",
  "Access-Control-Expose-Headers": "ETag",
};

/** ASCII bytes, so the loopback server's text body has the file's length. */
const aFile = (size = 6 * PART, name = "better.mp4") =>
  new File(["a".repeat(size)], name, { type: "video/mp4", lastModified: LAST_MODIFIED });

/** The gallery's replace routes and a multipart store, as far as the panel uses them. */
class ReplaceBackend {
  api: LoopbackApi | null = null;
  /** The replace the server holds open (null: none). */
  open: { filename: string; size: number } | null = null;
  /** Part number -> bytes storage holds. */
  stored = new Map<number, number>();
  puts = new Map<number, number>();
  /** Parts storage refuses (403) while listed. */
  refuse = new Set<number>();
  starts = 0;
  cancels = 0;
  confirmed: { number: number; etag: string }[] | null = null;

  async serve(): Promise<this> {
    this.api = await serveApi((req, res) => {
      const path = req.path.split("?")[0];
      const part = /^\/storage\/part\/(\d+)$/.exec(path);
      if (req.method === "OPTIONS") return reply(res, 204, undefined, CORS);
      if (path === "/api/auth/config") return reply(res, 200, { flow: "local" });
      if (path === "/api/auth/me") return reply(res, 200, { sub: "u1", email: "ada@example.com", groups: [] });
      if (req.method === "POST" && path === REPLACE) {
        const { filename, size } = req.body as { filename: string; size: number };
        Object.assign(this, { open: { filename, size }, starts: this.starts + 1 });
        this.stored.clear();
        return reply(res, 201, { video: VIDEO, upload: this.plan() });
      }
      if (req.method === "GET" && path === REPLACE) {
        if (!this.open) return reply(res, 200, { video: VIDEO, upload: null, parts: [], filename: null, size: null });
        const parts = [...this.stored].map(([number, size]) => ({ number, etag: `"p${number}"`, size }));
        return reply(res, 200, { video: VIDEO, upload: this.plan(), parts, ...this.open });
      }
      if (req.method === "PUT" && part) {
        const n = Number(part[1]);
        this.puts.set(n, (this.puts.get(n) ?? 0) + 1);
        if (this.refuse.has(n)) return reply(res, 403, undefined, CORS);
        this.stored.set(n, String(req.body ?? "").length);
        return reply(res, 200, undefined, { ...CORS, ETag: `"p${n}"` });
      }
      if (req.method === "POST" && path === `${REPLACE}/confirm`) {
        this.confirmed = (req.body as { parts: { number: number; etag: string }[] }).parts;
        this.open = null;
        return reply(res, 202, { ...VIDEO, status: "queued" });
      }
      if (req.method === "DELETE" && path === REPLACE) {
        Object.assign(this, { open: null, cancels: this.cancels + 1 });
        return reply(res, 204);
      }
      reply(res, 404, { code: 404, status: "Not Found", message: `no route ${req.method} ${path}` });
    });
    return this;
  }

  private plan() {
    const count = Math.ceil(this.open!.size / PART);
    const parts = Array.from({ length: count }, (_, i) => ({ number: i + 1, url: `${this.api!.url}/storage/part/${i + 1}` }));
    return { multipart: { upload_id: "up-1", part_size: PART, parts } };
  }

  requests(method: string, path: string) {
    return this.api!.requests.filter((r) => r.method === method && r.path.split("?")[0] === path).length;
  }
}

function signedIn() {
  const now = Date.now();
  sessionStorage.setItem("videoforge.session", JSON.stringify({ accessToken: "acc", refreshToken: "ref", issuedAt: now, expiresAt: now + 3_600_000 }));
}

/** Shows who is signed in, so a test waits for the account before acting as it. */
function Who() {
  return <span data-testid="who">{useAuth().user?.sub ?? ""}</span>;
}

/** One page load of the owner's panel. */
async function openPage(replaced: Video[] = []) {
  const page = render(
    <AuthProvider>
      <Who />
      <OriginalFileActions video={VIDEO} canReplace onReplaced={(v) => replaced.push(v)} taskOptions={{ attempts: 1, baseDelayMs: 1, concurrency: 2 }} />
    </AuthProvider>,
  );
  await waitFor(() => expect(screen.getByTestId("who").textContent).toBe("u1"));
  return page;
}

const pick = (testId: string, file: File) => fireEvent.change(screen.getByTestId(testId), { target: { files: [file] } });
const remembered = () => new UnfinishedUploads(localStorage).list("u1", "replace");
const NOTICE = "A file replacement was interrupted — pick the same file to carry on.";

describe("a file replacement after a reload", () => {
  it("is remembered, refuses another file, sends only the missing parts of the same one and confirms", async () => {
    signedIn();
    const backend = await new ReplaceBackend().serve();
    backend.refuse.add(3);
    const first = await openPage();
    pick("replace-input", aFile());
    expect(await screen.findByRole("button", { name: "Resume" })).toBeTruthy(); // storage refused part 3
    expect(remembered().map((r) => [r.kind, r.videoId, r.name, r.size, r.lastModified])).toEqual([
      ["replace", "v1", "better.mp4", 6 * PART, LAST_MODIFIED],
    ]);
    const storedBefore = [...backend.stored.keys()];
    expect(storedBefore.length).toBeGreaterThan(0);
    expect(storedBefore).not.toContain(3);

    // The page reloads: the task is gone, the record and the server's open replace stay.
    first.unmount();
    backend.refuse.clear();
    const replaced: Video[] = [];
    await openPage(replaced);
    expect(await screen.findByText(NOTICE)).toBeTruthy();
    expect(screen.getByTestId("replace-interrupted").textContent).toContain("better.mp4");

    const putsBefore = [...backend.puts.values()].reduce((a, b) => a + b, 0);
    pick("replace-resume-input", aFile(6 * PART - 1)); // same name and date, another size
    expect((await screen.findByTestId("error-notice")).textContent).toMatch(/is not the file the replacement was sending/);
    pick("replace-resume-input", new File([aFile()], "better.mp4", { lastModified: LAST_MODIFIED + 1 })); // another date
    await waitFor(() => expect(screen.getByTestId("error-notice").textContent).toMatch(/pick “better.mp4”/));
    expect([...backend.puts.values()].reduce((a, b) => a + b, 0)).toBe(putsBefore);

    pick("replace-resume-input", aFile()); // picked again: a new File object for the same file
    expect(await screen.findByText("The new file was received; it is being processed.")).toBeTruthy();
    expect(backend.starts).toBe(1); // carried on, not started again
    for (let n = 1; n <= 6; n++) {
      const expected = storedBefore.includes(n) ? 1 : n === 3 ? 2 : 1; // part 3: refused, then sent once
      expect([n, backend.puts.get(n)]).toEqual([n, expected]);
    }
    expect(backend.confirmed?.map((p) => [p.number, p.etag])).toEqual([1, 2, 3, 4, 5, 6].map((n) => [n, `"p${n}"`]));
    expect(replaced.map((v) => v.status)).toEqual(["queued"]);
    expect(remembered()).toEqual([]);
    expect(screen.queryByText(NOTICE)).toBeNull();
  });

  it.each([
    ["none is open (confirmed elsewhere, or expired)", null],
    ["another file's is open (started again elsewhere)", { filename: "other.mp4", size: 6 * PART }],
  ])("is forgotten silently when %s", async (_, open) => {
    signedIn();
    const ledger = new UnfinishedUploads(localStorage);
    const file = aFile();
    const { name, size, lastModified } = file;
    ledger.remember({ kind: "replace", videoId: "v1", user: "u1", name, size, lastModified, title: "Harbour" });
    ledger.remember({ videoId: "v7", user: "u1", name, size, lastModified, title: "An upload" });
    const backend = await new ReplaceBackend().serve();
    backend.open = open;
    await openPage();
    await waitFor(() => expect(remembered()).toEqual([]));
    expect(backend.requests("GET", REPLACE)).toBe(1);
    expect(screen.queryByText(NOTICE)).toBeNull();
    expect(screen.queryByTestId("error-notice")).toBeNull();
    expect(ledger.list("u1").map((r) => r.videoId)).toEqual(["v7"]); // uploads are not this panel's
  });

  it("is given up by Cancel replacement, which forgets it", async () => {
    signedIn();
    const file = aFile();
    const { name, size, lastModified } = file;
    new UnfinishedUploads(localStorage).remember({ kind: "replace", videoId: "v1", user: "u1", name, size, lastModified, title: "Harbour" });
    const backend = await new ReplaceBackend().serve();
    backend.open = { filename: name, size };
    const page = await openPage();
    expect(await screen.findByText(NOTICE)).toBeTruthy();
    fireEvent.click(screen.getByRole("button", { name: "Cancel replacement" }));
    await waitFor(() => expect(screen.queryByText(NOTICE)).toBeNull());
    expect([backend.cancels, backend.open]).toEqual([1, null]);
    expect(remembered()).toEqual([]);

    page.unmount(); // another reload: nothing left to offer, nor to ask about
    await openPage();
    expect(screen.queryByText(NOTICE)).toBeNull();
    expect(backend.requests("GET", REPLACE)).toBe(1);
    expect(screen.getByText("Replace file")).toBeTruthy();
  });

  it("is not offered to another account signed in on this browser", async () => {
    signedIn();
    const file = aFile();
    const { name, size, lastModified } = file;
    new UnfinishedUploads(localStorage).remember({ kind: "replace", videoId: "v1", user: "someone-else", name, size, lastModified, title: "Harbour" });
    const backend = await new ReplaceBackend().serve();
    backend.open = { filename: name, size };
    await openPage();
    await waitFor(() => expect(backend.requests("GET", "/api/auth/me")).toBe(1));
    expect(screen.queryByText(NOTICE)).toBeNull();
    expect(backend.requests("GET", REPLACE)).toBe(0);
    expect(new UnfinishedUploads(localStorage).list("someone-else", "replace")).toHaveLength(1); // theirs, kept
  });
});
