import { describe, expect, it } from "vitest";
import { normalizeUpstreams } from "../../config/upstreams.js";
import { ShimmyError } from "../../errors.js";
import { UpstreamBalancer } from "./upstream-balancer.js";
import { UpstreamMember } from "./upstream-member.js";

const never = new AbortController().signal;

function members(...specs: { name: string; maxConcurrency?: number }[]): UpstreamMember[] {
  return normalizeUpstreams(specs.map((s) => ({ name: s.name, baseURL: "http://127.0.0.1:9/v1", ...(s.maxConcurrency ? { maxConcurrency: s.maxConcurrency } : {}) }))).map((c) => new UpstreamMember(c));
}

describe("UpstreamBalancer", () => {
  it("sends each request to the member with the fewest requests in flight", async () => {
    const pool = members({ name: "a" }, { name: "b" }, { name: "c" });
    const balancer = new UpstreamBalancer();
    const picked: string[] = [];
    const leases = [];
    for (let i = 0; i < 6; i++) {
      const lease = await balancer.acquire(pool, never, { model: "p/m" });
      picked.push(lease.member.name);
      leases.push(lease);
    }
    expect(picked.slice(0, 3).sort()).toEqual(["a", "b", "c"]);
    expect(pool.map((m) => m.outstanding)).toEqual([2, 2, 2]);
    // b finishes two: the next two go to b, which now has the fewest.
    leases.filter((l) => l.member.name === "b").forEach((l) => l.release());
    expect((await balancer.acquire(pool, never, { model: "p/m" })).member.name).toBe("b");
    expect((await balancer.acquire(pool, never, { model: "p/m" })).member.name).toBe("b");
  });

  it("leaves out unhealthy members and fails with upstream_unavailable when none is left", async () => {
    const pool = members({ name: "a" }, { name: "b" });
    pool[0]!.healthy = false;
    pool[0]!.error = "ECONNREFUSED";
    const balancer = new UpstreamBalancer();
    for (let i = 0; i < 3; i++) expect((await balancer.acquire(pool, never, { model: "p/m" })).member.name).toBe("b");
    pool[1]!.healthy = false;
    const err = await balancer.acquire(pool, never, { model: "p/m" }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ShimmyError);
    expect((err as ShimmyError).code).toBe("upstream_unavailable");
    expect((err as ShimmyError).message).toContain('"a" (ECONNREFUSED)');
  });

  it("holds each member to its maxConcurrency: beyond it requests wait, in order, then the queue refuses", async () => {
    const pool = members({ name: "a", maxConcurrency: 1 }, { name: "b", maxConcurrency: 1 });
    const balancer = new UpstreamBalancer({ queueSize: 2 });
    const first = await balancer.acquire(pool, never, { model: "p/m" });
    const second = await balancer.acquire(pool, never, { model: "p/m" });
    const order: string[] = [];
    const third = balancer.acquire(pool, never, { model: "p/m" }).then((l) => (order.push(`3:${l.member.name}`), l));
    const fourth = balancer.acquire(pool, never, { model: "p/m" }).then((l) => (order.push(`4:${l.member.name}`), l));
    const refused = await balancer.acquire(pool, never, { model: "p/m" }).catch((e: unknown) => e);
    expect((refused as ShimmyError).code).toBe("server_overloaded");
    expect((refused as ShimmyError).headers["Retry-After"]).toBe("1");
    expect(balancer.waiting).toBe(2);
    second.release();
    await third;
    first.release();
    await fourth;
    expect(order).toEqual([`3:${second.member.name}`, `4:${first.member.name}`]);
  });

  it("lets an aborted waiter leave the line, and fails waiters whose members all become unhealthy", async () => {
    const pool = members({ name: "a", maxConcurrency: 1 });
    const balancer = new UpstreamBalancer();
    await balancer.acquire(pool, never, { model: "a/m" });
    const controller = new AbortController();
    const waiting = balancer.acquire(pool, controller.signal, { model: "a/m" }).catch((e: unknown) => e);
    const other = balancer.acquire(pool, never, { model: "a/m" }).catch((e: unknown) => e);
    controller.abort(new Error("client left"));
    expect(((await waiting) as Error).message).toBe("client left");
    pool[0]!.healthy = false;
    balancer.pump();
    expect(((await other) as ShimmyError).code).toBe("upstream_unavailable");
    expect(balancer.waiting).toBe(0);
  });

  it("takes the preferred member when it is free, the least busy one when not", async () => {
    const pool = members({ name: "a", maxConcurrency: 1 }, { name: "b" });
    const balancer = new UpstreamBalancer();
    const a = await balancer.acquire(pool, never, { model: "p/m", prefer: "a" });
    expect(a.member.name).toBe("a");
    expect((await balancer.acquire(pool, never, { model: "p/m", prefer: "a" })).member.name).toBe("b");
  });
});

describe("normalizeUpstreams", () => {
  it("fills in the defaults and drops a trailing slash of the base URL", () => {
    expect(normalizeUpstreams([{ name: "gpu1", baseURL: "http://10.0.0.5:11435/v1/" }], { gpu1: { apiKey: "k" } })).toEqual([
      { name: "gpu1", baseURL: "http://10.0.0.5:11435/v1", apiKey: "k", maxConcurrency: 4, healthCheckSeconds: 10 },
    ]);
  });

  it("refuses a name used twice, a pool named like an upstream, and a key for no upstream", () => {
    const a = { name: "a", baseURL: "http://x/v1" };
    expect(() => normalizeUpstreams([a, a])).toThrow(/"a" is used twice/);
    expect(() => normalizeUpstreams([{ ...a, pool: "b" }, { name: "b", baseURL: "http://y/v1" }])).toThrow(/pool "b" has the name of an upstream/);
    expect(() => normalizeUpstreams([a], { z: { apiKey: "k" } })).toThrow(/"z" is no upstream/);
  });

  it("takes a key from the variable apiKeyEnv names, and refuses one that is unset or a second key in secrets.json", () => {
    const a = { name: "a", baseURL: "http://x/v1", apiKeyEnv: "CLOUD_KEY" };
    expect(normalizeUpstreams([a], {}, { CLOUD_KEY: "sk-env" })[0]).toMatchObject({ name: "a", apiKey: "sk-env" });
    expect(() => normalizeUpstreams([a], {}, {})).toThrow(/"a" takes its API key from the environment variable CLOUD_KEY \(apiKeyEnv\), which is not set/);
    expect(() => normalizeUpstreams([a], {}, { CLOUD_KEY: "" })).toThrow(/CLOUD_KEY/);
    expect(() => normalizeUpstreams([a], { a: { apiKey: "k" } }, { CLOUD_KEY: "sk-env" })).toThrow(/secrets.json and apiKeyEnv CLOUD_KEY; keep one/);
  });
});
