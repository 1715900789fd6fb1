/** Multipart planning, resume bookkeeping, backoff, retry and the bounded pool. */
import { describe, expect, it } from "vitest";
import { backoffDelayMs, planParts, runPool, splitByReceived, withRetry } from "../src/upload/multipart";
import { TransferError } from "../src/upload/transfer";

describe("planParts", () => {
  it("covers the file exactly, last part short", () => {
    const plan = planParts(25, 10);
    expect(plan).toEqual([
      { number: 1, start: 0, end: 10 },
      { number: 2, start: 10, end: 20 },
      { number: 3, start: 20, end: 25 },
    ]);
  });

  it("gives one part for an exact fit and for an empty file", () => {
    expect(planParts(10, 10)).toHaveLength(1);
    expect(planParts(0, 10)).toEqual([{ number: 1, start: 0, end: 0 }]);
  });

  it("names the bad argument", () => {
    expect(() => planParts(10, 0)).toThrow(/part_size/);
    expect(() => planParts(-1, 5)).toThrow(/file size/);
  });
});

describe("splitByReceived", () => {
  const plan = planParts(25, 10);

  it("keeps intact parts with the server's ETag and resends missing or short ones", () => {
    const { done, toSend } = splitByReceived(plan, [
      { number: 1, etag: '"a"', size: 10 },
      { number: 2, etag: '"b"', size: 7 }, // cut short
    ]);
    expect([...done.entries()]).toEqual([[1, '"a"']]);
    expect(toSend.map((p) => p.number)).toEqual([2, 3]);
  });

  it("ignores parts the plan does not have", () => {
    const { done, toSend } = splitByReceived(plan, [{ number: 9, etag: '"z"', size: 10 }]);
    expect(done.size).toBe(0);
    expect(toSend).toHaveLength(3);
  });
});

describe("backoffDelayMs", () => {
  it("doubles per attempt, caps, and jitters between half and full", () => {
    expect(backoffDelayMs(0, 500, 8000, () => 1)).toBe(500);
    expect(backoffDelayMs(3, 500, 8000, () => 1)).toBe(4000);
    expect(backoffDelayMs(10, 500, 8000, () => 1)).toBe(8000);
    expect(backoffDelayMs(2, 500, 8000, () => 0)).toBe(1000);
  });
});

describe("withRetry", () => {
  const noWait = async () => undefined;

  it("retries retryable errors, then succeeds", async () => {
    let calls = 0;
    const result = await withRetry(
      async () => {
        calls += 1;
        if (calls < 3) throw new TransferError("http", "503", 503);
        return "ok";
      },
      { attempts: 4, wait: noWait },
    );
    expect(result).toBe("ok");
    expect(calls).toBe(3);
  });

  it("gives up at once on a 403 (an expired URL does not heal by waiting)", async () => {
    let calls = 0;
    await expect(
      withRetry(
        async () => {
          calls += 1;
          throw new TransferError("http", "403", 403);
        },
        { attempts: 4, wait: noWait },
      ),
    ).rejects.toThrow("403");
    expect(calls).toBe(1);
  });

  it("throws the last error when attempts run out", async () => {
    let calls = 0;
    await expect(
      withRetry(
        async () => {
          calls += 1;
          throw new TransferError("network", `fail ${calls}`);
        },
        { attempts: 3, wait: noWait },
      ),
    ).rejects.toThrow("fail 3");
  });
});

describe("runPool", () => {
  it("never runs more than the limit at once and runs every item", async () => {
    let active = 0;
    let peak = 0;
    const seen: number[] = [];
    await runPool([1, 2, 3, 4, 5, 6, 7, 8, 9], 4, async (n) => {
      active += 1;
      peak = Math.max(peak, active);
      await new Promise((r) => setTimeout(r, 5 + (n % 3)));
      seen.push(n);
      active -= 1;
    });
    expect(peak).toBe(4);
    expect(seen.sort((a, b) => a - b)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9]);
  });

  it("starts nothing new after a failure and rethrows it", async () => {
    const started: number[] = [];
    await expect(
      runPool([1, 2, 3, 4, 5, 6], 2, async (n) => {
        started.push(n);
        await new Promise((r) => setTimeout(r, 5));
        if (n === 1) throw new Error("part 1 broke");
      }),
    ).rejects.toThrow("part 1 broke");
    expect(started.length).toBeLessThan(6);
  });
});
