/** What a key's scopes let it do, in people's words, and how its dates read in a list. */
import type { ApiKeyScope } from "../api/types";

/** The levels a key is made with, weakest first: each holds the ones before it. */
export const ACCESS: { scope: ApiKeyScope; label: string; description: string }[] = [
  { scope: "read", label: "Read", description: "List and get your videos, and play them." },
  { scope: "upload", label: "Read and upload", description: "Also create uploads and confirm them." },
  { scope: "manage", label: "Read, upload and manage", description: "Also edit and delete your videos." },
];

/** A key's strongest scope, as a label ("Read and upload"). */
export function accessLabel(scopes: ApiKeyScope[]): string {
  const held = ACCESS.filter((level) => scopes.includes(level.scope));
  return held.length ? held[held.length - 1].label : "None";
}

/** Lifetimes offered when making a key, in days (null: it never expires). */
export const LIFETIMES: { days: number | null; label: string }[] = [
  { days: 30, label: "30 days" },
  { days: 90, label: "90 days" },
  { days: 365, label: "1 year" },
  { days: null, label: "Never" },
];

/** A date and time to the minute ("7 Dec 2026, 14:05"); "" when absent or unreadable. */
export function formatWhen(iso: string | null | undefined): string {
  if (!iso) return "";
  const d = new Date(iso);
  return Number.isNaN(d.getTime()) ? "" : d.toLocaleString(undefined, { dateStyle: "medium", timeStyle: "short" });
}

/** Whether the key's expiry has passed (it is refused, and only listed so it can be seen and revoked). */
export function isExpired(expiresAt: string | null | undefined, now = Date.now()): boolean {
  if (!expiresAt) return false;
  const t = new Date(expiresAt).getTime();
  return !Number.isNaN(t) && t <= now;
}
