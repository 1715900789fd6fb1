/** A one-time message for the page people land on next: after deleting a video, My videos says it is gone. */

let pending: string | null = null;

export function flash(message: string): void {
  pending = message;
}

/** The waiting message, once: a later visit to the page does not repeat it. */
export function takeFlash(): string | null {
  const message = pending;
  pending = null;
  return message;
}
