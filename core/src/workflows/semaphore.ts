/**
 * A counting semaphore: the bounds on steps running at once (per run, per `foreach`, per server).
 * Waiters are served first come, first served; a waiter whose signal aborts leaves the queue.
 */

/** Hands a permit back; calling it again does nothing. */
export type Release = () => void;

/** A bound on how many holders run at once. */
export class Semaphore {
  private held = 0;
  private readonly waiting: { grant: () => void; signal: AbortSignal | undefined; onAbort: () => void }[] = [];

  /** @param permits holders at once; Infinity for no bound */
  constructor(readonly permits: number) {
    if (!(permits >= 1)) throw new RangeError(`permits must be at least 1, not ${permits}`);
  }

  /** Permits held now. */
  get inUse(): number {
    return this.held;
  }

  /** Holders waiting now. */
  get queued(): number {
    return this.waiting.length;
  }

  /**
   * Resolves with a release once a permit is free.
   * @throws the signal's reason when it aborts first.
   */
  acquire(signal?: AbortSignal): Promise<Release> {
    if (signal?.aborted) return Promise.reject(signal.reason as Error);
    if (this.held < this.permits) {
      this.held++;
      return Promise.resolve(this.releaser());
    }
    return new Promise((resolve, reject) => {
      const waiter = {
        signal,
        grant: () => {
          signal?.removeEventListener("abort", waiter.onAbort);
          resolve(this.releaser());
        },
        onAbort: () => {
          const at = this.waiting.indexOf(waiter);
          if (at >= 0) this.waiting.splice(at, 1);
          reject(signal!.reason);
        },
      };
      signal?.addEventListener("abort", waiter.onAbort, { once: true });
      this.waiting.push(waiter);
    });
  }

  private releaser(): Release {
    let released = false;
    return () => {
      if (released) return;
      released = true;
      const next = this.waiting.shift();
      // The permit passes straight to the next waiter; `held` stays the same.
      if (next) next.grant();
      else this.held--;
    };
  }
}
