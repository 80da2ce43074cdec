/**
 * A fixed pool of plugin instances. An instance runs one call at a time, so each call takes an idle
 * instance and callers wait in FIFO order, at most `maxQueue` of them. A call's `timeoutMs` counts
 * from the moment it asks: waiting in line and waiting for its instance to start are part of it. The
 * pool races every step against that deadline, the caller's signal and {@link InstancePool.dispose};
 * an instance whose call did not end cleanly (timeout, abort, trap, plugin error, an allocation cap
 * reached, a worker that died) is closed (its worker terminated) and replaced by a fresh one, since
 * its memory can no longer be trusted.
 *
 * Starts can fail too (a start function that traps, or one that spins past its deadline: a time
 * bomb that only goes off in replacement instances). After `maxStartFailures` failed starts in a
 * row the pool gives up: it starts nothing more, and every call fails at once with `start_failed`.
 */
import { HOST_LIMITS } from "@shimmy/plugin-sdk";
import { PluginCallError } from "./plugin-call-error.js";

/** One instance as the pool sees it. */
export interface PoolInstance {
  /** Calls an export with the input bytes; the output bytes, or null for no output. */
  call(exportName: string, input: Uint8Array): Promise<Uint8Array | null>;
  /** Ends the instance at once, even mid-call (terminates its worker and aborts its host I/O). */
  dispose(): Promise<void>;
}

/**
 * Makes a fresh instance from the already compiled module, under its own start deadline; `signal`
 * abandons the start (the pool was closed).
 */
export type InstanceFactory = (signal: AbortSignal) => Promise<PoolInstance>;

/** Calls that may wait for an instance of one plugin, unless {@link InstancePoolOptions.maxQueue} says otherwise. */
export const DEFAULT_MAX_QUEUE = HOST_LIMITS.queuedCallsPerPlugin;

/** Failed starts in a row after which a pool gives up, unless {@link InstancePoolOptions.maxStartFailures} says otherwise. */
export const DEFAULT_MAX_START_FAILURES = HOST_LIMITS.startFailuresInARow;

/** Options of {@link InstancePool.create}. */
export interface InstancePoolOptions {
  /** Instances, each running one call at a time. */
  size: number;
  /** Calls that may wait for a busy pool; one more fails with `busy`. @default DEFAULT_MAX_QUEUE */
  maxQueue?: number;
  /** Failed starts in a row after which the pool gives up (see the module comment). @default DEFAULT_MAX_START_FAILURES */
  maxStartFailures?: number;
  /** Abandons `create`: the starts in progress are terminated and `create` fails with `closed`. */
  signal?: AbortSignal;
  /** Called once, with the reason, when the pool gives up on starting instances. */
  onFailed?(reason: string): void;
}

interface Slot {
  instance: Promise<PoolInstance>;
  /** Where `instance` stands: a start still running is never thrown away for a call's sake. */
  state: "starting" | "up" | "failed";
}

interface Waiter {
  resolve: (slot: Slot) => void;
  reject: (error: unknown) => void;
  signal: AbortSignal;
  onAbort: () => void;
}

/** A call that failed inside the plugin: the instance's error, kept so the host can word it. */
export class InstanceCallFailure extends Error {
  constructor(readonly original: unknown) {
    super(typeof (original as Error)?.message === "string" ? (original as Error).message : String(original));
    this.name = "InstanceCallFailure";
  }
}

function closedError(): PluginCallError {
  return new PluginCallError("closed", "the plugin host was closed");
}

function positiveInteger(value: number, name: string): number {
  if (!Number.isInteger(value) || value < 1) throw new RangeError(`${name} must be a positive integer, not ${value}`);
  return value;
}

/** Rejects with the signal's reason as soon as it aborts, whatever `promise` does. */
function raceSignal<T>(promise: Promise<T>, signal: AbortSignal): Promise<T> {
  if (signal.aborted) return Promise.reject(signal.reason);
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(signal.reason);
    signal.addEventListener("abort", onAbort, { once: true });
    promise.then(
      (value) => {
        signal.removeEventListener("abort", onAbort);
        resolve(value);
      },
      (error: unknown) => {
        signal.removeEventListener("abort", onAbort);
        reject(error);
      },
    );
  });
}

