import { describe, expect, it } from "vitest";
import { InstancePool, type InstanceFactory, type PoolInstance } from "./instance-pool.js";
import { PluginCallError } from "./plugin-call-error.js";

const INPUT = new Uint8Array([123, 125]);

/** A fake instance: `spin` never returns until closed, `trap` fails, anything else answers at once. */
function fakeInstance(): PoolInstance & { closed: boolean } {
  let stop: ((error: unknown) => void) | undefined;
  const instance = {
    closed: false,
    call(exportName: string): Promise<Uint8Array | null> {
      if (instance.closed) return Promise.reject(new PluginCallError("closed", "closed"));
      if (exportName === "spin") return new Promise((_resolve, reject) => (stop = reject));
      if (exportName === "trap") return Promise.reject(new Error("unreachable"));
      return Promise.resolve(new TextEncoder().encode(exportName));
    },
    async dispose() {
      instance.closed = true;
      stop?.(new PluginCallError("closed", "closed"));
    },
  };
  return instance;
}

/** A start that never settles, unless abandoned through its signal (`honourSignal`). */
function hangingStart(signal: AbortSignal, honourSignal = true): Promise<PoolInstance> {
  return new Promise((_resolve, reject) => {
    if (honourSignal) signal.addEventListener("abort", () => reject(signal.reason), { once: true });
  });
}

const pools: InstancePool[] = [];
async function pool(factory: InstanceFactory, options: Omit<Parameters<typeof InstancePool.create>[1], "size"> & { size?: number } = {}): Promise<InstancePool> {
  const created = await InstancePool.create(factory, { size: 1, ...options });
  pools.push(created);
  return created;
}

function settleTime(promise: Promise<unknown>, started: number): Promise<{ ms: number; error: unknown }> {
  return promise.then(
    () => ({ ms: Date.now() - started, error: null }),
    (error: unknown) => ({ ms: Date.now() - started, error }),
  );
}

describe("InstancePool: the queue", () => {
  it("counts time in line toward timeoutMs: 20 spinning calls on one instance all end near their deadline", async () => {
    const p = await pool(async () => fakeInstance());
    const started = Date.now();
    const calls = Array.from({ length: 20 }, () => settleTime(p.run("spin", INPUT, { timeoutMs: 200 }), started));
    const results = await Promise.all(calls);
    // Before: each waited for the one ahead to time out first, so the last ended after 20 × 200 ms.
    expect(Math.max(...results.map((r) => r.ms))).toBeLessThan(1500);
    for (const r of results) expect(r.error).toMatchObject({ code: "timeout" });
    await expect(p.run("echo", INPUT, { timeoutMs: 200 })).resolves.toEqual(new TextEncoder().encode("echo"));
  });

  it("ends a cheap call stuck behind a spinning one at the cheap call's own deadline", async () => {
    const p = await pool(async () => fakeInstance());
    const spinning = p.run("spin", INPUT, { timeoutMs: 2000 });
    const started = Date.now();
    await expect(p.run("echo", INPUT, { timeoutMs: 100 })).rejects.toMatchObject({ code: "timeout", message: expect.stringContaining("waiting in line for a free instance") });
    expect(Date.now() - started).toBeLessThan(1000);
    await p.dispose();
    await expect(spinning).rejects.toMatchObject({ code: "closed" });
  });

  it("refuses a call past the queue's cap with busy, at once, and takes calls again once it drains", async () => {
    const p = await pool(async () => fakeInstance(), { maxQueue: 2 });
    const running = p.run("spin", INPUT, { timeoutMs: 300 });
    const queued = [p.run("echo", INPUT, { timeoutMs: 300 }), p.run("echo", INPUT, { timeoutMs: 300 })];
    const started = Date.now();
    await expect(p.run("echo", INPUT, { timeoutMs: 300 })).rejects.toMatchObject({ code: "busy", message: expect.stringContaining("2 calls are already waiting") });
    expect(Date.now() - started).toBeLessThan(100);
    await expect(running).rejects.toMatchObject({ code: "timeout" });
    await Promise.allSettled(queued);
    await expect(p.run("echo", INPUT, { timeoutMs: 300 })).resolves.toBeTruthy();
  });

  it("lets a caller that gives up leave the queue at once", async () => {
    const p = await pool(async () => fakeInstance(), { maxQueue: 1 });
    const running = p.run("spin", INPUT, { timeoutMs: 2000 });
    const controller = new AbortController();
    const waiting = p.run("echo", INPUT, { timeoutMs: 2000, signal: controller.signal });
    expect(p.waiting).toBe(1);
    controller.abort();
    await expect(waiting).rejects.toMatchObject({ code: "aborted" });
    expect(p.waiting).toBe(0);
    // Its place is free again: the cap of 1 takes another waiter.
    const next = p.run("echo", INPUT, { timeoutMs: 200 });
    expect(p.waiting).toBe(1);
    await expect(next).rejects.toMatchObject({ code: "timeout" });
    await p.dispose();
    await expect(running).rejects.toMatchObject({ code: "closed" });
  });
});

