/** Uploads this browser began but did not finish, remembered across reloads so the same file can carry on. */

export interface UnfinishedUpload {
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

  list(user: string): UnfinishedUpload[] {
    return this.read().filter((r) => r.user === user);
  }

  find(user: string, file: File): UnfinishedUpload | undefined {
    return this.list(user).find((r) => sameFile(r, file));
  }

  remember(record: Omit<UnfinishedUpload, "startedAt">): void {
    const others = this.read().filter((r) => r.videoId !== record.videoId);
    this.write([...others, { ...record, startedAt: this.now() }]);
  }

  /** Drops the video's record (and any too old to resume). */
  forget(videoId: string): void {
    this.write(this.read().filter((r) => r.videoId !== videoId));
  }

  private read(): UnfinishedUpload[] {
    try {
      const parsed: unknown = JSON.parse(this.storage?.getItem(KEY) ?? "[]");
      if (!Array.isArray(parsed)) return [];
      const fresh = this.now() - MAX_AGE_MS;
      return parsed.filter(
        (r): r is UnfinishedUpload =>
          r && typeof r.videoId === "string" && typeof r.user === "string" && typeof r.size === "number" && r.startedAt > fresh,
      );
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
