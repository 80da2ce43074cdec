import { afterEach, describe, expect, it, vi } from "vitest";
import { ShimmyError } from "../errors.js";
import { ModelPool, type PoolEvent, type PooledModel } from "./model-pool.js";

class FakeModel implements PooledModel {
  disposed = false;
  constructor(readonly id: string, readonly memoryBytes: number) {}
  async dispose() {
    this.disposed = true;
  }
}

function pool(options: { maxLoaded?: number; memoryBudget?: number; keepAlive?: number | null; loadMs?: number; sizes?: Record<string, number>; queueSize?: number } = {}) {
  const loads: string[] = [];
  const events: PoolEvent[] = [];
  const size = (id: string) => options.sizes?.[id] ?? 100;
  const p = new ModelPool<FakeModel>({
    load: async (id, onProgress) => {
      loads.push(id);
      onProgress(0.5);
      if (options.loadMs !== 0) await new Promise((r) => setTimeout(r, options.loadMs ?? 1));
      onProgress(1);
      return new FakeModel(id, size(id));
    },
    estimateBytes: size,
    maxLoaded: options.maxLoaded ?? 0,
    memoryBudget: options.memoryBudget ?? 0,
    defaultKeepAlive: options.keepAlive === undefined ? 60_000 : options.keepAlive,
    ...(options.queueSize === undefined ? {} : { queueSize: options.queueSize }),
    onEvent: (e) => events.push(e),
  });
  return { p, loads, events };
}

/** Lets pending promise callbacks and 0 ms timers run. */
const settle = () => new Promise((r) => setTimeout(r, 5));

const deferred = () => {
  let resolve!: () => void;
  const promise = new Promise<void>((r) => (resolve = r));
  return { promise, resolve };
};

afterEach(() => vi.useRealTimers());

