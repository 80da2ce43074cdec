/**
 * The one owner of model lifecycle and of the memory models hold (as Ollama's scheduler): loads a
 * model on its first request (once, however many ask at the same time), keeps it for its keep-alive
 * after the last one, and unloads only when no request is using it. `maxLoaded` and `memoryBudget`
 * hold at every moment, bursts included: a load that does not fit waits its turn for room.
 *
 * The rule, as Ollama's `server/sched.go` (`getRunner`, `processPending`, `findRunnerToUnload`):
 * - A request for a loaded model goes straight to it, whatever loads are waiting.
 * - Loads wait in one line, in arrival order, and only its head makes room: the least recently used
 *   idle model is unloaded; when none is idle, one busy model is chosen and marked to unload as soon
 *   as its requests in flight (those already using it or queued for its slots) are done.
 * - No starvation: a model chosen to make room takes no new request from then on. A request that
 *   arrives for it waits for the unload and then joins the line of loads, behind the load it made
 *   room for. (Ollama still hands new requests to a runner it is expiring, so a model that is never
 *   idle can hold a waiting load off forever; this is the one point where we differ.)
 * - A session (a tool loop, {@link ModelPool.openSession}) holds its model only while a round generates:
 *   between rounds, while its tools run (and may ask another model), a load waiting for room may
 *   unload it, a model no session holds first; the next round loads it again. Held across the tools,
 *   it deadlocked at `maxLoaded` 1 (issue 26). An open session only stops its model's keep-alive.
 * - A model bigger than the whole budget still loads once nothing else is loaded, with a warning,
 *   as Ollama loads a first model whatever its size.
 * - A request waits in the line for as long as a request waits for a slot: until its client leaves
 *   (its signal aborts); when `queueSize` requests already wait, one more is refused at once with
 *   the slot queue's 503 `server_overloaded` and `Retry-After`.
 *
 * Memory is read when deciding: a loaded model's `memoryBytes` (a runner's RSS changes over time),
 * `estimateBytes` for one not loaded yet. The loader is injected, so the policy is tested without
 * llama.cpp.
 */
import { MAX_TIMER_MS, type KeepAlive } from "../config/duration.js";
import { retryLater } from "../errors.js";

/** What the pool needs of a loaded model. */
export interface PooledModel {
  /** Bytes it holds in memory now (weights and context); read at every decision, so a getter may change over time. */
  readonly memoryBytes: number;
  dispose(): Promise<void>;
}

/** Options of {@link ModelPool}. */
export interface ModelPoolOptions<M extends PooledModel> {
  /** Loads a model; called once per load, never twice at the same time for one id. */
  load(id: string, onProgress: (progress: number) => void): Promise<M>;
  /** Bytes a model is expected to take before it is loaded, for the memory budget. */
  estimateBytes(id: string): number;
  /** Most models loaded at once; 0 for no limit. */
  maxLoaded: number;
  /** Most bytes of loaded models; 0 for no limit. */
  memoryBudget: number;
  /** Keep-alive of a model whose requests name none. */
  defaultKeepAlive: KeepAlive;
  /** Requests that may wait for room to load their model; one more is refused with 503. @default no limit */
  queueSize?: number;
  /** Seconds a client is told to wait before retrying a refused request. @default 1 */
  retryAfterSeconds?: number;
  /** Reports loads, unloads and evictions, for the log. */
  onEvent?(event: PoolEvent): void;
}

/** A lifecycle event, for the log. */
export type PoolEvent =
  | { type: "load"; id: string; ms: number; memoryBytes: number }
  | { type: "unload"; id: string; reason: "request" | "expired" | "evicted" | "shutdown" | "crashed" }
  /** A model bigger than the memory budget on its own, loaded with nothing else loaded. */
  | { type: "over_budget"; id: string; loaded: number; memoryBytes: number };

/** The state of one model right now. */
export interface PoolStatus {
  loaded: boolean;
  memoryBytes: number | null;
  /** When it unloads by itself (epoch ms); null when loaded for good or not loaded. */
  expiresAt: number | null;
  inFlight: number;
}

interface Entry<M> {
  id: string;
  model?: M;
  loading?: Promise<M>;
  unloading?: Promise<void>;
  inFlight: number;
  lastUsed: number;
  keepAlive: KeepAlive;
  expiresAt: number | null;
  timer?: NodeJS.Timeout;
  idleWaiters: (() => void)[];
  /** Its load waits in the line for room (not yet counted against the limits). */
  queued: boolean;
  /** Requests waiting for its load while it is in the line. */
  waitingRequests: number;
  /** Open sessions on it: while any is, it does not expire, but it may be unloaded for a load when idle. */
  sessions: number;
}

