/** Multipart upload: split a file into parts, send several at once, retry with backoff, resume from the server's list. */
import type { ReceivedPart } from "../api/types";
import { TransferError } from "./transfer";

export interface PartPlan {
  number: number;
  /** Byte offset of the first byte (inclusive). */
  start: number;
  /** Byte offset after the last byte (exclusive). */
  end: number;
}

/** Part n (1-based) covers [(n-1)*partSize, min(n*partSize, size)). */
export function planParts(size: number, partSize: number): PartPlan[] {
  if (!Number.isInteger(size) || size < 0) throw new RangeError(`file size must be a whole number >= 0, got ${size}`);
  if (!Number.isInteger(partSize) || partSize <= 0) throw new RangeError(`part_size must be a whole number > 0, got ${partSize}`);
  const count = Math.max(1, Math.ceil(size / partSize));
  return Array.from({ length: count }, (_, i) => ({
    number: i + 1,
    start: i * partSize,
    end: Math.min(size, (i + 1) * partSize),
  }));
}

/**
 * Splits the plan into parts storage already holds intact (same size; their ETags kept) and
 * parts still to send. A received part of the wrong size was cut short and is sent again.
 */
export function splitByReceived(
  plan: PartPlan[],
  received: ReceivedPart[],
): { done: Map<number, string>; toSend: PartPlan[] } {
  const byNumber = new Map(received.map((p) => [p.number, p]));
  const done = new Map<number, string>();
  const toSend: PartPlan[] = [];
  for (const part of plan) {
    const got = byNumber.get(part.number);
    const sizeOk = got && (got.size == null || got.size === part.end - part.start);
    if (got && got.etag && sizeOk) done.set(part.number, got.etag);
    else toSend.push(part);
  }
  return { done, toSend };
}

/** Exponential backoff with jitter: attempt 0 -> ~base, doubling up to max; jitter keeps parallel parts apart. */
export function backoffDelayMs(attempt: number, baseMs = 500, maxMs = 8000, random: () => number = Math.random): number {
  const raw = Math.min(maxMs, baseMs * 2 ** attempt);
  return Math.round(raw * (0.5 + random() / 2));
}

export const sleep = (ms: number, signal?: AbortSignal) =>
  new Promise<void>((resolve, reject) => {
    const timer = setTimeout(done, ms);
    function done() {
      signal?.removeEventListener("abort", onAbort);
      resolve();
    }
    function onAbort() {
      clearTimeout(timer);
      reject(new TransferError("aborted", "Upload cancelled"));
    }
    signal?.addEventListener("abort", onAbort);
  });

export interface RetryOptions {
  attempts?: number;
  baseMs?: number;
  maxMs?: number;
  signal?: AbortSignal;
  shouldRetry?: (err: unknown) => boolean;
  wait?: (ms: number, signal?: AbortSignal) => Promise<void>;
}

/** Runs fn until it succeeds, a non-retryable error occurs, or `attempts` tries are spent. */
export async function withRetry<T>(fn: (attempt: number) => Promise<T>, opts: RetryOptions = {}): Promise<T> {
  const attempts = opts.attempts ?? 4;
  const shouldRetry = opts.shouldRetry ?? ((err) => err instanceof TransferError && err.retryable);
  const wait = opts.wait ?? sleep;
  for (let attempt = 0; ; attempt++) {
    try {
      return await fn(attempt);
    } catch (err) {
      if (attempt + 1 >= attempts || !shouldRetry(err) || opts.signal?.aborted) throw err;
      await wait(backoffDelayMs(attempt, opts.baseMs, opts.maxMs), opts.signal);
    }
  }
}

/**
 * Runs `worker` over items with at most `limit` at once. After the first failure no new item
 * starts; the running ones settle, then the first error is thrown.
 */
export async function runPool<T>(items: T[], limit: number, worker: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  let failure: { err: unknown } | null = null;
  const lane = async () => {
    while (failure === null && next < items.length) {
      const item = items[next++];
      try {
        await worker(item);
      } catch (err) {
        failure ??= { err };
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, lane));
  if (failure !== null) throw (failure as { err: unknown }).err;
}

export interface PartSender {
  /** Sends one part, reporting bytes of that part sent so far; resolves to its ETag (or null if hidden). */
  (url: string, body: Blob, onProgress: (loaded: number) => void, signal: AbortSignal): Promise<string | null>;
}

export interface MultipartOptions {
  concurrency?: number;
  attempts?: number;
  baseDelayMs?: number;
  onProgress?: (bytesSent: number) => void;
}

export class MissingEtagError extends Error {
  constructor(part: number) {
    super(
      `Storage accepted part ${part} but its ETag header was not readable. ` +
        "The bucket's CORS rules must expose the ETag header (ExposeHeaders: ETag).",
    );
    this.name = "MissingEtagError";
  }
}

/** One multipart upload of one file; `send()` may be called again after a failure to resume. */
export class MultipartUpload {
  readonly plan: PartPlan[];
  private readonly urls = new Map<number, string>();
  private readonly etags = new Map<number, string>();
  private readonly partLoaded = new Map<number, number>();
  private controller = new AbortController();

  constructor(
    private readonly file: Blob,
    partSize: number,
    parts: { number: number; url: string }[],
    private readonly sendPart: PartSender,
    private readonly opts: MultipartOptions = {},
  ) {
    this.plan = planParts(file.size, partSize);
    this.setUrls(parts);
    const missing = this.plan.filter((p) => !this.urls.has(p.number)).map((p) => p.number);
    if (missing.length) throw new Error(`upload plan has no URL for part(s) ${missing.join(", ")}`);
  }

  /** Presigned URLs expire; a resume may bring fresh ones. */
  setUrls(parts: { number: number; url: string }[]): void {
    for (const p of parts) this.urls.set(p.number, p.url);
  }

  /** Marks parts the server reports as received, so a resume skips them. */
  applyReceived(received: ReceivedPart[]): void {
    const { done } = splitByReceived(this.plan, received);
    for (const [number, etag] of done) {
      this.etags.set(number, etag);
      const part = this.plan[number - 1];
      this.partLoaded.set(number, part.end - part.start);
    }
    this.report();
  }

  get bytesSent(): number {
    let total = 0;
    for (const v of this.partLoaded.values()) total += v;
    return total;
  }

  get pendingParts(): PartPlan[] {
    return this.plan.filter((p) => !this.etags.has(p.number));
  }

  /** Sends every part not yet done; resolves to the list confirm needs, sorted by part number. */
  async send(): Promise<{ number: number; etag: string }[]> {
    if (this.controller.signal.aborted) this.controller = new AbortController();
    const signal = this.controller.signal;
    await runPool(this.pendingParts, this.opts.concurrency ?? 4, async (part) => {
      const blob = this.file.slice(part.start, part.end);
      const etag = await withRetry(
        () => {
          this.partLoaded.set(part.number, 0);
          this.report();
          return this.sendPart(this.urls.get(part.number)!, blob, (loaded) => {
            this.partLoaded.set(part.number, Math.min(loaded, part.end - part.start));
            this.report();
          }, signal);
        },
        { attempts: this.opts.attempts ?? 4, baseMs: this.opts.baseDelayMs ?? 500, signal },
      );
      if (!etag) throw new MissingEtagError(part.number);
      this.etags.set(part.number, etag);
      this.partLoaded.set(part.number, part.end - part.start);
      this.report();
    });
    return this.plan.map((p) => ({ number: p.number, etag: this.etags.get(p.number)! }));
  }

  abort(): void {
    this.controller.abort();
  }

  private report(): void {
    this.opts.onProgress?.(this.bytesSent);
  }
}