describe("ModelPool", () => {
  it("loads a model once for concurrent requests", async () => {
    const { p, loads } = pool({ loadMs: 20 });
    const results = await Promise.all([1, 2, 3].map(() => p.use("a", undefined, async (m) => m)));
    expect(loads).toEqual(["a"]);
    expect(new Set(results).size).toBe(1);
    expect(p.status("a")).toMatchObject({ loaded: true, memoryBytes: 100, inFlight: 0 });
  });

  it("evicts the least recently used idle model at --max-loaded-models", async () => {
    const { p, events } = pool({ maxLoaded: 2 });
    await p.use("a", undefined, async () => undefined);
    await new Promise((r) => setTimeout(r, 5));
    await p.use("b", undefined, async () => undefined);
    await new Promise((r) => setTimeout(r, 5));
    await p.use("a", undefined, async () => undefined); // a is now the most recent
    await p.use("c", undefined, async () => undefined);
    expect(p.loaded().map((l) => l.id).sort()).toEqual(["a", "c"]);
    expect(events).toContainEqual({ type: "unload", id: "b", reason: "evicted" });
  });

  it("evicts to fit the memory budget, but never a model in use", async () => {
    const { p, events } = pool({ memoryBudget: 250 });
    const busy = deferred();
    const running = p.use("a", undefined, () => busy.promise);
    await p.use("b", undefined, async () => undefined);
    await p.use("c", undefined, async () => undefined); // a busy, b idle: b goes
    expect(p.loaded().map((l) => l.id).sort()).toEqual(["a", "c"]);
    await p.use("d", undefined, async () => undefined); // c idle: c goes; a still busy
    expect(p.loaded().map((l) => l.id).sort()).toEqual(["a", "d"]);
    busy.resolve();
    await running;
    expect(events.filter((e) => e.type === "unload").map((e) => (e as { id: string }).id)).toEqual(["b", "c"]);
  });

  it("makes a load wait for a busy model to finish instead of loading over --max-loaded-models", async () => {
    const { p, events } = pool({ maxLoaded: 1 });
    const busy = deferred();
    const running = p.use("a", undefined, () => busy.promise);
    await settle();
    let bDone = false;
    const b = p.use("b", undefined, async () => (bDone = true));
    await settle();
    expect(bDone).toBe(false);
    expect(p.loaded().map((l) => l.id)).toEqual(["a"]);
    busy.resolve();
    await Promise.all([running, b]);
    expect(p.loaded().map((l) => l.id)).toEqual(["b"]);
    expect(events.filter((e) => e.type !== "load").map((e) => e.type)).toEqual(["unload"]);
  });

  it("waits for requests in flight before unloading, and drops none", async () => {
    const { p } = pool();
    const busy = deferred();
    let finished = false;
    const running = p.use("a", undefined, async (m) => {
      await busy.promise;
      expect(m.disposed).toBe(false);
      finished = true;
    });
    await new Promise((r) => setTimeout(r, 5));
    const unloaded = p.unload("a");
    await new Promise((r) => setTimeout(r, 5));
    expect(p.status("a").loaded).toBe(true);
    busy.resolve();
    await running;
    expect(await unloaded).toBe(true);
    expect(finished).toBe(true);
    expect(p.status("a").loaded).toBe(false);
  });

  it("reloads for a request that arrives during an unload", async () => {
    const { p, loads } = pool();
    await p.use("a", undefined, async () => undefined);
    const unloading = p.unload("a");
    const model = await p.use("a", undefined, async (m) => m);
    await unloading;
    expect(model.disposed).toBe(false);
    expect(loads).toEqual(["a", "a"]);
  });

  it("unloads after the keep-alive, right after the request with 0, and never with -1", async () => {
    vi.useFakeTimers();
    const { p } = pool({ keepAlive: 1000, loadMs: 0 });
    await p.use("a", undefined, async () => undefined);
    expect(p.status("a").expiresAt).toBe(Date.now() + 1000);
    await vi.advanceTimersByTimeAsync(999);
    expect(p.status("a").loaded).toBe(true);
    await vi.advanceTimersByTimeAsync(2);
    expect(p.status("a").loaded).toBe(false);

    await p.use("b", 0, async () => undefined);
    await vi.advanceTimersByTimeAsync(0);
    expect(p.status("b").loaded).toBe(false);

    await p.use("c", null, async () => undefined);
    await vi.advanceTimersByTimeAsync(10_000_000);
    expect(p.status("c")).toMatchObject({ loaded: true, expiresAt: null });
  });

  it("keeps a model whose keep-alive is past what a timer can wait, instead of unloading it at once", async () => {
    vi.useFakeTimers();
    const { p } = pool({ keepAlive: 2 ** 31, loadMs: 0 });
    await p.use("a", undefined, async () => undefined);
    await vi.advanceTimersByTimeAsync(10);
    expect(p.status("a")).toMatchObject({ loaded: true, expiresAt: null });
  });

  it("reports progress of a load and clears a failed load so the next request retries", async () => {
    let fail = true;
    const p = new ModelPool<FakeModel>({
      load: async (id) => {
        if (fail) throw new Error("boom");
        return new FakeModel(id, 1);
      },
      estimateBytes: () => 1, maxLoaded: 0, memoryBudget: 0, defaultKeepAlive: null,
    });
    await expect(p.use("a", undefined, async () => undefined)).rejects.toThrow("boom");
    fail = false;
    await expect(p.use("a", undefined, async () => "ok")).resolves.toBe("ok");
    const progress: number[] = [];
    const { p: q } = pool();
    await q.load("x", undefined, (v) => progress.push(v));
    expect(progress).toEqual([0.5, 1]);
  });

  it("disposes by unloading everything", async () => {
    const { p } = pool({ keepAlive: null });
    const a = await p.load("a", undefined);
    await p.dispose();
    expect(a.disposed).toBe(true);
    await expect(p.use("a", undefined, async () => undefined)).rejects.toThrow(/closed/);
  });

  it("refuses a load after dispose with a 503 server_overloaded and Retry-After, not a 500", async () => {
    const { p, loads } = pool();
    await p.dispose();
    const refused = await p.use("a", undefined, async () => "ran").catch((err: unknown) => err);
    expect(refused).toBeInstanceOf(ShimmyError);
    expect(refused).toMatchObject({ code: "server_overloaded", status: 503, headers: { "Retry-After": "1" } });
    expect(loads).toEqual([]);
  });
});

/** Checks the limits at every load: the models loaded (by the pool's own events) never pass them. */
function watchLimits(events: PoolEvent[], sizes: Record<string, number>, limits: { maxLoaded?: number; memoryBudget?: number }) {
  const peaks = { count: 0, bytes: 0 };
  const loaded = new Set<string>();
  const push = events.push.bind(events);
  events.push = (...added: PoolEvent[]) => {
    for (const e of added) {
      if (e.type === "unload") loaded.delete(e.id);
      if (e.type !== "load") continue;
      loaded.add(e.id);
      const bytes = [...loaded].reduce((sum, id) => sum + (sizes[id] ?? 100), 0);
      peaks.count = Math.max(peaks.count, loaded.size);
      peaks.bytes = Math.max(peaks.bytes, bytes);
      if (limits.maxLoaded) expect(loaded.size, `loaded ${[...loaded].join(", ")}`).toBeLessThanOrEqual(limits.maxLoaded);
      if (limits.memoryBudget) expect(bytes, `loaded ${[...loaded].join(", ")}`).toBeLessThanOrEqual(limits.memoryBudget);
    }
    return push(...added);
  };
  return peaks;
}

