import { createHash, randomBytes } from "node:crypto";
import fs from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { Sha256Worker } from "./hash-worker.js";

describe("Sha256Worker", () => {
  it("hashes a file's prefix, then ranges of the shared memory, in the order given", async () => {
    const dir = await fs.mkdtemp(path.join(os.tmpdir(), "shimmy-hash-"));
    const file = path.join(dir, "partial");
    const onDisk = randomBytes(5 << 20);
    await fs.writeFile(file, onDisk);
    const memory = new SharedArrayBuffer(100_000);
    const view = new Uint8Array(memory);
    view.set(randomBytes(memory.byteLength));
    const expected = createHash("sha256").update(onDisk.subarray(0, 4_500_000)).update(view.subarray(90_000)).update(view.subarray(0, 3_000)).update(view.subarray(50, 70)).digest("hex");
    const hash = new Sha256Worker(memory);
    let reports = 0;
    hash.onProgress = () => reports++;
    try {
      hash.updateFromFile(file, 4_500_000);
      // A range that wraps around the end of the memory comes as two.
      hash.update([[90_000, 100_000], [0, 3_000]]);
      hash.update([[50, 70]]);
      expect(hash.posted).toBe(4_500_000 + 13_020);
      expect(await hash.digest()).toBe(expected);
      expect(hash.hashed).toBe(hash.posted);
      expect(reports).toBeGreaterThanOrEqual(2);
    } finally {
      await hash.dispose();
      await fs.rm(dir, { recursive: true, force: true });
    }
  });

  it("fails when the file is shorter than the prefix asked for", async () => {
    const dir = await fs.mkdtemp(path.join(os.tmpdir(), "shimmy-hash-"));
    const file = path.join(dir, "partial");
    await fs.writeFile(file, "short");
    const hash = new Sha256Worker();
    try {
      hash.updateFromFile(file, 10);
      await expect(hash.digest()).rejects.toThrow("ends at 5 bytes, not 10");
    } finally {
      await hash.dispose();
      await fs.rm(dir, { recursive: true, force: true });
    }
  });
});
