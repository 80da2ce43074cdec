/**
 * Seeded clustered vectors (a mixture of Gaussians on the unit sphere), for the index tests and
 * bench/vectors.ts. Uniform random vectors make every HNSW index look broken (recall ~0.1: no
 * neighbourhood structure to follow), while real embeddings cluster by topic.
 */

/** A small fast seeded generator (mulberry32). */
export function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function gaussian(random: () => number): number {
  return Math.sqrt(-2 * Math.log(random() || 1e-12)) * Math.cos(2 * Math.PI * random());
}

function normalise(v: Float32Array): Float32Array {
  let sum = 0;
  for (const x of v) sum += x * x;
  const scale = 1 / Math.sqrt(sum);
  for (let i = 0; i < v.length; i++) v[i]! *= scale;
  return v;
}

/** `count` unit vectors around `clusters` random centres, each spread by `spread` per dimension. */
export function clusteredVectors(count: number, dimensions: number, options: { seed?: number; clusters?: number; spread?: number } = {}): Float32Array[] {
  const random = seededRandom(options.seed ?? 1);
  const clusters = options.clusters ?? 100;
  const spread = options.spread ?? 0.6;
  const centres = Array.from({ length: clusters }, () => normalise(Float32Array.from({ length: dimensions }, () => gaussian(random))));
  return Array.from({ length: count }, () => {
    const centre = centres[Math.floor(random() * clusters)]!;
    return normalise(Float32Array.from(centre, (c) => c + (gaussian(random) * spread) / Math.sqrt(dimensions)));
  });
}
