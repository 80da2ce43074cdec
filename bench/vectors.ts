/**
 * Vector search on seeded clustered vectors (a mixture of Gaussians, as real embeddings cluster;
 * uniform noise makes every HNSW index look broken), in this process:
 *  - exact and HNSW search time by store size (where HNSW starts paying: EXACT_SEARCH_MAX);
 *  - the usearch HNSW build time for `--count` vectors on `--threads` threads, and RSS after it;
 *  - top-10 p50/p95 and recall@10 against exact search, over `--queries` queries;
 *  - a hybrid query (vector + FTS5 keyword, fused by RRF) through the store search itself, over a
 *    state database holding the same vectors as chunks with words drawn per cluster.
 *   npx tsx bench/vectors.ts [--count 100000] [--dimensions 384] [--threads 2] [--queries 200]
 */
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { parseArgs } from "node:util";
import { openStateDb } from "../core/src/state/state-db.js";
import { SqliteVectorStoresRepo } from "../core/src/state/vector-stores-repo.js";
import { clusteredVectors, seededRandom } from "../core/src/vectors/clustered-vectors.fixture.js";
import { searchStore } from "../core/src/vectors/store-search.js";
import { exactTop, UsearchIndexFactory } from "../core/src/vectors/usearch-index.js";
import type { EmbeddingBackend } from "../core/src/vectors/embedding-backend.js";
import { percentile } from "./stats.js";

const { values } = parseArgs({ options: { count: { type: "string", default: "100000" }, dimensions: { type: "string", default: "384" }, threads: { type: "string", default: "2" }, queries: { type: "string", default: "200" } } });
const count = Number(values.count);
const dimensions = Number(values.dimensions);
const threads = Number(values.threads);
const queryCount = Number(values.queries);
const ms = (start: bigint) => Number(process.hrtime.bigint() - start) / 1e6;
const mb = (bytes: number) => `${(bytes / 1024 / 1024).toFixed(0)} MB`;

const vectors = clusteredVectors(count, dimensions, { seed: 7, clusters: 200 });
const queries = clusteredVectors(queryCount, dimensions, { seed: 8, clusters: 200 }).map((_, i) => vectors[(i * 7919) % count]!.map((x, d) => x + ((d * 31 + i) % 7 === 0 ? 0.01 : 0)) as Float32Array);
const all = new Map(vectors.map((v, i) => [i + 1, v]));
const rssBefore = process.memoryUsage().rss;

// Exact search (the index's own, usearch's SIMD exactSearch) against HNSW by size: where HNSW starts paying.
for (const size of [500, 1000, 2000, 4000, 8000]) {
  const subset = vectors.slice(0, size).map((vector, i) => ({ id: i + 1, vector }));
  const sizeDir = fs.mkdtempSync(path.join(os.tmpdir(), "shimmy-bench-size-"));
  const timed = (exactMax: number) => {
    const { index } = new UsearchIndexFactory({ dir: sizeDir, exactMax, threads }).open(`vs_${exactMax}`, dimensions, { digest: { count: size, sum: 0, max: 0 }, vectors: () => subset });
    queries.slice(0, 20).forEach((q) => index.search(q, 10));
    return percentile(queries.slice(0, 100).map((q) => { const t = process.hrtime.bigint(); index.search(q, 10); return ms(t); }), 50);
  };
  console.log(`top-10 over ${size}: exact p50 ${timed(size).toFixed(3)} ms, HNSW p50 ${timed(0).toFixed(3)} ms`);
  fs.rmSync(sizeDir, { recursive: true, force: true });
}

const dir = fs.mkdtempSync(path.join(os.tmpdir(), "shimmy-bench-vectors-"));
const factory = new UsearchIndexFactory({ dir, threads, exactMax: 0 });
const buildStart = process.hrtime.bigint();
const { index } = factory.open("vs_bench", dimensions, { digest: { count, sum: 0, max: 0 }, vectors: () => vectors.map((vector, i) => ({ id: i + 1, vector })) });
const buildMs = ms(buildStart);
const rssAfter = process.memoryUsage().rss;
console.log(`HNSW build of ${count} ${dimensions}-d vectors on ${threads} threads: ${(buildMs / 1000).toFixed(1)} s; RSS ${mb(rssBefore)} → ${mb(rssAfter)} (+${mb(rssAfter - rssBefore)})`);

let hits = 0;
const times: number[] = [];
for (const query of queries) {
  const t = process.hrtime.bigint();
  const found = index.search(query, 10);
  times.push(ms(t));
  const truth = new Set(exactTop(all, query, 10).map((m) => m.key));
  hits += found.filter((m) => truth.has(m.key)).length;
}
console.log(`HNSW top-10: p50 ${percentile(times, 50).toFixed(3)} ms, p95 ${percentile(times, 95).toFixed(3)} ms, recall@10 ${(hits / (queries.length * 10)).toFixed(3)}`);

// Hybrid, through the store search over a database of the same vectors as chunks.
const state = openStateDb({ file: ":memory:" });
const repo = new SqliteVectorStoresRepo(state.db);
repo.insertStore({ id: "vs_bench", name: null, embeddingModel: "bench", dimensions, metadata: {}, expiresAfter: null, expiresAt: null, createdAt: 0, lastActiveAt: 0 });
const random = seededRandom(3);
const vocabulary = Array.from({ length: 5000 }, (_, i) => `w${i.toString(36)}`);
const fillStart = process.hrtime.bigint();
for (let f = 0; f < count / 1000; f++) {
  repo.attachFile({ storeId: "vs_bench", fileId: `file-${f}`, batchId: null, status: "in_progress", lastError: null, attributes: { part: f % 10 }, maxChunkSizeTokens: 800, chunkOverlapTokens: 400, usageBytes: 0, createdAt: 0 });
  const chunks = Array.from({ length: 1000 }, (_, c) => ({ position: c, tokens: 60, vector: vectors[f * 1000 + c]!, text: Array.from({ length: 60 }, () => vocabulary[Math.floor(random() ** 2 * vocabulary.length)]).join(" ") }));
  repo.commitChunks("vs_bench", `file-${f}`, chunks, 0);
}
console.log(`database of ${count} chunks (text, FTS5, vectors) filled in ${(ms(fillStart) / 1000).toFixed(1)} s`);
let next = 0;
const backend: EmbeddingBackend = { embed: async () => ({ vectors: [queries[next++ % queries.length]!], dimensions, tokens: [5], tokensExact: true }), maxBatchSize: () => 1, maxInputTokens: () => 512, defaultModel: () => "bench" };
const store = repo.getStore("vs_bench")!;
for (const ranker of ["vector", "keyword", "hybrid"] as const) {
  const runs: number[] = [];
  for (let q = 0; q < 100; q++) {
    const text = `${vocabulary[q * 13]} ${vocabulary[q * 7 + 1]} ${vocabulary[q]}`;
    const t = process.hrtime.bigint();
    await searchStore({ queries: [text], maxResults: 10, filter: null, ranker, scoreThreshold: 0 }, store, { stores: repo, backend, index, signal: new AbortController().signal });
    runs.push(ms(t));
  }
  console.log(`store search (${ranker}, top 10, query embedding excluded): p50 ${percentile(runs, 50).toFixed(2)} ms, p95 ${percentile(runs, 95).toFixed(2)} ms`);
}
state.dispose();
fs.rmSync(dir, { recursive: true, force: true });
