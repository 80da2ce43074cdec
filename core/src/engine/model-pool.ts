/**
 * The one owner of model lifecycle (as Ollama's scheduler): loads a model on its first request
 * (once, however many ask at the same time), keeps it for its keep-alive after the last one, evicts
 * the least recently used idle model when `maxLoaded` or `memoryBudget` would be exceeded, and
 * unloads only when no request is using it. The loader is injected, so the policy is tested
 * without llama.cpp.
 */
import { MAX_TIMER_MS, type KeepAlive } from "../config/duration.js";
import { retryLater } from "../errors.js";

/** What the pool needs of a loaded model. */
export interface PooledModel {
  /** Bytes it holds in memory (weights and context). */
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
  /** Reports loads, unloads and evictions, for the log. */
  onEvent?(event: PoolEvent): void;
}

/** A lifecycle event, for the log. */
export type PoolEvent =
  | { type: "load"; id: string; ms: number; memoryBytes: number }
  | { type: "unload"; id: string; reason: "request" | "expired" | "evicted" | "shutdown" }
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
}

/** Loaded models and their lifetimes. */
export class ModelPool<M extends PooledModel> {
  private readonly entries = new Map<string, Entry<M>>();
  private closed = false;

  constructor(private readonly options: ModelPoolOptions<M>) {}

  /**
   * Runs `work` with the model loaded, loading it first if needed. The model stays loaded while
   * `work` runs; `keepAlive`, when given, becomes its keep-alive from then on.
   */
  async use<T>(id: string, keepAlive: KeepAlive | undefined, work: (model: M) => Promise<T>, onProgress?: (p: number) => void): Promise<T> {
    const entry = this.entry(id);
    // A request that arrives while its model unloads waits for the unload, then loads it again.
    // (Counting it in flight first would make the unload wait for it: a deadlock.)
    while (entry.unloading) await entry.unloading;
    entry.inFlight++;
    this.clearExpiry(entry);
    try {
      const model = await this.ensureLoaded(entry, onProgress);
      return await work(model);
    } finally {
      entry.inFlight--;
      entry.lastUsed = Date.now();
      if (keepAlive !== undefined) entry.keepAlive = keepAlive;
      if (entry.inFlight === 0) this.becameIdle(entry);
    }
  }

  /** Loads a model now (as `POST /api/models/load`), with `keepAlive` from then on. */
  async load(id: string, keepAlive: KeepAlive | undefined, onProgress?: (p: number) => void): Promise<M> {
    return this.use(id, keepAlive, async (model) => model, onProgress);
  }

  /** Unloads a model once its requests finish; false when it was not loaded. */
  unload(id: string, reason: "request" | "expired" | "evicted" | "shutdown" = "request"): Promise<boolean> {
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
    await Promise.all([...this.entries.keys()].map((id) => this.unload(id, "shutdown")));
  }

  private entry(id: string): Entry<M> {
    let entry = this.entries.get(id);
    if (!entry) {
      entry = { id, inFlight: 0, lastUsed: 0, keepAlive: this.options.defaultKeepAlive, expiresAt: null, idleWaiters: [] };
      this.entries.set(id, entry);
    }
    return entry;
  }

  private async ensureLoaded(entry: Entry<M>, onProgress?: (p: number) => void): Promise<M> {
    if (entry.model) return entry.model;
    // A request that arrives while the server shuts down: a 503 the client may retry elsewhere or later.
    if (this.closed) throw retryLater("The model pool is closed: the server is shutting down.");
    entry.loading ??= (async () => {
      const started = performance.now();
      await this.makeRoom(entry);
      const model = await this.options.load(entry.id, onProgress ?? (() => undefined));
      entry.model = model;
      this.options.onEvent?.({ type: "load", id: entry.id, ms: Math.round(performance.now() - started), memoryBytes: model.memoryBytes });
      return model;
    })().catch((err: unknown) => {
      entry.loading = undefined;
      throw err;
    });
    return entry.loading;
  }

  /** Evicts least recently used idle models until the new one fits the limits (or none is idle). */
  private async makeRoom(incoming: Entry<M>): Promise<void> {
    const { maxLoaded, memoryBudget } = this.options;
    const needed = this.options.estimateBytes(incoming.id);
    for (;;) {
      const loaded = [...this.entries.values()].filter((e) => e !== incoming && (e.model || e.loading));
      const used = loaded.reduce((sum, e) => sum + (e.model?.memoryBytes ?? this.options.estimateBytes(e.id)), 0);
      const overCount = maxLoaded > 0 && loaded.length >= maxLoaded;
      const overMemory = memoryBudget > 0 && used + needed > memoryBudget;
      if (!overCount && !overMemory) return;
      const victim = loaded.filter((e) => e.inFlight === 0 && e.model && !e.unloading).sort((a, b) => a.lastUsed - b.lastUsed)[0];
      if (!victim) {
        // Every loaded model is busy: load anyway rather than fail a request; the log says so.
        this.options.onEvent?.({ type: "over_budget", id: incoming.id, loaded: loaded.length, memoryBytes: used + needed });
        return;
      }
      await this.unload(victim.id, "evicted");
    }
  }

  private becameIdle(entry: Entry<M>): void {
    for (const wake of entry.idleWaiters.splice(0)) wake();
    if (!entry.model || entry.unloading) return;
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
