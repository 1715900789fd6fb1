/** A loopback HTTP server playing the gallery upload API and an S3-like store, for upload tests. */
import { createHash } from "node:crypto";
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";

export interface FakeBackendOptions {
  partSize?: number;
  /** Files larger than this get a multipart plan. */
  multipartThreshold?: number;
  /** Milliseconds each storage PUT takes, so parallel parts overlap. */
  putDelayMs?: number;
  /** Leave ETag out of Access-Control-Expose-Headers (a misconfigured bucket). */
  hideEtag?: boolean;
}

export interface FakeBackend {
  url: string;
  /** Part number -> how to fail its next PUTs: a count of 500s, or "drop" (cut the connection) until cleared. */
  failures: Map<number, number | "drop">;
  parts: Map<number, Buffer>;
  single: { body: Buffer; headers: IncomingMessage["headers"] } | null;
  confirmed: { parts?: { number: number; etag: string }[]; body: Buffer } | null;
  putCounts: Map<number, number>;
  maxConcurrentPuts: number;
  statusRequests: number;
  /** Videos created (POST /uploads). */
  created: number;
  deleted: string[];
  /** Replacing files started (POST /videos/<id>/replace) and given up (DELETE). */
  replaces: number;
  cancelledReplaces: string[];
  close(): Promise<void>;
}

const etagOf = (buf: Buffer) => `"${createHash("md5").update(buf).digest("hex")}"`;

function readBody(req: IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => resolve(Buffer.concat(chunks)));
    req.on("error", reject);
  });
}

export async function startFakeBackend(opts: FakeBackendOptions = {}): Promise<FakeBackend> {
  const partSize = opts.partSize ?? 64 * 1024;
  const threshold = opts.multipartThreshold ?? 100 * 1024;
  let active = 0;
  const video = { id: "vid-1", title: "", status: "awaiting_upload", visibility: "private" };
  const state: Omit<FakeBackend, "url" | "close"> = {
    failures: new Map(),
    parts: new Map(),
    single: null,
    confirmed: null,
    putCounts: new Map(),
    maxConcurrentPuts: 0,
    statusRequests: 0,
    created: 0,
    deleted: [],
    replaces: 0,
    cancelledReplaces: [],
  };
  let plan: unknown = null;
  let base = "";

  const cors = (req: IncomingMessage, res: ServerResponse) => {
    res.setHeader("Access-Control-Allow-Origin", "*");
    res.setHeader("Access-Control-Allow-Methods", "GET, POST, PUT, PATCH, DELETE, OPTIONS");
    res.setHeader("Access-Control-Allow-Headers", req.headers["access-control-request-headers"] ?? "*");
    if (!opts.hideEtag) res.setHeader("Access-Control-Expose-Headers", "ETag");
  };
  const json = (res: ServerResponse, status: number, body: unknown) => {
    res.writeHead(status, { "Content-Type": "application/json" });
    res.end(JSON.stringify(body));
  };

  const server = createServer(async (req, res) => {
    cors(req, res);
    const url = new URL(req.url ?? "/", base);
    const path = url.pathname;
    if (req.method === "OPTIONS") return void res.writeHead(204).end();

    const replace = `/api/gallery/videos/${video.id}/replace`;
    if (req.method === "POST" && (path === "/api/gallery/uploads" || path === replace)) {
      const body = JSON.parse((await readBody(req)).toString());
      if (path === replace) {
        Object.assign(video, { status: "ready" }); // a new file for the video as it is
        state.replaces += 1;
      } else {
        if (!body.title) return json(res, 422, { code: 422, status: "Unprocessable Entity", errors: { json: { title: ["Missing data for required field."] } } });
        Object.assign(video, { title: body.title, visibility: body.visibility ?? "private" });
        state.created += 1;
      }
      if (body.size > threshold) {
        const count = Math.ceil(body.size / partSize);
        const parts = Array.from({ length: count }, (_, i) => ({ number: i + 1, url: `${base}/storage/part/${i + 1}?sig=abc` }));
        plan = { multipart: { upload_id: "up-1", part_size: partSize, parts } };
      } else {
        plan = { method: "PUT", url: `${base}/storage/object?sig=abc`, headers: { "Content-Type": body.content_type, "x-amz-meta-video": video.id } };
      }
      return json(res, 201, { video, upload: plan });
    }

    const part = /^\/storage\/part\/(\d+)$/.exec(path);
    if (req.method === "PUT" && part) {
      const n = Number(part[1]);
      state.putCounts.set(n, (state.putCounts.get(n) ?? 0) + 1);
      const failure = state.failures.get(n);
      if (failure === "drop") {
        req.socket.destroy();
        return;
      }
      active += 1;
      state.maxConcurrentPuts = Math.max(state.maxConcurrentPuts, active);
      const body = await readBody(req);
      await new Promise((r) => setTimeout(r, opts.putDelayMs ?? 20));
      active -= 1;
      if (typeof failure === "number" && failure > 0) {
        state.failures.set(n, failure - 1);
        return void res.writeHead(500).end("InternalError");
      }
      state.parts.set(n, body);
      res.writeHead(200, { ETag: etagOf(body) });
      return void res.end();
    }

    if (req.method === "PUT" && path === "/storage/object") {
      const body = await readBody(req);
      state.single = { body, headers: req.headers };
      res.writeHead(200, { ETag: etagOf(body) });
      return void res.end();
    }

    if (req.method === "GET" && (path === `/api/gallery/uploads/${video.id}` || path === replace)) {
      state.statusRequests += 1;
      const parts = [...state.parts.entries()].map(([number, buf]) => ({ number, etag: etagOf(buf), size: buf.length }));
      // As the gallery answers: the video, its plan until confirmed, and the parts storage holds.
      return json(res, 200, { video, upload: state.confirmed ? null : plan, parts });
    }

    if (req.method === "POST" && (path === `/api/gallery/videos/${video.id}/confirm` || path === `${replace}/confirm`)) {
      const body = JSON.parse((await readBody(req)).toString() || "{}");
      if (body.parts) {
        for (const p of body.parts as { number: number; etag: string }[]) {
          const stored = state.parts.get(p.number);
          if (!stored || etagOf(stored) !== p.etag) {
            return json(res, 400, { code: 400, status: "Bad Request", message: `part ${p.number} does not match`, errors: {} });
          }
        }
        const ordered = [...state.parts.keys()].sort((a, b) => a - b).map((n) => state.parts.get(n)!);
        state.confirmed = { parts: body.parts, body: Buffer.concat(ordered) };
      } else {
        if (!state.single) return json(res, 400, { code: 400, status: "Bad Request", message: "nothing uploaded" });
        state.confirmed = { body: state.single.body };
      }
      return json(res, 202, { ...video, status: "queued" });
    }

    if (req.method === "DELETE" && path === replace) {
      state.cancelledReplaces.push(video.id);
      return void res.writeHead(204).end();
    }
    if (req.method === "DELETE" && path === `/api/gallery/videos/${video.id}`) {
      state.deleted.push(video.id);
      return void res.writeHead(204).end();
    }
    json(res, 404, { code: 404, status: "Not Found", message: `no route ${req.method} ${path}` });
  });

  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return Object.assign(state, {
    url: base,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  }) as FakeBackend;
}