/** A burst: `count` requests spread over `ids`, arriving 0–2 ms apart, each generating for 1–8 ms. */
async function burst(p: ModelPool<FakeModel>, ids: string[], count: number): Promise<string[]> {
  let seed = 7;
  const random = () => ((seed = (seed * 48271) % 2147483647) / 2147483647);
  const requests: Promise<string>[] = [];
  for (let i = 0; i < count; i++) {
    const id = ids[Math.floor(random() * ids.length)]!;
    const work = 1 + Math.floor(random() * 8);
    requests.push(p.use(id, undefined, async (m) => {
      await new Promise((r) => setTimeout(r, work));
      expect(m.disposed).toBe(false);
      return m.id;
    }));
    await new Promise((r) => setTimeout(r, Math.floor(random() * 3)));
  }
  return Promise.all(requests);
}

describe("ModelPool under bursts", () => {
  it("never holds two models at --max-loaded-models 1 during a burst over three models, and answers every request", async () => {
    const { p, events } = pool({ maxLoaded: 1, loadMs: 3 });
    const peaks = watchLimits(events, {}, { maxLoaded: 1 });
    const answered = await burst(p, ["a", "b", "c"], 60);
    expect(answered).toHaveLength(60);
    expect(peaks.count).toBe(1);
    expect(events.filter((e) => e.type === "load").length).toBeGreaterThan(3); // it really switched models
    expect(events.some((e) => e.type === "over_budget")).toBe(false);
  });

  it("never passes the memory budget during a burst over models of different sizes", async () => {
    const sizes = { a: 100, b: 150, c: 200 };
    const { p, events } = pool({ memoryBudget: 300, loadMs: 3, sizes });
    const peaks = watchLimits(events, sizes, { memoryBudget: 300 });
    const answered = await burst(p, ["a", "b", "c"], 60);
    expect(answered).toHaveLength(60);
    expect(peaks.bytes).toBeGreaterThan(200); // two models did share the budget when they fit
    expect(peaks.bytes).toBeLessThanOrEqual(300);
  });

  it("serves waiting loads in arrival order", async () => {
    const { p, loads } = pool({ maxLoaded: 1 });
    const busy = deferred();
    const running = p.use("a", undefined, () => busy.promise);
    await settle();
    const waiting = ["c", "b", "d"].map((id) => p.use(id, undefined, async () => id));
    await settle();
    expect(loads).toEqual(["a"]);
    busy.resolve();
    await Promise.all([running, ...waiting]);
    expect(loads).toEqual(["a", "c", "b", "d"]);
  });

  it("lets requests for a loaded model through while a load waits, except the model chosen to make room", async () => {
    const { p } = pool({ maxLoaded: 2 });
    const aBusy = deferred();
    const bBusy = deferred();
    const a = p.use("a", undefined, () => aBusy.promise); // a is least recently used: it makes room
    await settle();
    const b = p.use("b", undefined, () => bBusy.promise);
    await settle();
    let cDone = false;
    const c = p.use("c", undefined, async () => (cDone = true));
    await settle();
    // b is not the one leaving: its new requests go straight through while c waits.
    await expect(p.use("b", undefined, async () => "b again")).resolves.toBe("b again");
    expect(cDone).toBe(false);
    // a is leaving: a new request for it waits for the unload, and its load goes behind c's.
    let aAgainDone = false;
    const aAgain = p.use("a", undefined, async () => (aAgainDone = true));
    aBusy.resolve();
    await c;
    expect(aAgainDone).toBe(false);
    bBusy.resolve();
    await Promise.all([a, b, aAgain]);
    expect(p.loaded().map((l) => l.id).sort()).toEqual(["a", "c"]);
  });

  it("does not starve a waiting load when the loaded model never goes idle on its own", async () => {
    const { p, loads } = pool({ maxLoaded: 1 });
    let stop = false;
    const aAnswered: number[] = [];
    // Overlapping requests for a, for ever: a new one starts before the previous one ends.
    const stream = (async () => {
      const inFlight: Promise<unknown>[] = [];
      for (let i = 0; !stop; i++) {
        inFlight.push(p.use("a", undefined, async () => {
          await new Promise((r) => setTimeout(r, 6));
          aAnswered.push(i);
        }));
        await new Promise((r) => setTimeout(r, 2));
      }
      await Promise.all(inFlight);
    })();
    await new Promise((r) => setTimeout(r, 20));
    const started = Date.now();
    await p.use("b", undefined, async () => undefined);
    expect(Date.now() - started).toBeLessThan(1000);
    stop = true;
    await stream;
    expect(loads.slice(0, 3)).toEqual(["a", "b", "a"]); // a's later requests were served after b, none lost
    expect(aAnswered.length).toBeGreaterThan(2);
  });

  it("refuses a request beyond the queue with the slot queue's 503 and Retry-After, and an aborted one leaves the line", async () => {
    const { p, loads } = pool({ maxLoaded: 1, queueSize: 1 });
    const busy = deferred();
    const running = p.use("a", undefined, () => busy.promise);
    await settle();
    const left = new AbortController();
    const waiting = p.use("b", undefined, async () => "b", undefined, left.signal);
    await settle();
    const refused = await p.use("c", undefined, async () => "c").catch((err: unknown) => err);
    expect(refused).toBeInstanceOf(ShimmyError);
    expect(refused).toMatchObject({ code: "server_overloaded", status: 503, headers: { "Retry-After": "1" } });
    left.abort(new Error("client left"));
    await expect(waiting).rejects.toThrow("client left");
    // Nobody waits for b any more: it is never loaded (a, already chosen to make room, still goes, as in Ollama).
    busy.resolve();
    await running;
    await settle();
    expect(loads).toEqual(["a"]);
    expect(p.loaded()).toEqual([]);
    // The line is free again.
    await expect(p.use("c", undefined, async () => "c")).resolves.toBe("c");
  });

  it("refuses at once with a queue of 0, and serves a model that fits without waiting", async () => {
    const { p } = pool({ maxLoaded: 2, queueSize: 0 });
    const busy = deferred();
    const running = p.use("a", undefined, () => busy.promise);
    await expect(p.use("b", undefined, async () => "b")).resolves.toBe("b"); // fits beside a
    const busyB = p.use("b", undefined, () => busy.promise);
    await settle();
    await expect(p.use("c", undefined, async () => "c")).rejects.toMatchObject({ code: "server_overloaded" });
    busy.resolve();
    await Promise.all([running, busyB]);
  });

  it("loads a model bigger than the whole budget once nothing else is loaded, with a warning", async () => {
    const sizes = { small: 100, huge: 500 };
    const { p, events } = pool({ memoryBudget: 300, sizes });
    await p.use("small", undefined, async () => undefined);
    await expect(p.use("huge", undefined, async (m) => m.id)).resolves.toBe("huge");
    expect(p.loaded().map((l) => l.id)).toEqual(["huge"]);
    expect(events).toContainEqual({ type: "unload", id: "small", reason: "evicted" });
    expect(events).toContainEqual({ type: "over_budget", id: "huge", loaded: 0, memoryBytes: 500 });
    // And the next model waits for it to be idle like any other.
    await p.use("small", undefined, async () => undefined);
    expect(p.loaded().map((l) => l.id)).toEqual(["small"]);
  });

  it("weighs a loaded model by what it holds when deciding, not by what it held at load", async () => {
    class GrowingModel implements PooledModel {
      grown = 0;
      constructor(readonly id: string) {}
      get memoryBytes() {
        return 100 + this.grown;
      }
      async dispose() {}
    }
    const models: GrowingModel[] = [];
    const events: PoolEvent[] = [];
    const p = new ModelPool<GrowingModel>({
      load: async (id) => {
        const model = new GrowingModel(id);
        models.push(model);
        return model;
      },
      estimateBytes: () => 100, maxLoaded: 0, memoryBudget: 300, defaultKeepAlive: null,
      onEvent: (e) => events.push(e),
    });
    await p.use("a", undefined, async () => undefined);
    await p.use("b", undefined, async () => undefined);
    expect(p.loaded()).toHaveLength(2); // 200 of 300
    models[0]!.grown = 150; // a's runner now holds 250
    expect(p.status("a").memoryBytes).toBe(250);
    await p.use("c", undefined, async () => undefined); // 350 + 100 does not fit: a (least recent) goes
    expect(p.loaded().map((l) => l.id).sort()).toEqual(["b", "c"]);
    expect(events).toContainEqual({ type: "unload", id: "a", reason: "evicted" });
  });

  it("refuses the waiting loads with a 503 when it closes", async () => {
    const { p } = pool({ maxLoaded: 1 });
    const busy = deferred();
    const running = p.use("a", undefined, () => busy.promise);
    await settle();
    const waiting = p.use("b", undefined, async () => "b").catch((err: unknown) => err);
    await settle();
    const closing = p.dispose();
    expect(await waiting).toMatchObject({ code: "server_overloaded", status: 503 });
    busy.resolve();
    await Promise.all([running, closing]);
  });
});

