import { describe, expect, it } from "vitest";
import { ShimmyError } from "../errors.js";
import { SlotQueue } from "./slot-queue.js";

const never = new AbortController().signal;

describe("SlotQueue", () => {
  it("hands out free slots at once", async () => {
    const queue = new SlotQueue({ slots: ["a", "b"], queueSize: 0 });
    const first = await queue.acquire(never);
    const second = await queue.acquire(never);
    expect([first.slot, second.slot].sort()).toEqual(["a", "b"]);
    expect(queue.busy).toBe(2);
  });

  it("serves waiters in arrival order when slots are released", async () => {
    const queue = new SlotQueue({ slots: ["a"], queueSize: 3 });
    const held = await queue.acquire(never);
    const order: number[] = [];
    const waits = [1, 2, 3].map((n) =>
      queue.acquire(never).then((lease) => {
        order.push(n);
        lease.release();
      }),
    );
    expect(queue.waiting).toBe(3);
    held.release();
    await Promise.all(waits);
    expect(order).toEqual([1, 2, 3]);
    expect(queue.busy).toBe(0);
  });

  it("refuses a request beyond the queue with server_overloaded and Retry-After", async () => {
    const queue = new SlotQueue({ slots: ["a"], queueSize: 1, retryAfterSeconds: 2 });
    await queue.acquire(never);
    void queue.acquire(never);
    const refused = await queue.acquire(never).catch((err: unknown) => err);
    expect(refused).toBeInstanceOf(ShimmyError);
    expect((refused as ShimmyError).code).toBe("server_overloaded");
    expect((refused as ShimmyError).status).toBe(503);
    expect((refused as ShimmyError).headers["Retry-After"]).toBe("2");
  });

  it("drops an aborted waiter from the queue so it never takes a slot", async () => {
    const queue = new SlotQueue({ slots: ["a"], queueSize: 2 });
    const held = await queue.acquire(never);
    const abort = new AbortController();
    const aborted = queue.acquire(abort.signal).catch((err: unknown) => err);
    const next = queue.acquire(never);
    abort.abort(new Error("gone"));
    expect(((await aborted) as Error).message).toBe("gone");
    expect(queue.waiting).toBe(1);
    held.release();
    expect((await next).slot).toBe("a");
  });

  it("releases a lease only once", async () => {
    const queue = new SlotQueue({ slots: ["a", "b"], queueSize: 0 });
    const lease = await queue.acquire(never);
    lease.release();
    lease.release();
    expect(queue.busy).toBe(0);
    await queue.acquire(never);
    await queue.acquire(never);
    await expect(queue.acquire(never)).rejects.toMatchObject({ code: "server_overloaded" });
  });

  it("lets the caller pick among free slots", async () => {
    const queue = new SlotQueue({ slots: ["a", "b", "c"], queueSize: 0 });
    const lease = await queue.acquire(never, (free) => free.find((s) => s === "c")!);
    expect(lease.slot).toBe("c");
  });
});
