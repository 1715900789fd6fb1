/** Webhook endpoints: register (the secret comes back once), list, change, delete, roll the secret (the new one
 * comes back once); a test event; the delivery log and replays. */
import { api, apiRequest } from "./client";
import type {
  CreatedWebhookEndpoint,
  RolledWebhookEndpoint,
  WebhookDelivery,
  WebhookEndpoint,
  WebhookEventType,
} from "./types";

const enc = encodeURIComponent;

export interface NewWebhookEndpoint {
  url: string;
  events: WebhookEventType[];
  description?: string;
}

export interface WebhookEndpointEdits {
  url?: string;
  events?: WebhookEventType[];
  description?: string;
  enabled?: boolean;
}

export const listWebhooks = () => api<WebhookEndpoint[]>("/api/webhooks");

/** The answer holds the endpoint's signing secret, this once. */
export const createWebhook = (body: NewWebhookEndpoint) =>
  api<CreatedWebhookEndpoint>("/api/webhooks", { method: "POST", body });

export const updateWebhook = (id: string, edits: WebhookEndpointEdits) =>
  api<WebhookEndpoint>(`/api/webhooks/${enc(id)}`, { method: "PATCH", body: edits });

export const deleteWebhook = (id: string) => api<null>(`/api/webhooks/${enc(id)}`, { method: "DELETE" });

/** A new signing secret, in this answer only; the old one goes on signing beside it for `expireOldInHours` (0 to
 * 72; 0 stops it at once). */
export const rollWebhookSecret = (id: string, expireOldInHours: number) =>
  api<RolledWebhookEndpoint>(`/api/webhooks/${enc(id)}/secret`, {
    method: "POST",
    body: { expire_old_in_hours: expireOldInHours },
  });

/** Queues a `webhook.test` event; the worker sends it within seconds (the delivery log shows how it went). */
export const sendTestEvent = (id: string) =>
  api<WebhookDelivery>(`/api/webhooks/${enc(id)}/test`, { method: "POST", body: {} });

export interface DeliveryPage {
  deliveries: WebhookDelivery[];
  total: number;
}

export const DELIVERY_PAGE_SIZE = 20;

/** The endpoint's deliveries, newest first, each with its attempts. */
export async function listDeliveries(id: string, page = 1, pageSize = DELIVERY_PAGE_SIZE): Promise<DeliveryPage> {
  const res = await apiRequest<WebhookDelivery[]>(`/api/webhooks/${enc(id)}/deliveries`, {
    query: { page, page_size: pageSize },
  });
  const deliveries = Array.isArray(res.data) ? res.data : [];
  return { deliveries, total: res.pagination?.total ?? deliveries.length };
}

/** Sends a delivery's event again now (the same event id). */
export const replayDelivery = (deliveryId: string) =>
  api<WebhookDelivery>(`/api/webhooks/deliveries/${enc(deliveryId)}/replay`, { method: "POST", body: {} });
