/**
 * Search in one store: vector (cosine similarity through the store's index), keyword (FTS5 BM25)
 * or hybrid (both, fused by reciprocal rank), restricted to the files an attribute filter accepts.
 * Ranker names: OpenAI's `auto`, `default-2024-11-15` and `none` mean vector search; `vector`, `keyword` and
 * `hybrid` are Shimmy's extensions.
 */
import { ShimmyError } from "../errors.js";
import type { ChunkHit, SqliteVectorStoresRepo, StoreRow } from "../state/vector-stores-repo.js";
import type { EmbeddingBackend } from "./embedding-backend.js";
import { matchesFilter, type AttributeFilter } from "./filters.js";
import { keywordQuery, keywordScore } from "./keyword-query.js";
import { fuseRanks } from "./rank-fusion.js";
import type { VectorIndex } from "./vector-index.js";

/** How results are ranked. */
export type Ranker = "vector" | "keyword" | "hybrid";

/** The rankers a request may name. */
export const RANKER_NAMES = ["auto", "default-2024-11-15", "none", "vector", "keyword", "hybrid"] as const;

/** OpenAI's names mean vector search; Shimmy's extensions name themselves. */
export function rankerOf(name: (typeof RANKER_NAMES)[number] | undefined): Ranker {
  return name === "keyword" || name === "hybrid" ? name : "vector";
}

/** A search, checked. */
export interface StoreSearch {
  queries: string[];
  maxResults: number;
  filter: AttributeFilter | null;
  ranker: Ranker;
  scoreThreshold: number;
}

/** A result: the chunk and its score (0..1). */
export interface ScoredHit extends ChunkHit {
  score: number;
}

/** Runs a search over a store; results best first. */
export async function searchStore(
  search: StoreSearch, store: StoreRow, deps: { stores: SqliteVectorStoresRepo; backend: EmbeddingBackend; index: VectorIndex; signal: AbortSignal },
): Promise<ScoredHit[]> {
  const { stores, backend, index } = deps;
  const attached = stores.storeFiles(store.id);
  const files = attached.filter((f) => f.status === "completed" && (search.filter === null || matchesFilter(search.filter, f.attributes)));
  if (files.length === 0) return [];
  const allowed = new Set(files.map((f) => f.fileId));
  const everyFile = files.length === attached.length;
  const want = search.maxResults;
  const hits = new Map<number, ChunkHit>();
  const vectorLists: { key: number; score: number }[][] = [];
  const keywordLists: { key: number; score: number }[][] = [];

  if (search.ranker !== "keyword") {
    const embedded = await backend.embed(store.embeddingModel, search.queries, deps.signal);
    if (embedded.dimensions !== store.dimensions) {
      throw new ShimmyError("invalid_parameter", `The store's embedding model now gives ${embedded.dimensions}-dimension vectors; the store holds ${store.dimensions}-dimension ones.`, { param: "embedding_model" });
    }
    for (const vector of embedded.vectors) {
      // Over-fetch until `want` chunks of accepted files are found or the index is exhausted.
      let k = Math.min(index.size(), want * (everyFile ? 1 : 4));
      let list: { key: number; score: number }[] = [];
      for (;;) {
        const matches = await index.search(vector, k);
        const found = stores.chunkHits(store.id, matches.map((m) => m.key));
        for (const hit of found) hits.set(hit.id, hit);
        list = matches.filter((m) => allowed.has(hits.get(m.key)?.fileId ?? "")).map((m) => ({ key: m.key, score: Math.max(0, Math.min(1, m.similarity)) }));
        if (list.length >= want || k >= index.size()) break;
        k = Math.min(index.size(), k * 4);
      }
      vectorLists.push(list.slice(0, want * 2));
    }
  }
  if (search.ranker !== "vector") {
    const fileIds = everyFile ? undefined : [...allowed];
    for (const query of search.queries) {
      const match = keywordQuery(query);
      if (match === null) continue;
      const rows = stores.keywordSearch(store.id, match, want * 2, fileIds);
      for (const hit of stores.chunkHits(store.id, rows.map((r) => r.id))) hits.set(hit.id, hit);
      keywordLists.push(rows.map((r) => ({ key: r.id, score: keywordScore(r.rank) })));
    }
  }

  let ranked: { key: number; score: number }[];
  if (search.ranker === "hybrid") ranked = fuseRanks([...vectorLists, ...keywordLists].map((l) => l.map((m) => m.key)));
  else ranked = bestOf(search.ranker === "vector" ? vectorLists : keywordLists);
  return ranked
    .filter((r) => r.score >= search.scoreThreshold && hits.has(r.key))
    .slice(0, want)
    .map((r) => ({ ...hits.get(r.key)!, score: r.score }));
}

/** Merges ranked lists keeping each key's best score, best first. */
function bestOf(lists: { key: number; score: number }[][]): { key: number; score: number }[] {
  const best = new Map<number, number>();
  for (const list of lists) for (const m of list) best.set(m.key, Math.max(best.get(m.key) ?? -Infinity, m.score));
  return [...best.entries()].map(([key, score]) => ({ key, score })).sort((a, b) => b.score - a.score);
}
