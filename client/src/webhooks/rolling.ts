/** Rolling a webhook endpoint's signing secret: how long the old secret may go on signing, and when it stops. */

/** The overlaps offered (the server takes any whole number of hours from 0 to 72). */
export const OVERLAP_CHOICES: { hours: number; label: string }[] = [
  { hours: 0, label: "No time: it stops now (it leaked)" },
  { hours: 1, label: "1 hour" },
  { hours: 6, label: "6 hours" },
  { hours: 24, label: "24 hours" },
  { hours: 72, label: "72 hours (the most)" },
];

export const DEFAULT_OVERLAP_HOURS = 24;

/** "7 Dec 2026, 11:31": an old secret's end, to the minute (it is hours away, not days). */
export function formatUntil(iso: string): string {
  const d = new Date(iso);
  return Number.isNaN(d.getTime()) ? iso : d.toLocaleString(undefined, { dateStyle: "medium", timeStyle: "short" });
}
