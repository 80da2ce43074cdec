/**
 * Retention of stored responses: expired ones are already hidden from every read (`get`,
 * `chainItems` compare `expires_at` with the clock), so the sweep only reclaims their rows, at
 * start and then on a timer. Conversations have no expiry and are never swept.
 */
import type { ResponseStore } from "./responses-repo.js";

/** How often expired responses are deleted: hourly. */
export const DEFAULT_SWEEP_INTERVAL_MS = 3_600_000;

/** Options of {@link startResponseSweep}. */
export interface ResponseSweepOptions {
  responses: Pick<ResponseStore, "deleteExpired">;
  /** Between two sweeps, in ms. @default DEFAULT_SWEEP_INTERVAL_MS */
  intervalMs?: number;
  /** The clock, in ms since the epoch. @default Date.now */
  now?: () => number;
  /** Told how many responses a sweep deleted, when it deleted some. */
  onSwept?(count: number): void;
  /** Where a failed sweep is reported (a locked or closed database); the next one runs anyway. */
  onError(error: unknown): void;
}

/** A running sweep. */
export interface ResponseSweep {
  /** Sweeps now; resolves to how many responses were deleted. */
  sweep(): Promise<number>;
  /** Stops the timer; idempotent. Call it before closing the database. */
  stop(): void;
}

/**
 * Sweeps once at once (a server down for weeks comes back with its backlog cleared), then every
 * `intervalMs`. The timer is unref'd: it never keeps the process alive.
 *
 * @example
 * const sweep = startResponseSweep({ responses, onError: (err) => logger.warn({ err }, "sweep failed") });
 * // at shutdown
 * sweep.stop();
 * state.dispose();
 */
export function startResponseSweep(options: ResponseSweepOptions): ResponseSweep {
  const { responses, intervalMs = DEFAULT_SWEEP_INTERVAL_MS, now = Date.now } = options;
  let stopped = false;
  const sweep = async (): Promise<number> => {
    const count = await responses.deleteExpired(Math.floor(now() / 1000));
    if (count > 0) options.onSwept?.(count);
    return count;
  };
  const run = () => {
    if (!stopped) sweep().catch((error: unknown) => options.onError(error));
  };
  const timer = setInterval(run, intervalMs);
  timer.unref();
  setImmediate(run);
  return {
    sweep,
    stop: () => {
      stopped = true;
      clearInterval(timer);
    },
  };
}
