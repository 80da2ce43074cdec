import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { clusteredVectors } from "./clustered-vectors.fixture.js";
import { exactTop, UsearchIndexFactory } from "./usearch-index.js";
import type { IndexSource } from "./vector-index.js";

const dirs: string[] = [];
afterEach(() => dirs.splice(0).forEach((d) => fs.rmSync(d, { recursive: true, force: true })));
const tempDir = () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "shimmy-index-"));
  dirs.push(dir);
  return dir;
};

/** A database stand-in: ids 1..n and their vectors. */
function source(vectors: Float32Array[], ids = vectors.map((_, i) => i + 1)): IndexSource {
  return {
    digest: { count: ids.length, sum: ids.reduce((a, b) => a + b, 0), max: Math.max(0, ...ids) },
    vectors: () => ids.map((id) => ({ id, vector: vectors[id - 1]! })),
  };
}

const DIM = 32;

describe("UsearchVectorIndex", () => {
  it("searches a small store exactly and keeps no file", () => {
    const dir = tempDir();
    const vectors = clusteredVectors(200, DIM, { clusters: 10 });
    const { index } = new UsearchIndexFactory({ dir, exactMax: 500 }).open("vs_a", DIM, source(vectors));
    const query = vectors[17]!;
    const found = index.search(query, 5);
    expect(found[0]).toEqual({ key: 18, similarity: expect.closeTo(1, 5) });
    expect(found.map((m) => m.key)).toEqual(exactTop(new Map(vectors.map((v, i) => [i + 1, v])), query, 5).map((m) => m.key));
    index.save();
    expect(fs.readdirSync(dir)).toEqual([]);
  });

  it("switches to HNSW past the exact limit, with high recall on clustered data", () => {
    const dir = tempDir();
    const vectors = clusteredVectors(3000, DIM, { clusters: 30 });
    const factory = new UsearchIndexFactory({ dir, exactMax: 1000 });
    const { index } = factory.open("vs_b", DIM, source(vectors.slice(0, 500)));
    index.add(vectors.slice(500).map((_, i) => 501 + i), vectors.slice(500));
    expect(index.size()).toBe(3000);
    const all = new Map(vectors.map((v, i) => [i + 1, v]));
    let hits = 0;
    for (let q = 0; q < 50; q++) {
      const query = vectors[q * 37]!;
      const truth = new Set(exactTop(all, query, 10).map((m) => m.key));
      hits += index.search(query, 10).filter((m) => truth.has(m.key)).length;
    }
    expect(hits / 500).toBeGreaterThanOrEqual(0.95);
    index.remove([1, 2, 3]);
    expect(index.size()).toBe(2997);
    expect(index.search(vectors[0]!, 3).map((m) => m.key)).not.toContain(1);
  });

  it("reloads a saved graph that matches the database, and rebuilds one that does not", () => {
    const dir = tempDir();
    const vectors = clusteredVectors(1500, DIM, { clusters: 20 });
    const factory = new UsearchIndexFactory({ dir, exactMax: 100 });
    const first = factory.open("vs_c", DIM, source(vectors));
    expect(first.rebuilt).toBe(true);
    expect(fs.existsSync(path.join(dir, "vs_c.usearch"))).toBe(true);
    const again = factory.open("vs_c", DIM, source(vectors));
    expect(again.rebuilt).toBe(false);
    expect(again.index.search(vectors[3]!, 1)[0]!.key).toBe(4);
    // The database gained chunks the saved graph never got (a crash before the index was saved).
    const more = clusteredVectors(1600, DIM, { clusters: 20, seed: 9 });
    const repaired = factory.open("vs_c", DIM, source([...vectors, ...more.slice(1500)]));
    expect(repaired.rebuilt).toBe(true);
    expect(repaired.index.size()).toBe(1600);
    expect(repaired.index.search(more[1550]!, 1)[0]!.key).toBe(1551);
    // … or lost some (chunks deleted, the index not saved since).
    const shrunk = factory.open("vs_c", DIM, source(vectors, vectors.map((_, i) => i + 1).filter((id) => id % 2 === 0)));
    expect(shrunk.rebuilt).toBe(true);
    expect(shrunk.index.size()).toBe(750);
    expect(shrunk.index.search(vectors[0]!, 5).every((m) => m.key % 2 === 0)).toBe(true);
  });
});
