/** PUT a Blob to a (presigned) storage URL with XMLHttpRequest, for upload progress events fetch lacks. */

export type TransferFailure = "network" | "http" | "aborted" | "timeout";

export class TransferError extends Error {
  constructor(
    readonly kind: TransferFailure,
    message: string,
    readonly status = 0,
  ) {
    super(message);
    this.name = "TransferError";
  }

  /** Network trouble, timeouts, 5xx, 408 and 429 are worth another try; 4xx and aborts are not. */
  get retryable(): boolean {
    if (this.kind === "network" || this.kind === "timeout") return true;
    if (this.kind === "http") return this.status >= 500 || this.status === 408 || this.status === 429;
    return false;
  }
}

// Browsers refuse to let scripts set these; setting them only logs errors.
const FORBIDDEN = new Set(["content-length", "host", "connection", "expect", "origin", "referer", "accept-encoding"]);

export interface PutOptions {
  headers?: Record<string, string>;
  onProgress?: (loaded: number, total: number) => void;
  signal?: AbortSignal;
  /** No progress for this long means a stalled connection (default 2 minutes). */
  timeoutMs?: number;
}

export interface PutResult {
  status: number;
  /** The ETag response header, or null when storage did not expose it (CORS ExposeHeaders). */
  etag: string | null;
}

export function putBlob(url: string, body: Blob, opts: PutOptions = {}): Promise<PutResult> {
  return new Promise((resolve, reject) => {
    const xhr = new XMLHttpRequest();
    xhr.open("PUT", url, true);
    for (const [name, value] of Object.entries(opts.headers ?? {})) {
      if (!FORBIDDEN.has(name.toLowerCase())) xhr.setRequestHeader(name, value);
    }
    const timeoutMs = opts.timeoutMs ?? 120_000;
    let stallTimer: ReturnType<typeof setTimeout> | null = null;
    let timedOut = false;
    const armStallTimer = () => {
      if (stallTimer !== null) clearTimeout(stallTimer);
      stallTimer = setTimeout(() => {
        timedOut = true;
        xhr.abort();
      }, timeoutMs);
    };
    const cleanup = () => {
      if (stallTimer !== null) clearTimeout(stallTimer);
      opts.signal?.removeEventListener("abort", onAbort);
    };
    const onAbort = () => xhr.abort();
    if (opts.signal?.aborted) {
      reject(new TransferError("aborted", "Upload cancelled"));
      return;
    }
    opts.signal?.addEventListener("abort", onAbort);

    xhr.upload.onprogress = (e) => {
      armStallTimer();
      opts.onProgress?.(e.loaded, e.lengthComputable ? e.total : body.size);
    };
    xhr.onload = () => {
      cleanup();
      if (xhr.status >= 200 && xhr.status < 300) {
        opts.onProgress?.(body.size, body.size);
        resolve({ status: xhr.status, etag: xhr.getResponseHeader("ETag") });
      } else {
        reject(new TransferError("http", `Storage answered ${xhr.status} ${xhr.statusText}`.trim(), xhr.status));
      }
    };
    xhr.onerror = () => {
      cleanup();
      reject(new TransferError("network", "Network error while sending to storage"));
    };
    xhr.onabort = () => {
      cleanup();
      reject(
        timedOut
          ? new TransferError("timeout", "Upload stalled: no progress for too long")
          : new TransferError("aborted", "Upload cancelled"),
      );
    };
    armStallTimer();
    xhr.send(body);
  });
}
