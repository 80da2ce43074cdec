/**
 * A fixed pool of plugin instances. An instance runs one call at a time, so each call takes an idle
 * instance and callers wait in FIFO order. The pool races every call against `timeoutMs`, the
 * caller's signal and {@link InstancePool.close}; an instance whose call did not end cleanly
 * (timeout, abort, trap, plugin error, an allocation cap reached, a worker that died) is closed
 * (its worker terminated) and replaced by a fresh one, since its memory can no longer be trusted.
 */
import { PluginCallError } from "./plugin-call-error.js";

/** One instance as the pool sees it. */
export interface PoolInstance {
  /** Calls an export with the input bytes; the output bytes, or null for no output. */
  call(exportName: string, input: Uint8Array): Promise<Uint8Array | null>;
  /** Ends the instance at once, even mid-call (terminates its worker and aborts its host I/O). */
  close(): Promise<void>;
}

/** Makes a fresh instance from the already compiled module. */
export type InstanceFactory = () => Promise<PoolInstance>;

interface Slot {
  instance: Promise<PoolInstance>;
}

interface Waiter {
  resolve: (slot: Slot) => void;
  reject: (error: unknown) => void;
  signal?: AbortSignal;
  onAbort?: () => void;
}

/** A call that failed inside the plugin: the instance's error, kept so the host can word it. */
export class InstanceCallFailure extends Error {
  constructor(readonly original: unknown) {
    super(typeof (original as Error)?.message === "string" ? (original as Error).message : String(original));
    this.name = "InstanceCallFailure";
  }
}

function abortedError(): PluginCallError {
  return new PluginCallError("aborted", "the caller cancelled the plugin call");
}

/** A fixed-size pool of instances with a FIFO queue of callers. */
export class InstancePool {
  readonly #factory: InstanceFactory;
  readonly #slots: Slot[];
  readonly #idle: Slot[];
  readonly #waiters: Waiter[] = [];
  readonly #inflight = new Set<AbortController>();
  #closed = false;

  private constructor(factory: InstanceFactory, instances: PoolInstance[]) {
    this.#factory = factory;
    this.#slots = instances.map((instance) => ({ instance: Promise.resolve(instance) }));
    this.#idle = [...this.#slots];
  }

  /** Starts `size` instances; if any fails to start, the others are closed and the error thrown. */
  static async create(factory: InstanceFactory, size: number): Promise<InstancePool> {
    if (!Number.isInteger(size) || size < 1) throw new RangeError(`poolSize must be a positive integer, not ${size}`);
    const started = await Promise.allSettled(Array.from({ length: size }, () => factory()));
    const failed = started.find((r) => r.status === "rejected");
    if (failed) {
      await Promise.all(started.map((r) => (r.status === "fulfilled" ? r.value.close().catch(() => {}) : undefined)));
      throw (failed as PromiseRejectedResult).reason;
    }
    return new InstancePool(factory, started.map((r) => (r as PromiseFulfilledResult<PoolInstance>).value));
  }

  /**
   * Runs one call on an idle instance, waiting in line for one.
   *
   * @throws {PluginCallError} `timeout`, `aborted` or `closed`.
   * @throws {InstanceCallFailure} when the plugin call itself failed (the instance is replaced).
   */
  async run(exportName: string, input: Uint8Array, options: { timeoutMs: number; signal?: AbortSignal }): Promise<Uint8Array | null> {
    const slot = await this.#acquire(options.signal);
    const control = new AbortController();
    const onCallerAbort = () => control.abort(abortedError());
    const timer = setTimeout(
      () => control.abort(new PluginCallError("timeout", `the plugin call took longer than ${options.timeoutMs} ms`)),
      options.timeoutMs,
    );
    options.signal?.addEventListener("abort", onCallerAbort, { once: true });
    this.#inflight.add(control);
    let instance: PoolInstance | undefined;
    let clean = false;
    try {
      try {
        instance = await slot.instance;
      } catch (error) {
        throw new InstanceCallFailure(new Error(`could not start a plugin instance: ${(error as Error)?.message ?? error}`));
      }
      const call = instance.call(exportName, input);
      call.catch(() => {}); // after a timeout nobody awaits it any more
      const result = await new Promise<Uint8Array | null>((resolve, reject) => {
        if (control.signal.aborted) reject(control.signal.reason);
        control.signal.addEventListener("abort", () => reject(control.signal.reason), { once: true });
        call.then(resolve, (error: unknown) => reject(new InstanceCallFailure(error)));
      });
      clean = true;
      return result;
    } finally {
      clearTimeout(timer);
      options.signal?.removeEventListener("abort", onCallerAbort);
      this.#inflight.delete(control);
      if (!clean) this.#replace(slot, instance);
      this.#release(slot);
    }
  }

  /** Closes every instance; calls in flight and in line fail with `closed`. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    for (const control of this.#inflight) control.abort(new PluginCallError("closed", "the plugin host was closed"));
    for (const waiter of this.#waiters.splice(0)) {
      if (waiter.onAbort) waiter.signal?.removeEventListener("abort", waiter.onAbort);
      waiter.reject(new PluginCallError("closed", "the plugin host was closed"));
    }
    await Promise.all(this.#slots.map((slot) => slot.instance.then((i) => i.close()).catch(() => {})));
  }

  /** Closes a broken instance and starts its replacement in the same slot. */
  #replace(slot: Slot, broken: PoolInstance | undefined): void {
    broken?.close().catch(() => {});
    if (this.#closed) return;
    slot.instance = this.#factory();
    slot.instance.catch(() => {}); // a failed start is reported to the next call on this slot
  }

  #acquire(signal?: AbortSignal): Promise<Slot> {
    if (this.#closed) return Promise.reject(new PluginCallError("closed", "the plugin host was closed"));
    if (signal?.aborted) return Promise.reject(abortedError());
    const idle = this.#idle.shift();
    if (idle) return Promise.resolve(idle);
    return new Promise<Slot>((resolve, reject) => {
      const waiter: Waiter = { resolve, reject, signal };
      if (signal) {
        waiter.onAbort = () => {
          const at = this.#waiters.indexOf(waiter);
          if (at >= 0) this.#waiters.splice(at, 1);
          reject(abortedError());
        };
        signal.addEventListener("abort", waiter.onAbort, { once: true });
      }
      this.#waiters.push(waiter);
    });
  }

  #release(slot: Slot): void {
    if (this.#closed) return;
    const next = this.#waiters.shift();
    if (!next) {
      this.#idle.push(slot);
      return;
    }
    if (next.onAbort) next.signal?.removeEventListener("abort", next.onAbort);
    next.resolve(slot);
  }
}