describe("ModelPool line of loads", () => {
  it("keeps the line moving when a model waiting in it is asked to unload", async () => {
    const { p, loads } = pool({ maxLoaded: 1 });
    const busy = deferred();
    const running = p.use("a", undefined, () => busy.promise);
    await settle();
    const b = p.use("b", undefined, async () => "b");
    const c = p.use("c", undefined, async () => "c");
    await settle();
    const unloadB = p.unload("b"); // b is in line: it loads for its request, then goes
    busy.resolve();
    await expect(Promise.all([running, b, c, unloadB])).resolves.toEqual([undefined, "b", "c", true]);
    expect(loads).toEqual(["a", "b", "c"]);
    expect(p.loaded().map((l) => l.id)).toEqual(["c"]);
  });
});

describe("ModelPool sessions (a tool loop whose tools ask other models, issue 26)", () => {
  it("lets a tool's load take a session's model between rounds at --max-loaded-models 1, and loads it again for the next round", async () => {
    const { p, loads, events } = pool({ maxLoaded: 1 });
    const mostLoaded = { n: 0 };
    const watch = <T>(work: Promise<T>) => work.finally(() => (mostLoaded.n = Math.max(mostLoaded.n, p.loaded().length)));
    const end = p.openSession("a");
    const first = await watch(p.use("a", undefined, async (m) => m));
    // The round's tool asks "b": before sessions, this load waited for "a" forever.
    const tool = watch(p.use("b", undefined, async () => "b says hi"));
    const outcome = await Promise.race([tool, new Promise((r) => setTimeout(() => r("deadlock"), 1000))]);
    expect(outcome).toBe("b says hi");
    expect(first.disposed).toBe(true);
    const second = await watch(p.use("a", undefined, async (m) => m));
    end();
    expect(second).not.toBe(first);
    expect(loads).toEqual(["a", "b", "a"]);
    expect(events.filter((e) => e.type === "unload")).toEqual([
      { type: "unload", id: "a", reason: "evicted" },
      { type: "unload", id: "b", reason: "evicted" },
    ]);
    expect(mostLoaded.n).toBe(1);
  });

  it("never unloads a session's model while a round generates: the other load waits for the round", async () => {
    const { p, loads } = pool({ maxLoaded: 1 });
    const end = p.openSession("a");
    const generating = deferred();
    let disposedMidRound: boolean | undefined;
    const round = p.use("a", undefined, async (m) => {
      await generating.promise;
      disposedMidRound = m.disposed;
    });
    await settle();
    let bLoaded = false;
    const other = p.use("b", undefined, async () => (bLoaded = true));
    await settle();
    expect(bLoaded).toBe(false);
    expect(p.status("a")).toMatchObject({ loaded: true, inFlight: 1 });
    generating.resolve();
    await Promise.all([round, other]);
    end();
    expect(disposedMidRound).toBe(false);
    expect(loads).toEqual(["a", "b"]);
  });

  it("keeps a session's model past its keep-alive between rounds, and lets the keep-alive count once the session ends", async () => {
    const { p, events } = pool({ keepAlive: 0 });
    const end = p.openSession("a");
    await p.use("a", undefined, async () => undefined);
    await settle();
    expect(p.status("a")).toMatchObject({ loaded: true, expiresAt: null, inFlight: 0 });
    end();
    end(); // idempotent
    await settle();
    expect(p.status("a").loaded).toBe(false);
    expect(events).toContainEqual({ type: "unload", id: "a", reason: "expired" });
  });

  it("makes room with an idle model nobody holds before a session's idle model, even a less recently used one", async () => {
    const { p } = pool({ maxLoaded: 2 });
    const end = p.openSession("a");
    await p.use("a", undefined, async () => undefined);
    await settle();
    await p.use("b", undefined, async () => undefined); // b is the more recent: least recently used alone would take a
    await p.use("c", undefined, async () => undefined);
    expect(p.loaded().map((l) => l.id).sort()).toEqual(["a", "c"]);
    end();
  });
});
