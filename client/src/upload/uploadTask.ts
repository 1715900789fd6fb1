/** One file's journey: create the video (or, replacing, a new file for one), send bytes to storage (single PUT or multipart), confirm. */
import { ApiError, type FieldErrors } from "../api/client";
import {
  cancelReplace,
  confirmReplace,
  confirmUpload,
  createUpload,
  deleteVideo,
  getReplaceStatus,
  getUploadStatus,
  startReplace,
  type UploadStatus,
} from "../api/endpoints";
import type { MultipartPlan, ReceivedPart, SinglePutPlan, Video, Visibility } from "../api/types";
import { contentTypeFor } from "../format";
import { MultipartUpload, withRetry } from "./multipart";
import { SpeedMeter } from "./speed";
import { putBlob, TransferError } from "./transfer";

export type UploadPhase =
  | "ready" // chosen, details editable, not started
  | "creating"
  | "uploading"
  | "interrupted" // transfer failed; resume asks the server what arrived
  | "confirming"
  | "done"
  | "failed" // the API refused; fix details and start again
  | "cancelled";

export interface UploadDetails {
  title: string;
  description: string;
  visibility: Visibility;
  /** With visibility "password": what viewers must give. */
  password?: string;
  /** Ask for a caption track transcribed from the audio, in `captionLanguage` (the server's default when empty). */
  autoCaptions?: boolean;
  captionLanguage?: string;
}

export interface UploadSnapshot {
  key: string;
  fileName: string;
  size: number;
  phase: UploadPhase;
  details: UploadDetails;
  bytesSent: number;
  bytesPerSecond: number | null;
  secondsLeft: number | null;
  error: string | null;
  fieldErrors: FieldErrors;
  video: Video | null;
  multipart: boolean;
}

export interface UploadTaskOptions {
  concurrency?: number;
  attempts?: number;
  baseDelayMs?: number;
  now?: () => number;
  /** Carry on with this video's upload (begun before a reload) instead of creating a new video. */
  resumeVideoId?: string;
  /** The video exists and bytes may be in storage: worth remembering across a reload. */
  onVideoCreated?: (video: Video) => void;
  /** Confirmed or cancelled: nothing left to resume. */
  onSettled?: (videoId: string) => void;
  /** Send the file as this video's new original (its id, links, title and captions stay) instead of a new video. */
  replaceVideoId?: string;
}

/** The calls that follow the first one: a new video's upload, or a replacing file's. */
interface UploadCalls {
  status(videoId: string): Promise<UploadStatus>;
  confirm(videoId: string, parts?: { number: number; etag: string }[]): Promise<Video>;
  /** Cancelled: the half-made video goes, or the half-sent new file (the video stays). */
  discard(videoId: string): Promise<unknown>;
}
const NEW_VIDEO: UploadCalls = { status: getUploadStatus, confirm: confirmUpload, discard: deleteVideo };
const REPLACING: UploadCalls = { status: getReplaceStatus, confirm: confirmReplace, discard: cancelReplace };

let nextKey = 1;

export class UploadTask {
  readonly key = `upload-${nextKey++}`;
  private snapshot: UploadSnapshot;
  private readonly listeners = new Set<(s: UploadSnapshot) => void>();
  private readonly meter: SpeedMeter;
  private multipart: MultipartUpload | null = null;
  private single: SinglePutPlan | null = null;
  private controller = new AbortController();
  private lastEmit = 0;
  private resumeVideoId: string | undefined;
  private readonly calls: UploadCalls;

  constructor(
    readonly file: File,
    details: UploadDetails,
    private readonly opts: UploadTaskOptions = {},
  ) {
    this.meter = new SpeedMeter(5000, opts.now);
    this.resumeVideoId = opts.resumeVideoId;
    this.calls = opts.replaceVideoId ? REPLACING : NEW_VIDEO;
    this.snapshot = {
      key: this.key,
      fileName: file.name,
      size: file.size,
      phase: "ready",
      details,
      bytesSent: 0,
      bytesPerSecond: null,
      secondsLeft: null,
      error: null,
      fieldErrors: {},
      video: null,
      multipart: false,
    };
  }

  get state(): UploadSnapshot {
    return this.snapshot;
  }

