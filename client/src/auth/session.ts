/**
 * Token session: holds tokens, persists them, and refreshes the access token before it expires.
 *
 * Tokens live in memory and are mirrored to sessionStorage. sessionStorage survives a reload of
 * the tab (so F5 does not sign people out) but not closing it, is never shared with other tabs,
 * and is never sent by the browser on its own (no CSRF, unlike cookies). localStorage would keep
 * a refresh token on disk indefinitely. Like any script-readable store it relies on the page
 * running no untrusted script, so the client loads no third-party code.
 */
import { ApiError } from "../api/client";
import type { TokenResponse } from "../api/types";

export interface SessionTokens {
  accessToken: string;
  idToken?: string;
  refreshToken?: string;
  /** Epoch milliseconds when the access token expires. */
  expiresAt: number;
  /** Epoch milliseconds when it was issued (to size the refresh margin). */
  issuedAt: number;
}

export type Refresher = (refreshToken: string) => Promise<TokenResponse>;

/** Refresh this long before expiry: a fifth of the lifetime, at most a minute. */
export function refreshMarginMs(lifetimeMs: number): number {
  return Math.min(60_000, Math.max(0, lifetimeMs) / 5);
}

/** Milliseconds from `now` until the refresh should run (0 = now). */
export function refreshDelayMs(tokens: Pick<SessionTokens, "expiresAt" | "issuedAt">, now: number): number {
  const margin = refreshMarginMs(tokens.expiresAt - tokens.issuedAt);
  return Math.max(0, tokens.expiresAt - margin - now);
}

/** Wait before retrying a refresh that failed for a network reason. */
const NETWORK_RETRY_MS = 15_000;

export interface TokenSessionOptions {
  refresher: Refresher;
  storage?: Storage | null;
  storageKey?: string;
  now?: () => number;
  onChange?: (tokens: SessionTokens | null) => void;
}

export class TokenSession {
  private tokens: SessionTokens | null = null;
  private timer: ReturnType<typeof setTimeout> | null = null;
  private inflight: Promise<string | null> | null = null;
  private readonly opts: Required<Omit<TokenSessionOptions, "storage" | "onChange">> &
    Pick<TokenSessionOptions, "storage" | "onChange">;

  constructor(opts: TokenSessionOptions) {
    this.opts = { storageKey: "videoforge.session", now: () => Date.now(), ...opts };
  }

  get current(): SessionTokens | null {
    return this.tokens;
  }

  /** Loads tokens a previous page load left in storage; returns whether any were there. */
  restore(): boolean {
    const raw = this.opts.storage?.getItem(this.opts.storageKey);
    if (!raw) return false;
    try {
      const parsed = JSON.parse(raw) as SessionTokens;
      if (!parsed.accessToken || typeof parsed.expiresAt !== "number") throw new Error("bad shape");
      if (parsed.expiresAt <= this.opts.now() && !parsed.refreshToken) throw new Error("expired");
      this.tokens = parsed;
      this.schedule();
      return true;
    } catch {
      this.opts.storage?.removeItem(this.opts.storageKey);
      return false;
    }
  }

  /** Stores a token response; a response without refresh_token keeps the one we had. */
  set(response: TokenResponse): SessionTokens {
    const now = this.opts.now();
    const lifetime = Math.max(1, Number(response.expires_in) || 3600) * 1000;
    this.tokens = {
      accessToken: response.access_token,
      idToken: response.id_token ?? this.tokens?.idToken,
      refreshToken: response.refresh_token ?? this.tokens?.refreshToken,
      issuedAt: now,
      expiresAt: now + lifetime,
    };
    this.persist();
    this.schedule();
    this.opts.onChange?.(this.tokens);
    return this.tokens;
  }

  clear(): void {
    this.cancelTimer();
    const had = this.tokens !== null;
    this.tokens = null;
    this.opts.storage?.removeItem(this.opts.storageKey);
    if (had) this.opts.onChange?.(null);
  }

  /** The access token, refreshed first when inside the refresh margin (timers sleep in background tabs). */
  async getAccessToken(): Promise<string | null> {
    if (!this.tokens) return null;
    if (refreshDelayMs(this.tokens, this.opts.now()) === 0 && this.tokens.refreshToken) {
      const refreshed = await this.refresh();
      return refreshed ?? this.tokens?.accessToken ?? null;
    }
    return this.tokens.accessToken;
  }

  /**
   * Refreshes once even when many callers ask at the same time. A refusal (4xx) ends the
   * session; a network failure keeps the tokens and tries again later.
   */
  refresh(): Promise<string | null> {
    if (this.inflight) return this.inflight;
    const refreshToken = this.tokens?.refreshToken;
    if (!refreshToken) {
      this.clear();
      return Promise.resolve(null);
    }
    this.inflight = this.opts
      .refresher(refreshToken)
      .then((res) => this.set(res).accessToken)
      .catch((err: unknown) => {
        if (err instanceof ApiError && err.status >= 400 && err.status < 500) {
          this.clear();
          return null;
        }
        this.schedule(NETWORK_RETRY_MS);
        return null;
      })
      .finally(() => {
        this.inflight = null;
      });
    return this.inflight;
  }

  dispose(): void {
    this.cancelTimer();
  }

  private persist(): void {
    try {
      this.opts.storage?.setItem(this.opts.storageKey, JSON.stringify(this.tokens));
    } catch {
      // Storage full or disabled (private mode): the in-memory copy still works for this page.
    }
  }

  private cancelTimer(): void {
    if (this.timer !== null) clearTimeout(this.timer);
    this.timer = null;
  }

  private schedule(delayOverride?: number): void {
    this.cancelTimer();
    if (!this.tokens?.refreshToken) return;
    const delay = delayOverride ?? refreshDelayMs(this.tokens, this.opts.now());
    this.timer = setTimeout(() => {
      this.timer = null;
      void this.refresh();
    }, delay);
  }
}
