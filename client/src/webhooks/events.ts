/** Webhook events and deliveries in people's words. */
import type { WebhookDelivery, WebhookEventType } from "../api/types";

export const EVENTS: { type: WebhookEventType; description: string }[] = [
  { type: "video.ready", description: "a video finished processing and plays" },
  { type: "video.failed", description: "processing failed (with the reason)" },
  { type: "video.deleted", description: "a video was deleted" },
];

/** How a delivery went, in a few words: "Delivered (200)", "Retrying: connection refused", "Failed: answered 500". */
export function deliveryOutcome(delivery: WebhookDelivery): string {
  const why = delivery.last_error ?? (delivery.last_status_code ? `answered ${delivery.last_status_code}` : "");
  if (delivery.status === "delivered") {
    return delivery.last_status_code ? `Delivered (${delivery.last_status_code})` : "Delivered";
  }
  if (delivery.status === "failed") return why ? `Failed: ${why}` : "Failed";
  if (delivery.attempt_count === 0) return "Sending…";
  return why ? `Retrying: ${why}` : "Retrying";
}

/** Whether any delivery still waits for an attempt (the log then refreshes itself for a while). */
export const anyPending = (deliveries: WebhookDelivery[]) => deliveries.some((d) => d.status === "pending");
