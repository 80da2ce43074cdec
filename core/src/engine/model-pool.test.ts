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

function pool(options: { maxLoaded?: number; memoryBudget?: number; keepAlive?: number | null; loadMs?: number } = {}) {
  const loads: string[] = [];
  const events: PoolEvent[] = [];
  const p = new ModelPool<FakeModel>({
    load: async (id, onProgress) => {
      loads.push(id);
      onProgress(0.5);
      if (options.loadMs !== 0) await new Promise((r) => setTimeout(r, options.loadMs ?? 1));
      onProgress(1);
      return new FakeModel(id, 100);
    },
    estimateBytes: () => 100,
    maxLoaded: options.maxLoaded ?? 0,
    memoryBudget: options.memoryBudget ?? 0,
    defaultKeepAlive: options.keepAlive === undefined ? 60_000 : options.keepAlive,
    onEvent: (e) => events.push(e),
  });
  return { p, loads, events };
}

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

  it("loads over the limits rather than fail when every model is busy, and says so", async () => {
    const { p, events } = pool({ maxLoaded: 1 });
    const busy = deferred();
    const running = p.use("a", undefined, () => busy.promise);
    await p.use("b", undefined, async () => undefined);
    expect(events).toContainEqual(expect.objectContaining({ type: "over_budget", id: "b" }));
    busy.resolve();
    await running;
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
