/** Token refresh scheduling, single-flight refresh, and what a refusal or an outage does. */
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { ApiError } from "../src/api/client";
import type { TokenResponse } from "../src/api/types";
import { refreshDelayMs, refreshMarginMs, TokenSession } from "../src/auth/session";
import { MemoryStorage } from "./memoryStorage";

const token = (n: number, extra: Partial<TokenResponse> = {}): TokenResponse => ({
  access_token: `access-${n}`,
  id_token: `id-${n}`,
  refresh_token: `refresh-${n}`,
  token_type: "Bearer",
  expires_in: 3600,
  ...extra,
});

describe("refresh timing", () => {
  it("refreshes a minute early for long tokens and a fifth early for short ones", () => {
    expect(refreshMarginMs(3_600_000)).toBe(60_000);
    expect(refreshMarginMs(100_000)).toBe(20_000);
    expect(refreshDelayMs({ issuedAt: 0, expiresAt: 3_600_000 }, 0)).toBe(3_540_000);
    expect(refreshDelayMs({ issuedAt: 0, expiresAt: 3_600_000 }, 3_590_000)).toBe(0);
  });
});

describe("TokenSession", () => {
  beforeEach(() => {
    vi.useFakeTimers();
    vi.setSystemTime(1_000_000);
  });
  afterEach(() => vi.useRealTimers());

  it("refreshes on a timer before expiry and keeps the refresh token when the answer has none", async () => {
    const calls: string[] = [];
    const session = new TokenSession({
      storage: new MemoryStorage(),
      refresher: async (rt) => {
        calls.push(rt);
        return token(2, { refresh_token: undefined });
      },
    });
    session.set(token(1));
    await vi.advanceTimersByTimeAsync(3_539_000);
    expect(calls).toEqual([]);
    await vi.advanceTimersByTimeAsync(2_000);
    expect(calls).toEqual(["refresh-1"]);
    expect(session.current?.accessToken).toBe("access-2");
    expect(session.current?.refreshToken).toBe("refresh-1");
    session.dispose();
  });

  it("refreshes once for many callers when the token is about to expire", async () => {
    let calls = 0;
    const session = new TokenSession({
      refresher: async () => {
        calls += 1;
        await new Promise((r) => setTimeout(r, 10));
        return token(2);
      },
    });
    session.set(token(1, { expires_in: 30 }));
    vi.setSystemTime(1_000_000 + 29_000);
    const pending = Promise.all([session.getAccessToken(), session.getAccessToken(), session.getAccessToken()]);
    await vi.advanceTimersByTimeAsync(20);
    expect(await pending).toEqual(["access-2", "access-2", "access-2"]);
    expect(calls).toBe(1);
    session.dispose();
  });

  it("a refused refresh ends the session and clears storage", async () => {
    const storage = new MemoryStorage();
    const changes: (string | null)[] = [];
    const session = new TokenSession({
      storage,
      refresher: async () => {
        throw new ApiError(401, "refresh token revoked");
      },
      onChange: (t) => changes.push(t?.accessToken ?? null),
    });
    session.set(token(1));
    expect(storage.getItem("videoforge.session")).toContain("access-1");
    expect(await session.refresh()).toBeNull();
    expect(session.current).toBeNull();
    expect(storage.length).toBe(0);
    expect(changes).toEqual(["access-1", null]);
  });

  it("a network failure keeps the tokens and tries again later", async () => {
    let calls = 0;
    const session = new TokenSession({
      refresher: async () => {
        calls += 1;
        if (calls === 1) throw new ApiError(0, "offline");
        return token(2);
      },
    });
    session.set(token(1));
    expect(await session.refresh()).toBeNull();
    expect(session.current?.accessToken).toBe("access-1");
    await vi.advanceTimersByTimeAsync(15_000);
    expect(calls).toBe(2);
    expect(session.current?.accessToken).toBe("access-2");
    session.dispose();
  });

  it("restores from storage after a reload and drops garbage", () => {
    const storage = new MemoryStorage();
    const first = new TokenSession({ storage, refresher: async () => token(9) });
    first.set(token(1));
    first.dispose();
    const second = new TokenSession({ storage, refresher: async () => token(9) });
    expect(second.restore()).toBe(true);
    expect(second.current?.accessToken).toBe("access-1");
    second.dispose();

    storage.setItem("videoforge.session", "{not json");
    const third = new TokenSession({ storage, refresher: async () => token(9) });
    expect(third.restore()).toBe(false);
    expect(storage.getItem("videoforge.session")).toBeNull();
  });
});