/** A load waiting in the line for room. */
interface Admission<M> {
  entry: Entry<M>;
  admit(): void;
  /** Rejects the load (its requests all left, or the pool closed). */
  drop(err: unknown): void;
  /** Settles when the load leaves the line before its turn ends, so the head stops waiting for room. */
  dropped: Promise<void>;
}

/** Loaded models and their lifetimes. */
export class ModelPool<M extends PooledModel> {
  private readonly entries = new Map<string, Entry<M>>();
  /** Loads waiting for room, in arrival order; only the head makes room. */
  private readonly line: Admission<M>[] = [];
  private lineMoving = false;
  private closed = false;

  constructor(private readonly options: ModelPoolOptions<M>) {}

  /**
   * Runs `work` with the model loaded, loading it first if needed. The model stays loaded while
   * `work` runs; `keepAlive`, when given, becomes its keep-alive from then on.
   * @param signal takes the request out of the line of loads when it aborts.
   * @throws ShimmyError `server_overloaded` (503) when the line of loads is full or the pool closed;
   *   the signal's reason when it aborts while waiting.
   */
  async use<T>(
    id: string, keepAlive: KeepAlive | undefined, work: (model: M) => Promise<T>, onProgress?: (p: number) => void, signal?: AbortSignal,
  ): Promise<T> {
    signal?.throwIfAborted();
    const entry = this.entry(id);
    // A request that arrives while its model unloads waits for the unload, then loads it again.
    // (Counting it in flight first would make the unload wait for it: a deadlock.)
    while (entry.unloading) await entry.unloading;
    entry.inFlight++;
    this.clearExpiry(entry);
    try {
      const model = await this.ensureLoaded(entry, onProgress, signal);
      return await work(model);
    } finally {
      entry.inFlight--;
      entry.lastUsed = Date.now();
      if (keepAlive !== undefined) entry.keepAlive = keepAlive;
      if (entry.inFlight === 0) this.becameIdle(entry);
    }
  }

  /**
   * Opens a session: a user that generates with the model now and then through {@link use}, and runs
   * other work between (a tool loop's tools). The model does not expire while it is open, but between
   * its `use` calls it is idle, so a waiting load may unload it (module comment). Loads nothing.
   * @returns ends the session (idempotent); from then on the model's keep-alive counts.
   */
  openSession(id: string): () => void {
    const entry = this.entry(id);
    entry.sessions++;
    this.clearExpiry(entry);
    let ended = false;
    return () => {
      if (ended) return;
      ended = true;
      entry.sessions--;
      if (entry.sessions === 0 && entry.inFlight === 0) this.becameIdle(entry);
    };
  }

  /** Loads a model now (as `POST /api/models/load`), with `keepAlive` from then on. */
  async load(id: string, keepAlive: KeepAlive | undefined, onProgress?: (p: number) => void): Promise<M> {
    return this.use(id, keepAlive, async (model) => model, onProgress);
  }

  /** Unloads a model once its requests finish; false when it was not loaded. */
  unload(id: string, reason: "request" | "expired" | "evicted" | "shutdown" | "crashed" = "request"): Promise<boolean> {
    const entry = this.entries.get(id);
    if (!entry || (!entry.model && !entry.loading)) return Promise.resolve(false);
    entry.unloading ??= (async () => {
      this.clearExpiry(entry);
      const model = await entry.loading?.catch(() => undefined);
      if (entry.inFlight > 0) await new Promise<void>((resolve) => entry.idleWaiters.push(resolve));
      entry.model = undefined;
      entry.loading = undefined;
      if (model) {
        await model.dispose();
        this.options.onEvent?.({ type: "unload", id, reason });
      }
    })().finally(() => {
      entry.unloading = undefined;
    });
    return entry.unloading.then(() => true);
  }

  /** The state of a model. */
  status(id: string): PoolStatus {
    const entry = this.entries.get(id);
    return {
      loaded: entry?.model !== undefined,
      memoryBytes: entry?.model?.memoryBytes ?? null,
      expiresAt: entry?.model ? entry.expiresAt : null,
      inFlight: entry?.inFlight ?? 0,
    };
  }

  /** The models loaded now. */
  loaded(): { id: string; model: M }[] {
    return [...this.entries.values()].flatMap((entry) => (entry.model ? [{ id: entry.id, model: entry.model }] : []));
  }

