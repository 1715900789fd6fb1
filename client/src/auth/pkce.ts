/** OAuth 2.0 authorization code + PKCE (RFC 7636) helpers for Cognito's hosted UI. */
import { ApiError } from "../api/client";
import type { AuthConfig, TokenResponse } from "../api/types";

export type CognitoConfig = Extract<AuthConfig, { flow: "cognito" }>;

const PENDING_KEY = "videoforge.pkce";

export function base64url(bytes: Uint8Array): string {
  let binary = "";
  for (const b of bytes) binary += String.fromCharCode(b);
  return btoa(binary).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
}

/** A random URL-safe string; 48 bytes give a 64-character verifier (RFC 7636 allows 43-128). */
export function randomUrlSafe(byteCount = 48): string {
  return base64url(crypto.getRandomValues(new Uint8Array(byteCount)));
}

/** code_challenge = BASE64URL(SHA-256(ASCII(code_verifier))). */
export async function challengeS256(verifier: string): Promise<string> {
  const digest = await crypto.subtle.digest("SHA-256", new TextEncoder().encode(verifier));
  return base64url(new Uint8Array(digest));
}

export function scopeString(scopes: CognitoConfig["scopes"]): string {
  if (!scopes) return "openid email";
  return Array.isArray(scopes) ? scopes.join(" ") : scopes;
}

export function buildAuthorizeUrl(config: CognitoConfig, state: string, challenge: string): string {
  const url = new URL(config.authorize_url);
  url.searchParams.set("response_type", "code");
  url.searchParams.set("client_id", config.client_id);
  url.searchParams.set("redirect_uri", config.redirect_uri);
  url.searchParams.set("scope", scopeString(config.scopes));
  url.searchParams.set("state", state);
  url.searchParams.set("code_challenge", challenge);
  url.searchParams.set("code_challenge_method", "S256");
  return url.toString();
}

interface PendingSignIn {
  state: string;
  verifier: string;
  returnTo: string;
}

/** Creates verifier and state, remembers them for the callback, and returns the URL to send the browser to. */
export async function beginSignIn(config: CognitoConfig, storage: Storage, returnTo: string): Promise<string> {
  const verifier = randomUrlSafe();
  const state = randomUrlSafe(16);
  const pending: PendingSignIn = { state, verifier, returnTo };
  storage.setItem(PENDING_KEY, JSON.stringify(pending));
  return buildAuthorizeUrl(config, state, await challengeS256(verifier));
}

/** True when the URL query looks like an authorization server's redirect back to us. */
export function isCallback(search: string): boolean {
  const params = new URLSearchParams(search);
  return params.has("state") && (params.has("code") || params.has("error"));
}

async function postForm(url: string, form: Record<string, string>): Promise<TokenResponse> {
  let res: Response;
  try {
    res = await fetch(url, {
      method: "POST",
      headers: { "Content-Type": "application/x-www-form-urlencoded", Accept: "application/json" },
      body: new URLSearchParams(form).toString(),
    });
  } catch {
    throw new ApiError(0, "Cannot reach the sign-in server.");
  }
  const body = (await res.json().catch(() => ({}))) as Record<string, unknown>;
  if (!res.ok) {
    const message = String(body.error_description ?? body.error ?? `Sign-in server answered ${res.status}`);
    throw new ApiError(res.status, message, {}, body);
  }
  return body as unknown as TokenResponse;
}

/**
 * Checks `state` against the one we stored (so a forged redirect cannot sign someone in),
 * then exchanges the code and verifier for tokens. Returns tokens and where to go next.
 */
export async function completeSignIn(
  config: CognitoConfig,
  storage: Storage,
  search: string,
): Promise<{ tokens: TokenResponse; returnTo: string }> {
  const params = new URLSearchParams(search);
  const raw = storage.getItem(PENDING_KEY);
  storage.removeItem(PENDING_KEY);
  if (params.get("error")) {
    throw new ApiError(400, `Sign-in was refused: ${params.get("error_description") || params.get("error")}`);
  }
  const pending = raw ? (JSON.parse(raw) as PendingSignIn) : null;
  if (!pending || pending.state !== params.get("state")) {
    throw new ApiError(400, "Sign-in response does not match the request that started it (state mismatch). Please sign in again.");
  }
  const tokens = await postForm(config.token_url, {
    grant_type: "authorization_code",
    client_id: config.client_id,
    code: params.get("code") ?? "",
    redirect_uri: config.redirect_uri,
    code_verifier: pending.verifier,
  });
  return { tokens, returnTo: pending.returnTo };
}

/** Cognito's refresh grant; the answer carries no new refresh token, so the caller keeps the old one. */
export function refreshWithCognito(config: CognitoConfig, refreshToken: string): Promise<TokenResponse> {
  return postForm(config.token_url, {
    grant_type: "refresh_token",
    client_id: config.client_id,
    refresh_token: refreshToken,
  });
}

/** Hosted-UI logout URL; client_id and logout_uri are added unless the backend already put them in. */
export function buildLogoutUrl(config: CognitoConfig, returnUri: string): string | null {
  if (!config.logout_url) return null;
  const url = new URL(config.logout_url);
  if (!url.searchParams.has("client_id")) url.searchParams.set("client_id", config.client_id);
  if (!url.searchParams.has("logout_uri") && !url.searchParams.has("redirect_uri")) {
    url.searchParams.set("logout_uri", returnUri);
  }
  return url.toString();
}
