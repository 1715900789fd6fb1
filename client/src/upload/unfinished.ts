/** Uploads this browser began but did not finish, remembered across reloads so the same file can carry on: new
 * videos' uploads, and new files replacing a video's original. */

/** "upload": a new video's file; "replace": a new file for an existing video (its original stays until confirmed). */
export type UnfinishedKind = "upload" | "replace";

export interface UnfinishedUpload {
  /** Records stored before replacements were remembered have none: they are uploads. */
  kind: UnfinishedKind;
  videoId: string;
  /** Whose upload it is: another account signed in on this browser does not see it. */
  user: string;
  name: string;
  size: number;
  lastModified: number;
  title: string;
  startedAt: number;
}

const KEY = "videoforge.unfinishedUploads";
/** The gallery deletes uploads left unconfirmed for a day (UPLOAD_TTL); older records cannot resume. */
const MAX_AGE_MS = 24 * 3600 * 1000;

/** A browser can only hand a file back when the person picks it again: name, size and date identify it. */
export const sameFile = (record: UnfinishedUpload, file: File) =>
  record.name === file.name && record.size === file.size && record.lastModified === file.lastModified;

export class UnfinishedUploads {
  constructor(
    private readonly storage: Storage | null = safeLocalStorage(),
    private readonly now: () => number = Date.now,
  ) {}

  /** The account's records of one kind: uploads unless asked (the Upload page must never offer a replacement, whose
   * "discard" would delete the video). */
  list(user: string, kind: UnfinishedKind = "upload"): UnfinishedUpload[] {
    return this.read().filter((r) => r.user === user && r.kind === kind);
  }

  find(user: string, file: File, kind: UnfinishedKind = "upload"): UnfinishedUpload | undefined {
    return this.list(user, kind).find((r) => sameFile(r, file));
  }

  /** Keeps one record per video and kind: a newer one takes the older one's place. */
  remember(record: Omit<UnfinishedUpload, "startedAt" | "kind"> & { kind?: UnfinishedKind }): void {
    const kind = record.kind ?? "upload";
    const others = this.read().filter((r) => !(r.videoId === record.videoId && r.kind === kind));
    this.write([...others, { ...record, kind, startedAt: this.now() }]);
  }

  /** Drops the video's record of that kind (and any too old to resume). */
  forget(videoId: string, kind: UnfinishedKind = "upload"): void {
    this.write(this.read().filter((r) => !(r.videoId === videoId && r.kind === kind)));
  }

  private read(): UnfinishedUpload[] {
    try {
      const parsed: unknown = JSON.parse(this.storage?.getItem(KEY) ?? "[]");
      if (!Array.isArray(parsed)) return [];
      const fresh = this.now() - MAX_AGE_MS;
      return parsed
        .filter(
          (r): r is Omit<UnfinishedUpload, "kind"> & { kind?: unknown } =>
            r && typeof r.videoId === "string" && typeof r.user === "string" && typeof r.size === "number" && r.startedAt > fresh,
        )
        .map((r) => ({ ...r, kind: r.kind ?? "upload" }))
        // A kind this version does not know (a newer tab's) is left out rather than taken for an upload.
        .filter((r): r is UnfinishedUpload => r.kind === "upload" || r.kind === "replace");
    } catch {
      return []; // unreadable or hand-edited: nothing to resume
    }
  }

  private write(records: UnfinishedUpload[]): void {
    try {
      if (records.length) this.storage?.setItem(KEY, JSON.stringify(records));
      else this.storage?.removeItem(KEY);
    } catch {
      // Storage full or blocked (private mode): uploads still work, they just cannot resume after a reload.
    }
  }
}

function safeLocalStorage(): Storage | null {
  try {
    return typeof window !== "undefined" ? window.localStorage : null;
  } catch {
    return null;
  }
}