  /** Unloads everything (waiting for requests in flight) and refuses new loads. */
  async dispose(): Promise<void> {
    this.closed = true;
    for (const waiting of this.line.splice(0)) waiting.drop(retryLater("The model pool is closed: the server is shutting down."));
    await Promise.all([...this.entries.keys()].map((id) => this.unload(id, "shutdown")));
  }

  private entry(id: string): Entry<M> {
    let entry = this.entries.get(id);
    if (!entry) {
      entry = { id, inFlight: 0, lastUsed: 0, keepAlive: this.options.defaultKeepAlive, expiresAt: null, idleWaiters: [], queued: false, waitingRequests: 0, sessions: 0 };
      this.entries.set(id, entry);
    }
    return entry;
  }

  private async ensureLoaded(entry: Entry<M>, onProgress?: (p: number) => void, signal?: AbortSignal): Promise<M> {
    if (entry.model) return entry.model;
    // A request that arrives while the server shuts down: a 503 the client may retry elsewhere or later.
    if (this.closed) throw retryLater("The model pool is closed: the server is shutting down.");
    if (!entry.loading) {
      const loading: Promise<M> = (async () => {
        await this.admit(entry);
        const started = performance.now();
        const model = await this.options.load(entry.id, onProgress ?? (() => undefined));
        entry.model = model;
        this.options.onEvent?.({ type: "load", id: entry.id, ms: Math.round(performance.now() - started), memoryBytes: model.memoryBytes });
        return model;
      })().catch((err: unknown) => {
        // Only this load's own failure clears it: a load taken out of the line may already be replaced.
        if (entry.loading === loading) entry.loading = undefined;
        throw err;
      });
      // A load taken out of the line when its requests left fails with nobody listening.
      loading.catch(() => undefined);
      entry.loading = loading;
    }
    if (!entry.queued) return entry.loading;
    return this.waitInLine(entry, signal);
  }

  /** Waits, as one request, for a load that is in the line; leaving it when `signal` aborts. */
  private waitInLine(entry: Entry<M>, signal?: AbortSignal): Promise<M> {
    const { queueSize = Infinity } = this.options;
    const waiting = this.line.reduce((sum, a) => sum + a.entry.waitingRequests, 0);
    // The request that put the load in the line counts too: with a queue of 0 nothing waits.
    if (waiting >= queueSize) {
      if (entry.waitingRequests === 0) this.leaveLine(entry);
      return Promise.reject(
        retryLater(`Loading "${entry.id}" must wait for a loaded model to finish, and ${waiting} requests are already waiting; retry shortly.`, {
          retryAfterSeconds: this.options.retryAfterSeconds ?? 1,
        }),
      );
    }
    const loading = entry.loading!;
    entry.waitingRequests++;
    return new Promise<M>((resolve, reject) => {
      let settled = false;
      const settle = () => {
        if (settled) return false;
        settled = true;
        signal?.removeEventListener("abort", onAbort);
        entry.waitingRequests--;
        return true;
      };
      const onAbort = () => {
        if (!settle()) return;
        // The last request to leave a load that is still in the line takes the load out with it.
        if (entry.queued && entry.waitingRequests === 0) this.leaveLine(entry);
        reject(signal!.reason);
      };
      signal?.addEventListener("abort", onAbort, { once: true });
      loading.then(
        (model) => settle() && resolve(model),
        (err: unknown) => settle() && reject(err),
      );
    });
  }

  /** Takes a queued load out of the line (its requests left). */
  private leaveLine(entry: Entry<M>): void {
    const index = this.line.findIndex((a) => a.entry === entry);
    if (index < 0) return;
    // At once, so a request arriving next starts a new load rather than join this failing one.
    entry.loading = undefined;
    this.line.splice(index, 1)[0]!.drop(new Error(`Nobody waits for "${entry.id}" any more.`));
  }

  /** Resolves when the load of `entry` may start: its turn has come and the limits leave room for it. */
  private admit(entry: Entry<M>): Promise<void> {
    // Nothing in line and room now: no wait (and no turn through the event loop).
    if (this.line.length === 0 && !this.lineMoving && this.fits(entry) === "fits") return Promise.resolve();
    entry.queued = true;
    let dropLoad!: () => void;
    const dropped = new Promise<void>((resolve) => (dropLoad = resolve));
    return new Promise<void>((resolve, reject) => {
      this.line.push({
        entry,
        admit: () => {
          entry.queued = false;
          resolve();
        },
        drop: (err) => {
          entry.queued = false;
          dropLoad();
          reject(err);
        },
        dropped,
      });
      void this.moveLine();
    });
  }

