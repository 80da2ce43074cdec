import { describe, expect, it } from "vitest";
import { Semaphore } from "./semaphore.js";

describe("Semaphore", () => {
  it("hands permits out first come, first served, and passes a released one to the next waiter", async () => {
    const bound = new Semaphore(2);
    const first = await bound.acquire();
    await bound.acquire();
    const order: string[] = [];
    const waiting = [bound.acquire().then((release) => (order.push("a"), release)), bound.acquire().then((release) => (order.push("b"), release))];
    expect([bound.inUse, bound.queued]).toEqual([2, 2]);
    first();
    first();
    const a = await waiting[0]!;
    expect(order).toEqual(["a"]);
    expect([bound.inUse, bound.queued]).toEqual([2, 1]);
    a();
    await waiting[1];
    expect(order).toEqual(["a", "b"]);
  });

  it("drops a waiter whose signal aborts, with the signal's reason", async () => {
    const bound = new Semaphore(1);
    const held = await bound.acquire();
    const controller = new AbortController();
    const waiter = bound.acquire(controller.signal);
    controller.abort(new Error("stop"));
    await expect(waiter).rejects.toThrow("stop");
    expect(bound.queued).toBe(0);
    held();
    expect(bound.inUse).toBe(0);
    await expect(bound.acquire(controller.signal)).rejects.toThrow("stop");
  });

  it("refuses fewer than one permit", () => {
    expect(() => new Semaphore(0)).toThrow(RangeError);
  });
});
