/** Fetch wrapper: bearer token, one retry after a token refresh, and the backend's error shape as ApiError. */
import type { Pagination } from "./types";

/** Field name -> message, flattened from the backend's nested `errors` object. */
export type FieldErrors = Record<string, string>;

export class ApiError extends Error {
  readonly status: number;
  readonly fieldErrors: FieldErrors;
  readonly body: unknown;

  constructor(status: number, message: string, fieldErrors: FieldErrors = {}, body: unknown = null) {
    super(message);
    this.name = "ApiError";
    this.status = status;
    this.fieldErrors = fieldErrors;
    this.body = body;
  }
}

/**
 * Flattens `errors` into field -> message. flask-smorest nests validation errors by location
 * (`{"json": {"title": ["Missing data"]}}`), so the location level is dropped when it is one.
 */
export function flattenFieldErrors(errors: unknown): FieldErrors {
  const out: FieldErrors = {};
  const locations = new Set(["json", "query", "form", "headers", "files", "path", "cookies"]);
  const walk = (value: unknown, path: string[]) => {
    if (value == null) return;
    if (Array.isArray(value)) {
      if (value.every((v) => typeof v !== "object" || v === null)) {
        out[path.join(".") || "_"] = value.map(String).join(" ");
      } else {
        value.forEach((v, i) => walk(v, [...path, String(i)]));
      }
      return;
    }
    if (typeof value === "object") {
      for (const [key, inner] of Object.entries(value as Record<string, unknown>)) {
        walk(inner, path.length === 0 && locations.has(key) ? [] : [...path, key]);
      }
      return;
    }
    out[path.join(".") || "_"] = String(value);
  };
  walk(errors, []);
  return out;
}

/** Builds an ApiError from a failed response's status and (maybe JSON) body text. */
export function errorFromResponse(status: number, statusText: string, bodyText: string): ApiError {
  let body: unknown = null;
  try {
    body = bodyText ? JSON.parse(bodyText) : null;
  } catch {
    body = null;
  }
  const obj = body && typeof body === "object" ? (body as Record<string, unknown>) : {};
  const fieldErrors = flattenFieldErrors(obj.errors);
  const fallback = typeof obj.status === "string" ? obj.status : statusText || `HTTP ${status}`;
  const message =
    typeof obj.message === "string" && obj.message
      ? obj.message
      : Object.keys(fieldErrors).length
        ? `${fallback}: check the highlighted fields`
        : fallback;
  return new ApiError(status, message, fieldErrors, body);
}

/** Parses the X-Pagination header (JSON); null when absent or malformed. */
export function parsePagination(header: string | null): Pagination | null {
  if (!header) return null;
  try {
    const value = JSON.parse(header) as Pagination;
    return typeof value === "object" && value !== null ? value : null;
  } catch {
    return null;
  }
}

export interface AuthHooks {
  /** Current access token, refreshed first if it is about to expire; null when signed out. */
  getAccessToken(): Promise<string | null>;
  /** Forces a refresh after the server said 401; resolves to the new token or null. */
  refreshAfterUnauthorized(): Promise<string | null>;
}

let authHooks: AuthHooks | null = null;
let apiBase = "";

/** Connects the API helper to the session that owns the tokens. */
export function setAuthHooks(hooks: AuthHooks | null): void {
  authHooks = hooks;
}

/** Prefix for every API path; empty in the browser (same origin), a loopback URL in tests. */
export function setApiBase(base: string): void {
  apiBase = base.replace(/\/$/, "");
}

export function apiUrl(path: string): string {
  return /^https?:\/\//.test(path) ? path : apiBase + path;
}

export interface ApiRequest {
  method?: string;
  body?: unknown;
  /** Send the bearer token (default true). Public endpoints still get it when signed in. */
  auth?: boolean;
  signal?: AbortSignal;
  query?: Record<string, string | number | undefined>;
}

export interface ApiResult<T> {
  data: T;
  pagination: Pagination | null;
  status: number;
}

function withQuery(path: string, query?: ApiRequest["query"]): string {
  if (!query) return path;
  const params = new URLSearchParams();
  for (const [k, v] of Object.entries(query)) if (v !== undefined && v !== "") params.set(k, String(v));
  const qs = params.toString();
  return qs ? `${path}${path.includes("?") ? "&" : "?"}${qs}` : path;
}

async function send(path: string, req: ApiRequest, token: string | null): Promise<Response> {
  const headers: Record<string, string> = { Accept: "application/json" };
  // A form (a file) goes as multipart/form-data: the browser writes that header with its boundary.
  const form = req.body instanceof FormData;
  if (req.body !== undefined && !form) headers["Content-Type"] = "application/json";
  if (token) headers.Authorization = `Bearer ${token}`;
  try {
    return await fetch(apiUrl(withQuery(path, req.query)), {
      method: req.method ?? (req.body !== undefined ? "POST" : "GET"),
      headers,
      body: form ? (req.body as FormData) : req.body !== undefined ? JSON.stringify(req.body) : undefined,
      signal: req.signal,
    });
  } catch (err) {
    if ((err as Error)?.name === "AbortError") throw err;
    throw new ApiError(0, "Cannot reach the server. Check your connection and try again.");
  }
}

/** Calls the API; resolves with parsed JSON (null for 204) or rejects with ApiError. */
export async function apiRequest<T = unknown>(path: string, req: ApiRequest = {}): Promise<ApiResult<T>> {
  const useAuth = req.auth !== false && authHooks !== null;
  let token = useAuth ? await authHooks!.getAccessToken() : null;
  let res = await send(path, req, token);
  if (res.status === 401 && useAuth && token) {
    // The token may have been revoked or expired in a sleeping tab: refresh once and retry.
    token = await authHooks!.refreshAfterUnauthorized();
    if (token) res = await send(path, req, token);
  }
  const text = await res.text();
  if (!res.ok) throw errorFromResponse(res.status, res.statusText, text);
  let data: unknown = null;
  if (text) {
    try {
      data = JSON.parse(text);
    } catch {
      throw new ApiError(res.status, `The server sent a response that is not JSON (${path}).`);
    }
  }
  return { data: data as T, pagination: parsePagination(res.headers.get("X-Pagination")), status: res.status };
}

/** Shorthand for apiRequest(...).data. */
export async function api<T = unknown>(path: string, req: ApiRequest = {}): Promise<T> {
  return (await apiRequest<T>(path, req)).data;
}
