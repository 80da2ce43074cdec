/**
 * Plugin file I/O in flight, so that `/health` can say when it is stuck. Every file host function
 * runs on libuv's thread pool, which inference shares (the launcher gives it one thread): a call
 * that has not returned long after any regular file would have means that thread is blocked, and
 * with it every later file read and chat completion. fs-grants refuses what could block (FIFOs,
 * sockets, devices); this is how a blocked thread would show anyway (a hung network mount).
 */

/** How long one file operation may be in flight before it counts as stuck. @default 10 s */
export const STUCK_IO_MS = 10_000;

/** Operations in flight, each with when it started; one per process, as the thread pool is. */
export class IoWatch {
  private readonly inFlight = new Map<number, { what: string; since: number }>();
  private next = 0;
  private readonly now: () => number;

  constructor(now: () => number = Date.now) {
    this.now = now;
  }

  /**
   * Counts `work` as in flight until it settles, even when its caller stopped waiting (a timed out
   * call abandons the promise, not the thread running it). Returns `work`.
   */
  watch<T>(what: string, work: Promise<T>): Promise<T> {
    const id = this.next++;
    this.inFlight.set(id, { what, since: this.now() });
    work.then(
      () => this.inFlight.delete(id),
      () => this.inFlight.delete(id),
    );
    return work;
  }

  /** Why plugin I/O cannot serve: one reason per operation in flight for `afterMs` or more. */
  stuck(afterMs = STUCK_IO_MS): string[] {
    const now = this.now();
    return [...this.inFlight.values()]
      .filter((op) => now - op.since >= afterMs)
      .map((op) => `plugin file I/O stuck for ${Math.round((now - op.since) / 1000)} s (${op.what}): the thread pool it shares with inference may be blocked`);
  }
}

/** The server's one watch over plugin file I/O (host-functions.ts feeds it, `/health` reads it). */
export const pluginIo = new IoWatch();
