/**
 * What a vector store needs of a vector index: keyed vectors in, nearest keys out. The embedded
 * one is {@link UsearchVectorIndex} (usearch HNSW, with exact search for small stores); a
 * distributed engine (Qdrant, PostgreSQL with pgvector) can take its place for users who outgrow
 * one machine, hence the {@link Awaitable} results. The index is never the source of truth: every
 * key and vector is also in the state database, and {@link VectorIndexFactory.open} is told what
 * the database holds so it can repair or rebuild itself from it.
 */
import type { Awaitable } from "../state/page.js";

/** A nearest neighbour: its key (a chunk id) and its cosine similarity to the query (-1..1). */
export interface VectorMatch {
  key: number;
  similarity: number;
}

/** A store's vector index. All vectors are L2-normalised; similarity is cosine. */
export interface VectorIndex {
  /** The length of every vector. */
  readonly dimensions: number;
  /** Adds vectors under new keys. */
  add(keys: readonly number[], vectors: readonly Float32Array[]): Awaitable<void>;
  /** Removes keys; unknown keys are ignored. */
  remove(keys: readonly number[]): Awaitable<void>;
  /** The `k` nearest keys to `vector`, most similar first. */
  search(vector: Float32Array, k: number): Awaitable<VectorMatch[]>;
  /** How many vectors it holds. */
  size(): number;
  /** Makes what was added and removed durable (a no-op for a server-side index). */
  save(): Awaitable<void>;
  /** Deletes what it persisted (the store was deleted). */
  destroy(): Awaitable<void>;
}

/** What the database holds for a store: what an index is checked against when it opens. */
export interface IndexSource {
  /** Count, sum and largest of the chunk ids. */
  digest: { count: number; sum: number; max: number };
  /** Every key and vector, read again when the index must be rebuilt. */
  vectors(): Iterable<{ id: number; vector: Float32Array }>;
}

/** Opens (and repairs when needed) the index of a store. */
export interface VectorIndexFactory {
  open(storeId: string, dimensions: number, source: IndexSource): Awaitable<{ index: VectorIndex; rebuilt: boolean }>;
}
