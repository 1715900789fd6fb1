/** Upload speed over a sliding window, and the time left it implies. */

export class SpeedMeter {
  private samples: { t: number; bytes: number }[] = [];

  constructor(
    private readonly windowMs = 5000,
    private readonly now: () => number = () => performance.now(),
  ) {}

  /** Records the total bytes sent so far. A drop (a part restarted) starts the window afresh. */
  add(totalBytes: number): void {
    const t = this.now();
    const last = this.samples[this.samples.length - 1];
    if (last && totalBytes < last.bytes) this.samples = [];
    this.samples.push({ t, bytes: totalBytes });
    // Keep one sample older than the window so the rate always spans the whole window.
    while (this.samples.length > 2 && t - this.samples[1].t >= this.windowMs) this.samples.shift();
  }

  /** Bytes per second, or null until there is at least half a second of data. */
  bytesPerSecond(): number | null {
    if (this.samples.length < 2) return null;
    const first = this.samples[0];
    const last = this.samples[this.samples.length - 1];
    const dt = last.t - first.t;
    if (dt < 500) return null;
    return ((last.bytes - first.bytes) * 1000) / dt;
  }

  /** Seconds to send `remainingBytes` at the current rate; null when the rate is unknown or zero. */
  secondsLeft(remainingBytes: number): number | null {
    const rate = this.bytesPerSecond();
    if (!rate || rate <= 0) return null;
    return Math.max(0, remainingBytes) / rate;
  }

  reset(): void {
    this.samples = [];
  }
}