/** A fixed-size pool of instances with a bounded FIFO queue of callers. */
export class InstancePool {
  private readonly factory: InstanceFactory;
  private readonly size: number;
  private readonly maxQueue: number;
  private readonly maxStartFailures: number;
  private readonly onFailed: ((reason: string) => void) | undefined;
  private readonly slots: Slot[] = [];
  private readonly idle: Slot[] = [];
  private readonly waiters: Waiter[] = [];
  private readonly inflight = new Set<AbortController>();
  /** Aborted by dispose(): abandons the starts in progress. */
  private readonly lifetime = new AbortController();
  private startFailures = 0;
  private gaveUp: PluginCallError | null = null;
  private closed = false;

  private constructor(factory: InstanceFactory, options: InstancePoolOptions) {
    this.factory = factory;
    this.size = positiveInteger(options.size, "poolSize");
    this.maxQueue = options.maxQueue === undefined ? DEFAULT_MAX_QUEUE : positiveInteger(options.maxQueue, "maxQueue");
    this.maxStartFailures = options.maxStartFailures === undefined ? DEFAULT_MAX_START_FAILURES : positiveInteger(options.maxStartFailures, "maxStartFailures");
    this.onFailed = options.onFailed;
    for (let i = 0; i < this.size; i++) {
      const slot: Slot = { instance: Promise.resolve(null as never), state: "starting" };
      this.start(slot);
      this.slots.push(slot);
      this.idle.push(slot);
    }
  }

  /**
   * Starts `size` instances; if any fails to start, the others are closed and its error thrown.
   *
   * @throws {RangeError} for a bad size, `maxQueue` or `maxStartFailures`.
   * @throws {PluginCallError} `start_failed` (or the worker's error) when an instance cannot start;
   *   `closed` when `signal` abandoned the start.
   */
  static async create(factory: InstanceFactory, options: InstancePoolOptions): Promise<InstancePool> {
    const pool = new InstancePool(factory, options);
    const onAbort = () => void pool.dispose();
    if (options.signal?.aborted) onAbort();
    options.signal?.addEventListener("abort", onAbort, { once: true });
    try {
      // The first failure ends the wait: the other starts are abandoned, not waited for.
      await Promise.all(pool.slots.map((slot) => slot.instance));
    } catch (error) {
      await pool.dispose();
      throw error;
    } finally {
      options.signal?.removeEventListener("abort", onAbort);
    }
    if (pool.closed) throw closedError();
    return pool;
  }

  /** Why the pool gave up on starting instances, or null while it runs. */
  get failure(): string | null {
    return this.gaveUp?.message ?? null;
  }

  /** Calls waiting for an instance now. */
  get waiting(): number {
    return this.waiters.length;
  }

  /**
   * Runs one call on an idle instance, waiting in line for one; `timeoutMs` counts from now.
   *
   * @throws {PluginCallError} `timeout`, `aborted`, `closed`, `busy` (the queue is full) or
   *   `start_failed` (its instance could not start, or the pool gave up).
   * @throws {InstanceCallFailure} when the plugin call itself failed (the instance is replaced).
   */
  async run(exportName: string, input: Uint8Array, options: { timeoutMs: number; signal?: AbortSignal }): Promise<Uint8Array | null> {
    const control = new AbortController();
    let phase: "waiting in line for a free instance" | "waiting for its instance to start" | "running" = "waiting in line for a free instance";
    const timer = setTimeout(
      () => control.abort(new PluginCallError("timeout", `the plugin call took longer than ${options.timeoutMs} ms (its deadline passed while ${phase})`)),
      options.timeoutMs,
    );
    const onCallerAbort = () => control.abort(new PluginCallError("aborted", "the caller cancelled the plugin call"));
    if (options.signal?.aborted) onCallerAbort();
    else options.signal?.addEventListener("abort", onCallerAbort, { once: true });
    this.inflight.add(control);
    let slot: Slot | undefined;
    let instance: PoolInstance | undefined;
    let clean = false;
    try {
      slot = await this.acquire(control.signal);
      phase = "waiting for its instance to start";
      instance = await raceSignal(slot.instance, control.signal);
      phase = "running";
      const call = instance.call(exportName, input);
      call.catch(() => {}); // after a timeout nobody awaits it any more
      const result = await raceSignal(
        call.catch((error: unknown) => Promise.reject(new InstanceCallFailure(error))),
        control.signal,
      );
      clean = true;
      return result;
    } finally {
      clearTimeout(timer);
      options.signal?.removeEventListener("abort", onCallerAbort);
      this.inflight.delete(control);
      if (slot) {
        // A start still running is left to finish (its own deadline bounds it); a failed one is retried.
        if (!clean && (instance !== undefined || slot.state === "failed")) this.replace(slot, instance);
        this.release(slot);
      }
    }
  }