  subscribe(listener: (s: UploadSnapshot) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  setDetails(details: Partial<UploadDetails>): void {
    if (this.snapshot.phase !== "ready" && this.snapshot.phase !== "failed") return;
    this.update({ details: { ...this.snapshot.details, ...details } });
  }

  /** Creates the video and sends the file; resolves when confirmed or the task stops in another phase. */
  async start(): Promise<void> {
    if (this.snapshot.phase !== "ready" && this.snapshot.phase !== "failed") return;
    this.controller = new AbortController();
    this.update({ phase: "creating", error: null, fieldErrors: {} });
    try {
      if (this.resumeVideoId) {
        const next = await this.reattach(this.resumeVideoId);
        if (next === "send") await this.transfer();
        if (next !== "gone") return;
      }
      const created = await this.create();
      if (this.cancelled) {
        await this.calls.discard(created.video.id).catch(() => undefined);
        return;
      }
      this.update({ video: created.video });
      this.opts.onVideoCreated?.(created.video);
      this.takePlan(created.upload, []);
      await this.transfer();
    } catch (err) {
      this.fail(err);
    }
  }

  private create() {
    const file = { filename: this.file.name, size: this.file.size, content_type: contentTypeFor(this.file) };
    if (this.opts.replaceVideoId) return startReplace(this.opts.replaceVideoId, file);
    const { title, description, visibility, password, autoCaptions, captionLanguage } = this.snapshot.details;
    return createUpload({
      ...file,
      title: title.trim() || this.file.name,
      description: description.trim() || undefined,
      visibility,
      ...(visibility === "password" ? { password: password ?? "" } : {}),
      ...(autoCaptions ? { auto_captions: true, caption_language: captionLanguage || undefined } : {}),
    });
  }

  /**
   * After a reload: the same file picked again. Takes the video's plan and the parts storage
   * holds from the server: what is left to do.
   */
  private async reattach(videoId: string): Promise<"send" | "finished" | "gone"> {
    let status;
    try {
      status = await this.calls.status(videoId);
    } catch (err) {
      if (!(err instanceof ApiError && err.status === 404)) throw err;
      // Deleted meanwhile (or never this account's): upload the file as a new video.
      this.opts.onSettled?.(videoId);
      this.resumeVideoId = undefined;
      return "gone";
    }
    const video = status.video ?? this.snapshot.video;
    if (video) {
      const details = {
        ...this.snapshot.details,
        title: video.title,
        description: video.description ?? "",
        visibility: video.visibility,
      };
      this.update({ video, details });
    }
    const plan = status.upload;
    if (!plan) {
      this.update({ phase: "done", bytesSent: this.file.size, secondsLeft: 0 });
      this.opts.onSettled?.(videoId);
      return "finished";
    }
    this.takePlan(plan, status.parts ?? []);
    return "send";
  }

  /** How the bytes go: one PUT, or parts (skipping those storage already holds). */
  private takePlan(plan: SinglePutPlan | MultipartPlan, received: ReceivedPart[]): void {
    if ("multipart" in plan && plan.multipart) {
      const mp = plan.multipart;
      this.multipart = new MultipartUpload(this.file, mp.part_size, mp.parts, sendPartWithXhr, {
        concurrency: this.opts.concurrency ?? 4,
        attempts: this.opts.attempts,
        baseDelayMs: this.opts.baseDelayMs,
        onProgress: (bytes) => this.progress(bytes),
      });
      this.multipart.applyReceived(received);
      this.update({ multipart: true, bytesSent: this.multipart.bytesSent });
    } else {
      this.single = plan as SinglePutPlan;
    }
  }

  /** After an interruption: ask the server which parts arrived, then send the rest. */
  async resume(): Promise<void> {
    if (this.snapshot.phase !== "interrupted") return;
    this.controller = new AbortController();
    this.update({ phase: "uploading", error: null });
    try {
      if (this.single && this.snapshot.video) {
        // A presigned PUT may have expired while the connection was down: take the fresh one.
        const status = await this.calls.status(this.snapshot.video.id);
        if (status.upload && "url" in status.upload && status.upload.url) this.single = status.upload;
      }
      if (this.multipart && this.snapshot.video) {
        const status = await this.calls.status(this.snapshot.video.id);
        const fresh = status.upload && "multipart" in status.upload ? status.upload.multipart : null;
        if (fresh?.parts) this.multipart.setUrls(fresh.parts);
        this.multipart.applyReceived(status.parts ?? []);
      }
      await this.transfer();
    } catch (err) {
      this.fail(err);
    }
  }

  /** Stops the transfer and deletes the half-made video so it does not linger in "awaiting upload" (replacing: the half-sent file). */
  async cancel(): Promise<void> {
    const phase = this.snapshot.phase;
    if (phase === "done" || phase === "cancelled" || phase === "confirming") return;
    this.update({ phase: "cancelled", bytesPerSecond: null, secondsLeft: null });
    this.controller.abort();
    this.multipart?.abort();
    const video = this.snapshot.video;
    if (video) {
      this.opts.onSettled?.(video.id);
      await this.calls.discard(video.id).catch(() => undefined);
    }
  }

  private async transfer(): Promise<void> {
    this.update({ phase: "uploading" });
    this.meter.reset();
    let parts: { number: number; etag: string }[] | undefined;
    if (this.multipart) {
      parts = await this.multipart.send();
    } else if (this.single) {
      const plan = this.single;
      const signal = this.controller.signal;
      await withRetry(
        () =>
          putBlob(plan.url, this.file, {
            headers: plan.headers,
            signal,
            onProgress: (loaded) => this.progress(loaded),
          }),
        { attempts: this.opts.attempts ?? 3, baseMs: this.opts.baseDelayMs ?? 500, signal },
      );
    }
    if (this.cancelled) return;
    this.update({ phase: "confirming", bytesSent: this.file.size, secondsLeft: 0 });
    const video = await this.calls.confirm(this.snapshot.video!.id, parts);
    this.update({ phase: "done", video: { ...this.snapshot.video!, ...video }, bytesPerSecond: null });
    this.opts.onSettled?.(video.id);
  }

  private progress(bytes: number): void {
    if (this.snapshot.phase !== "uploading") return;
    this.meter.add(bytes);
    const now = (this.opts.now ?? (() => performance.now()))();
    // Progress events arrive far faster than anyone can read; four updates a second is plenty.
    if (now - this.lastEmit < 250 && bytes < this.file.size) return;
    this.lastEmit = now;
    this.update({
      bytesSent: bytes,
      bytesPerSecond: this.meter.bytesPerSecond(),
      secondsLeft: this.meter.secondsLeft(this.file.size - bytes),
    });
  }

  /** A getter, so TypeScript does not narrow the phase across awaits. */
  private get cancelled(): boolean {
    return this.snapshot.phase === "cancelled";
  }

  private fail(err: unknown): void {
    if (this.cancelled) return;
    const base = { bytesPerSecond: null, secondsLeft: null };
    if (err instanceof TransferError && err.kind !== "http") {
      // The video exists and storage may hold some parts: resumable.
      this.update({ ...base, phase: "interrupted", error: `${err.message}. Resume when the connection is back.` });
    } else if (err instanceof TransferError) {
      this.update({ ...base, phase: "interrupted", error: `${err.message}. Try resuming; if it keeps failing, cancel and upload again.` });
    } else if (err instanceof ApiError && this.snapshot.video === null) {
      this.update({ ...base, phase: "failed", error: err.message, fieldErrors: err.fieldErrors });
    } else if (err instanceof ApiError && err.status === 0) {
      this.update({ ...base, phase: "interrupted", error: err.message });
    } else {
      this.update({ ...base, phase: this.snapshot.video ? "interrupted" : "failed", error: (err as Error)?.message ?? String(err) });
    }
  }

  private update(patch: Partial<UploadSnapshot>): void {
    this.snapshot = { ...this.snapshot, ...patch };
    for (const listener of this.listeners) listener(this.snapshot);
  }
}

/** Sends one multipart part with XHR and returns its ETag header. */
const sendPartWithXhr = async (url: string, body: Blob, onProgress: (loaded: number) => void, signal: AbortSignal) =>
  (await putBlob(url, body, { onProgress, signal })).etag;
