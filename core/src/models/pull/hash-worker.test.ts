import { createHash, randomBytes } from "node:crypto";
import { describe, expect, it } from "vitest";
import { Sha256Worker } from "./hash-worker.js";

describe("Sha256Worker", () => {
  it("hashes buffers in order, moving the ones that own their memory and copying slices of shared ones", async () => {
    const whole = [randomBytes(70_000), randomBytes(65_536)].map((b) => Buffer.from(new Uint8Array(b)));
    const big = randomBytes(100_000);
    const slice = big.subarray(10, 5000);
    // Allocated from Node's shared pool: moving its memory would empty every other pooled buffer.
    const pooled = Buffer.from("from the pool");
    const neighbour = Buffer.from("a neighbour in the pool");
    const expected = createHash("sha256").update(whole[0]!).update(slice).update(pooled).update(whole[1]!).digest("hex");
    const hash = new Sha256Worker();
    try {
      hash.update([whole[0]!, slice, pooled]);
      hash.update([whole[1]!]);
      await hash.drained(0);
      expect(await hash.digest()).toBe(expected);
    } finally {
      await hash.dispose();
    }
    // The moved buffers are empty here; the slice, the pooled buffer and its neighbour are intact.
    expect(whole.map((b) => b.byteLength)).toEqual([0, 0]);
    expect([slice.byteLength, pooled.toString(), neighbour.toString()]).toEqual([4990, "from the pool", "a neighbour in the pool"]);
  });
});
