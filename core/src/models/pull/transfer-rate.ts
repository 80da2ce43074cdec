/**
 * Rate and time left of a transfer, from byte counts over time. The rate is taken over the last few
 * seconds (a sliding window), so it follows a connection that speeds up or stalls instead of
 * averaging over the whole download.
 */

/** Rate and estimate at one moment. */
export interface TransferSample {
  /** Bytes a second over the window; 0 until two samples are in. */
  bytesPerSecond: number;
  /** Seconds left at that rate; null while the rate is unknown. */
  etaSeconds: number | null;
}

/** Measures one transfer of `total` bytes. */
export class TransferRate {
  private readonly total: number;
  private readonly windowMs: number;
  private readonly points: Array<{ at: number; bytes: number }> = [];

  /** @param windowMs how far back the rate looks. @default 3000 */
  constructor(total: number, windowMs = 3000) {
    this.total = total;
    this.windowMs = windowMs;
  }

  /** Records that `bytes` are done at `now` (ms) and returns the rate and estimate. */
  sample(bytes: number, now: number): TransferSample {
    this.points.push({ at: now, bytes });
    // Keep one point older than the window so the rate always spans it; the list stays bounded.
    while (this.points.length > 2 && this.points[1]!.at <= now - this.windowMs) this.points.shift();
    const first = this.points[0]!;
    const elapsed = (now - first.at) / 1000;
    const bytesPerSecond = elapsed > 0 ? (bytes - first.bytes) / elapsed : 0;
    const etaSeconds = bytesPerSecond > 0 ? Math.max(0, (this.total - bytes) / bytesPerSecond) : null;
    return { bytesPerSecond, etaSeconds };
  }
}