  /** Serves the line's head until the line is empty; one head at a time, so two loads never take the same room. */
  private async moveLine(): Promise<void> {
    if (this.lineMoving) return;
    this.lineMoving = true;
    try {
      while (this.line.length > 0) {
        const head = this.line[0]!;
        const turnEnded = await Promise.race([this.makeRoom(head.entry).then(() => true), head.dropped.then(() => false)]).catch(() => false);
        if (this.line[0] === head) {
          this.line.shift();
          if (turnEnded) head.admit();
          else head.drop(retryLater(`Could not make room to load "${head.entry.id}"; retry shortly.`));
        }
      }
    } finally {
      this.lineMoving = false;
    }
  }

  /** Whether `incoming` fits beside what is loaded, loading or still unloading. */
  private fits(incoming: Entry<M>, held = this.held(incoming)): "fits" | "over" | "alone" {
    const { maxLoaded, memoryBudget } = this.options;
    const needed = this.options.estimateBytes(incoming.id);
    const overCount = maxLoaded > 0 && held.length >= maxLoaded;
    const overMemory = memoryBudget > 0 && this.bytes(held) + needed > memoryBudget;
    if (!overCount && !overMemory) return "fits";
    return held.length === 0 ? "alone" : "over";
  }

  /** Models that hold (or are about to hold) memory, besides `incoming`: loaded, admitted to load, or unloading; not those in line. */
  private held(incoming: Entry<M>): Entry<M>[] {
    return [...this.entries.values()].filter((e) => e !== incoming && !e.queued && (e.model || e.unloading || e.loading));
  }

  /** Bytes of these models now: what a loaded one holds (read now: it changes), else the estimate. */
  private bytes(entries: readonly Entry<M>[]): number {
    return entries.reduce((sum, e) => sum + (e.model?.memoryBytes ?? this.options.estimateBytes(e.id)), 0);
  }

  /**
   * Unloads models until `incoming` fits: the least recently used idle one first, else a busy one
   * (marked to unload once its requests finish), waiting for each unload to end before looking again.
   */
  private async makeRoom(incoming: Entry<M>): Promise<void> {
    // A load that left the line (its requests left, the pool closed) stops making room.
    while (this.line[0]?.entry === incoming) {
      const held = this.held(incoming);
      const verdict = this.fits(incoming, held);
      if (verdict === "fits") return;
      if (verdict === "alone") {
        // Bigger than the whole budget on its own: load it anyway rather than never; the log says so.
        this.options.onEvent?.({ type: "over_budget", id: incoming.id, loaded: 0, memoryBytes: this.options.estimateBytes(incoming.id) });
        return;
      }
      const staying = held.filter((e) => !e.unloading);
      if (staying.length > 0 && this.fits(incoming, staying) !== "fits") {
        const rank = (e: Entry<M>) => Number(e.inFlight > 0) * 4 + Number(e.sessions > 0) * 2 + Number(!e.model);
        const victim = [...staying].sort((a, b) => rank(a) - rank(b) || a.lastUsed - b.lastUsed)[0]!;
        void this.unload(victim.id, "evicted").catch(() => undefined);
      }
      // Wait for one model to be gone, then weigh again (a runner's memory may have changed meanwhile).
      await Promise.race(this.held(incoming).flatMap((e) => (e.unloading ? [e.unloading.catch(() => undefined)] : [])));
    }
  }

  private becameIdle(entry: Entry<M>): void {
    for (const wake of entry.idleWaiters.splice(0)) wake();
    if (!entry.model || entry.unloading) return;
    // Between a session's rounds (its expiry already cleared): kept for the next round, though a
    // load waiting for room may still take it.
    if (entry.sessions > 0) return;
    if (entry.keepAlive === 0) {
      void this.unload(entry.id, "expired");
    } else if (entry.keepAlive !== null && entry.keepAlive < MAX_TIMER_MS) {
      // parseKeepAlive already turns longer ones into null; a timer past its limit would fire at once.
      entry.expiresAt = Date.now() + entry.keepAlive;
      entry.timer = setTimeout(() => void this.unload(entry.id, "expired"), entry.keepAlive);
      // An idle model's timer must not keep the process alive on its own.
      entry.timer.unref();
    } else {
      entry.expiresAt = null;
    }
  }

  private clearExpiry(entry: Entry<M>): void {
    if (entry.timer) clearTimeout(entry.timer);
    entry.timer = undefined;
    entry.expiresAt = null;
  }
}
