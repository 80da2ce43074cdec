/**
 * A model's slots and the FIFO queue of requests waiting for one. Pure bookkeeping, no llama.cpp:
 * the engine decides what a slot is (a context sequence) and this class decides who gets it when.
 */
import { retryLater } from "../errors.js";

/** A slot held by one request; `release()` hands it to the next waiter (idempotent). */
export interface SlotLease<Slot> {
  readonly slot: Slot;
  release(): void;
}

interface Waiter<Slot> {
  resolve(lease: SlotLease<Slot>): void;
  reject(err: unknown): void;
  pick?: (free: readonly Slot[]) => Slot;
  cleanup(): void;
}

/** Options of {@link SlotQueue}. */
export interface SlotQueueOptions<Slot> {
  slots: readonly Slot[];
  /** Requests that may wait beyond the busy slots; one more is refused with 503. */
  queueSize: number;
  /** Seconds a client is told to wait before retrying a refused request. @default 1 */
  retryAfterSeconds?: number;
}

/**
 * Hands out a fixed set of slots in arrival order. A request beyond the slots waits in a FIFO queue
 * of `queueSize`; one beyond that gets `server_overloaded` (503, `Retry-After`). An aborted waiter
 * leaves the queue at once.
 */
export class SlotQueue<Slot> {
  private readonly free: Slot[];
  private readonly waiters: Waiter<Slot>[] = [];
  private readonly queueSize: number;
  private readonly retryAfterSeconds: number;
  private readonly total: number;

  constructor(options: SlotQueueOptions<Slot>) {
    this.free = [...options.slots];
    this.total = options.slots.length;
    this.queueSize = options.queueSize;
    this.retryAfterSeconds = options.retryAfterSeconds ?? 1;
  }

  /** Slots in all. */
  get size(): number {
    return this.total;
  }

  /** Slots in use now. */
  get busy(): number {
    return this.total - this.free.length;
  }

  /** Requests waiting now. */
  get waiting(): number {
    return this.waiters.length;
  }

  /**
   * Takes a slot, waiting in line if none is free.
   * @param pick chooses among free slots (say, the one whose cache shares the longest prefix);
   *   the first free one by default.
   * @throws ShimmyError `server_overloaded` when the queue is full; the signal's reason when aborted.
   */
  acquire(signal: AbortSignal, pick?: (free: readonly Slot[]) => Slot): Promise<SlotLease<Slot>> {
    if (signal.aborted) return Promise.reject(signal.reason);
    if (this.free.length > 0 && this.waiters.length === 0) {
      return Promise.resolve(this.lease(this.take(pick)));
    }
    if (this.waiters.length >= this.queueSize) {
      return Promise.reject(
        retryLater(`All ${this.total} slots are busy and ${this.waiters.length} requests are already waiting; retry shortly.`, {
          retryAfterSeconds: this.retryAfterSeconds,
        }),
      );
    }
    return new Promise((resolve, reject) => {
      const onAbort = () => {
        const index = this.waiters.indexOf(waiter);
        if (index >= 0) this.waiters.splice(index, 1);
        reject(signal.reason);
      };
      const waiter: Waiter<Slot> = {
        resolve,
        reject,
        pick,
        cleanup: () => signal.removeEventListener("abort", onAbort),
      };
      signal.addEventListener("abort", onAbort, { once: true });
      this.waiters.push(waiter);
    });
  }

  /** Refuses every waiter with `err`; used on shutdown. */
  rejectWaiters(err: unknown): void {
    for (const waiter of this.waiters.splice(0)) {
      waiter.cleanup();
      waiter.reject(err);
    }
  }

  private take(pick?: (free: readonly Slot[]) => Slot): Slot {
    const chosen = pick ? pick(this.free) : this.free[0]!;
    this.free.splice(this.free.indexOf(chosen), 1);
    return chosen;
  }

  private lease(slot: Slot): SlotLease<Slot> {
    let released = false;
    return {
      slot,
      release: () => {
        if (released) return;
        released = true;
        this.free.push(slot);
        const next = this.waiters.shift();
        if (next) {
          next.cleanup();
          next.resolve(this.lease(this.take(next.pick)));
        }
      },
    };
  }
}