describe("InstancePool: starts", () => {
  it("races an instance that is still starting against the call's deadline", async () => {
    let starts = 0;
    const p = await pool(async (signal) => (++starts === 1 ? fakeInstance() : hangingStart(signal)));
    await expect(p.run("trap", INPUT, { timeoutMs: 500 })).rejects.toMatchObject({ name: "InstanceCallFailure" });
    const started = Date.now();
    // The replacement never comes up: the call ends at its own deadline, not never.
    await expect(p.run("echo", INPUT, { timeoutMs: 200 })).rejects.toMatchObject({ code: "timeout", message: expect.stringContaining("waiting for its instance to start") });
    expect(Date.now() - started).toBeLessThan(1000);
    expect(starts).toBe(2); // a start still running is not thrown away and begun again
  });

  it("gives up after maxStartFailures failed starts in a row: calls then fail at once with start_failed", async () => {
    let starts = 0;
    const failures: string[] = [];
    const p = await pool(
      async () => {
        if (++starts === 1) return fakeInstance();
        throw new PluginCallError("start_failed", "the plugin did not finish instantiating within 100 ms");
      },
      { maxStartFailures: 2, onFailed: (reason) => failures.push(reason) },
    );
    await expect(p.run("trap", INPUT, { timeoutMs: 500 })).rejects.toMatchObject({ name: "InstanceCallFailure" });
    await expect(p.run("echo", INPUT, { timeoutMs: 500 })).rejects.toMatchObject({ code: "start_failed" });
    await expect(p.run("echo", INPUT, { timeoutMs: 500 })).rejects.toMatchObject({ code: "start_failed" });
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(p.failure).toContain("gave up after 2 failed starts in a row");
    expect(failures).toHaveLength(1);
    const before = starts;
    for (let i = 0; i < 5; i++) await expect(p.run("echo", INPUT, { timeoutMs: 500 })).rejects.toMatchObject({ code: "start_failed", message: expect.stringContaining("gave up") });
    expect(starts).toBe(before); // no more starts: not retried in a loop
  });

  it("disposes at once while an instance is stuck starting, even one that ignores the abort", async () => {
    let starts = 0;
    const p = await pool(async (signal) => (++starts === 1 ? fakeInstance() : hangingStart(signal, false)));
    await expect(p.run("trap", INPUT, { timeoutMs: 500 })).rejects.toBeTruthy();
    const waiting = p.run("echo", INPUT, { timeoutMs: 5000 });
    const started = Date.now();
    await p.dispose();
    expect(Date.now() - started).toBeLessThan(100);
    await expect(waiting).rejects.toMatchObject({ code: "closed" });
  });

  it("abandons create through its signal while an instance is stuck starting", async () => {
    const controller = new AbortController();
    const creating = InstancePool.create((signal) => hangingStart(signal), { size: 2, signal: controller.signal });
    setTimeout(() => controller.abort(), 50);
    await expect(creating).rejects.toMatchObject({ code: "closed" });
  });
});
