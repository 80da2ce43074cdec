/**
 * Picks which upstream serves a request: among the healthy candidates with room under their
 * `maxConcurrency`, the one with the fewest requests in flight (least outstanding requests; ties go
 * to the one picked longest ago). When every healthy candidate is full the request waits in one
 * FIFO line, up to `queueSize`; one more is refused with `server_overloaded` (503, `Retry-After`).
 */
import { ShimmyError, retryLater } from "../../errors.js";
import type { UpstreamMember } from "./upstream-member.js";

/** An upstream taken for one request; `release()` (idempotent) lets the next waiter in. */
export interface UpstreamLease {
  readonly member: UpstreamMember;
  release(): void;
}

/** Which members may serve one request. */
export interface AcquireOptions {
  /** The id the client asked for, for messages. */
  model: string;
  /** Members already tried for this request (they failed): not picked again. */
  exclude?: ReadonlySet<string>;
  /** A member to take when it is free, such as the one an earlier round of a chat session used. */
  prefer?: string;
}

interface Waiter {
  candidates: readonly UpstreamMember[];
  options: AcquireOptions;
  resolve(lease: UpstreamLease): void;
  reject(err: unknown): void;
  cleanup(): void;
}

/** Options of {@link UpstreamBalancer}. */
export interface UpstreamBalancerOptions {
  /** Requests that may wait when every candidate is full. @default 64 */
  queueSize?: number;
}

/** Least-outstanding-requests balancing over upstream members, with a bounded wait line. */
export class UpstreamBalancer {
  private readonly waiters: Waiter[] = [];
  private readonly queueSize: number;
  private picks = 0;

  constructor(options: UpstreamBalancerOptions = {}) {
    this.queueSize = options.queueSize ?? 64;
  }

  /** Requests waiting for a free upstream now. */
  get waiting(): number {
    return this.waiters.length;
  }

  /**
   * Takes the least busy healthy candidate, waiting if all are full.
   * @throws ShimmyError `upstream_unavailable` when no candidate is healthy, `server_overloaded` when
   *   the line is full; the signal's reason when aborted.
   */
  acquire(candidates: readonly UpstreamMember[], signal: AbortSignal, options: AcquireOptions): Promise<UpstreamLease> {
    if (signal.aborted) return Promise.reject(signal.reason);
    const usable = this.usable(candidates, options);
    if (usable.length === 0) return Promise.reject(noneHealthy(candidates, options));
    const picked = this.waiters.length === 0 ? this.pick(usable, options.prefer) : undefined;
    if (picked) return Promise.resolve(this.lease(picked));
    if (this.waiters.length >= this.queueSize) {
      return Promise.reject(retryLater(`Every upstream serving "${options.model}" is at its maxConcurrency and ${this.waiters.length} requests are already waiting; retry shortly.`));
    }
    return new Promise<UpstreamLease>((resolve, reject) => {
      const onAbort = () => {
        this.remove(waiter);
        reject(signal.reason);
      };
      const waiter: Waiter = { candidates, options, resolve, reject, cleanup: () => signal.removeEventListener("abort", onAbort) };
      signal.addEventListener("abort", onAbort, { once: true });
      this.waiters.push(waiter);
    });
  }

  /**
   * Lets waiters in after a member's health or load changed: each, in order, takes a free
   * candidate; one whose candidates are all unhealthy now fails with `upstream_unavailable`.
   */
  pump(): void {
    for (const waiter of [...this.waiters]) {
      const usable = this.usable(waiter.candidates, waiter.options);
      if (usable.length === 0) {
        this.remove(waiter);
        waiter.reject(noneHealthy(waiter.candidates, waiter.options));
        continue;
      }
      const picked = this.pick(usable, waiter.options.prefer);
      if (!picked) continue;
      this.remove(waiter);
      waiter.resolve(this.lease(picked));
    }
  }

  /** Fails every waiter (the server is shutting down). */
  close(reason: unknown): void {
    for (const waiter of this.waiters.splice(0)) {
      waiter.cleanup();
      waiter.reject(reason);
    }
  }

  private usable(candidates: readonly UpstreamMember[], options: AcquireOptions): UpstreamMember[] {
    return candidates.filter((m) => m.healthy && !options.exclude?.has(m.name));
  }

  /** The free member with the fewest requests in flight, `prefer` first when it is free. */
  private pick(usable: readonly UpstreamMember[], prefer?: string): UpstreamMember | undefined {
    const free = usable.filter((m) => m.free);
    const preferred = prefer === undefined ? undefined : free.find((m) => m.name === prefer);
    if (preferred) return preferred;
    let best: UpstreamMember | undefined;
    for (const member of free) {
      if (!best || member.outstanding < best.outstanding || (member.outstanding === best.outstanding && member.lastPicked < best.lastPicked)) best = member;
    }
    return best;
  }

  private lease(member: UpstreamMember): UpstreamLease {
    member.outstanding++;
    member.lastPicked = ++this.picks;
    let released = false;
    return {
      member,
      release: () => {
        if (released) return;
        released = true;
        member.outstanding--;
        this.pump();
      },
    };
  }

  private remove(waiter: Waiter): void {
    const index = this.waiters.indexOf(waiter);
    if (index >= 0) this.waiters.splice(index, 1);
    waiter.cleanup();
  }
}

function noneHealthy(candidates: readonly UpstreamMember[], options: AcquireOptions): ShimmyError {
  const why = candidates.map((m) => `"${m.name}"${m.error ? ` (${m.error})` : options.exclude?.has(m.name) ? " (failed this request)" : ""}`).join(", ");
  return new ShimmyError("upstream_unavailable", `No upstream can serve "${options.model}" now: ${why} ${candidates.length === 1 ? "is" : "are"} unavailable.`);
}