  /** Closes every instance, abandoning starts in progress; calls in flight and in line fail with `closed`. */
  async dispose(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.lifetime.abort(closedError());
    for (const control of this.inflight) control.abort(closedError());
    for (const waiter of this.waiters.splice(0)) {
      waiter.signal.removeEventListener("abort", waiter.onAbort);
      waiter.reject(closedError());
    }
    // Started instances are closed now; one still starting is closed when (if ever) it comes up,
    // without waiting for it: a start that ignores the abort must not hold up a shutdown.
    await Promise.all(
      this.slots.map((slot) => {
        const closing = slot.instance.then((i) => i.dispose()).catch(() => {});
        return slot.state === "starting" ? undefined : closing;
      }),
    );
  }

  /** Starts a fresh instance in `slot`, counting failed starts in a row. */
  private start(slot: Slot): void {
    const starting = this.factory(this.lifetime.signal).then(
      (instance) => {
        if (slot.instance === starting) slot.state = "up";
        this.startFailures = 0;
        return instance;
      },
      (error: unknown) => {
        if (slot.instance === starting) slot.state = "failed";
        const failure = error instanceof PluginCallError ? error : new PluginCallError("start_failed", `could not start a plugin instance: ${(error as Error)?.message ?? error}`);
        if (!this.closed && failure.code !== "closed") this.startFailed(failure);
        throw failure;
      },
    );
    starting.catch(() => {}); // a failed start is reported to the next call on this slot
    slot.instance = starting;
    slot.state = "starting";
  }

  private startFailed(failure: PluginCallError): void {
    this.startFailures++;
    if (this.gaveUp || this.startFailures < this.maxStartFailures) return;
    this.gaveUp = new PluginCallError("start_failed", `${failure.message}; gave up after ${this.startFailures} failed starts in a row`, { cause: failure });
    for (const waiter of this.waiters.splice(0)) {
      waiter.signal.removeEventListener("abort", waiter.onAbort);
      waiter.reject(this.gaveUp);
    }
    this.onFailed?.(this.gaveUp.message);
  }

  /** Closes a broken instance and starts its replacement in the same slot. */
  private replace(slot: Slot, broken: PoolInstance | undefined): void {
    broken?.dispose().catch(() => {});
    if (this.closed || this.gaveUp) return;
    this.start(slot);
  }

  private acquire(signal: AbortSignal): Promise<Slot> {
    if (this.closed) return Promise.reject(closedError());
    if (this.gaveUp) return Promise.reject(this.gaveUp);
    if (signal.aborted) return Promise.reject(signal.reason);
    const idle = this.idle.shift();
    if (idle) return Promise.resolve(idle);
    if (this.waiters.length >= this.maxQueue) {
      return Promise.reject(
        new PluginCallError("busy", `all ${this.size} instances of the plugin are busy and ${this.waiters.length} calls are already waiting (the cap on its queue); retry shortly`),
      );
    }
    return new Promise<Slot>((resolve, reject) => {
      const waiter: Waiter = {
        resolve,
        reject,
        signal,
        // A caller that gives up (its deadline, its client gone) leaves the line at once.
        onAbort: () => {
          const at = this.waiters.indexOf(waiter);
          if (at >= 0) this.waiters.splice(at, 1);
          reject(signal.reason);
        },
      };
      signal.addEventListener("abort", waiter.onAbort, { once: true });
      this.waiters.push(waiter);
    });
  }

  private release(slot: Slot): void {
    if (this.closed) return;
    const next = this.waiters.shift();
    if (!next) {
      this.idle.push(slot);
      return;
    }
    next.signal.removeEventListener("abort", next.onAbort);
    next.resolve(slot);
  }
}
