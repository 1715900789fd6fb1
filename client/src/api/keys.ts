/** Personal API keys: the signed-in person's (create, list, revoke) and administrators' (list, revoke anyone's). */
import { api, apiRequest } from "./client";
import type { ApiKey, ApiKeyScope, CreatedApiKey, OwnedApiKey } from "./types";

const enc = encodeURIComponent;

export interface NewApiKey {
  name: string;
  scopes: ApiKeyScope[];
  /** Days until it stops working; null or absent: never (unless the server bounds every key's lifetime). */
  expires_in_days?: number | null;
}

export const listApiKeys = () => api<ApiKey[]>("/api/auth/keys");

/** The answer holds the key itself, this once. */
export const createApiKey = (body: NewApiKey) => api<CreatedApiKey>("/api/auth/keys", { method: "POST", body });

export const revokeApiKey = (id: string) => api<null>(`/api/auth/keys/${enc(id)}`, { method: "DELETE" });

export interface ApiKeyPage {
  keys: OwnedApiKey[];
  total: number;
}

/** Everyone's live keys, newest first, or one person's (`user`: an email or a user id). */
export const listEveryonesApiKeys = async (user?: string, pageSize = 100): Promise<ApiKeyPage> => {
  const res = await apiRequest<OwnedApiKey[]>("/api/auth/admin/keys", {
    query: { user: user?.trim() || undefined, page: 1, page_size: pageSize },
  });
  const keys = Array.isArray(res.data) ? res.data : [];
  return { keys, total: res.pagination?.total ?? keys.length };
};

export const adminRevokeApiKey = (id: string) => api<null>(`/api/auth/admin/keys/${enc(id)}`, { method: "DELETE" });
