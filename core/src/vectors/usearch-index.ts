/**
 * The embedded {@link VectorIndex}: exact search while a store is small, usearch's HNSW graph once
 * it grows past {@link EXACT_SEARCH_MAX}, saved beside the state database as
 * `$SHIMMY_HOME/vectors/STORE.usearch` with a `STORE.json` that records which chunk ids it holds.
 *
 * usearch's ESM entry cannot load on Node 20 (it looks for its build folder from a file:// URL and
 * never stops), so the CommonJS build is required instead; 2.25.3 is the last line for Node 20.
 */
import fs from "node:fs";
import { createRequire } from "node:module";
import path from "node:path";
import type { IndexSource, VectorIndex, VectorIndexFactory, VectorMatch } from "./vector-index.js";

type UsearchModule = typeof import("usearch");
const usearch = createRequire(import.meta.url)("usearch") as UsearchModule;

/**
 * Stores of at most this many vectors are searched exactly (usearch's SIMD `exactSearch` over a
 * packed matrix) and keep no graph. Measured with bench/vectors.ts on 384-d clustered vectors, top
 * 10, on a shared 2-core machine (p50): exact 0.07–0.09 ms at 500 vectors, 0.13–0.18 ms at 1,000,
 * 0.35 ms at 2,000, 1.0 ms at 4,000, 6–18 ms at 8,000; HNSW 0.11, 0.15–0.20, 0.24–0.28, 0.29–0.43,
 * 0.60 ms. HNSW starts paying
 * between 1,000 and 2,000 vectors; up to 2,048 exact search stays well under a millisecond, with
 * recall 1, no graph to build and nothing to save (plain JavaScript loops were 15–50× slower).
 */
export const EXACT_SEARCH_MAX = 2048;

/** Options of {@link UsearchIndexFactory}. */
export interface UsearchIndexOptions {
  /** The folder of the saved indexes (`$SHIMMY_HOME/vectors`). */
  dir: string;
  /** Vectors up to which search is exact. @default EXACT_SEARCH_MAX */
  exactMax?: number;
  /** Threads usearch adds with (0: all cores). @default 1 */
  threads?: number;
  /** HNSW neighbours per node (usearch's `connectivity`). @default 16 */
  connectivity?: number;
  /** HNSW candidates kept while adding. @default 128 */
  expansionAdd?: number;
  /** HNSW candidates kept while searching. @default 64 */
  expansionSearch?: number;
}

interface SavedDigest {
  dimensions: number;
  count: number;
  sum: number;
  max: number;
}

/** Writes a file through a temporary one and a rename, so a crash leaves the old or the new. */
function writeAtomic(file: string, write: (temp: string) => void): void {
  const temp = `${file}.${process.pid}.tmp`;
  write(temp);
  fs.renameSync(temp, file);
}

/** One store's index. */
export class UsearchVectorIndex implements VectorIndex {
  readonly dimensions: number;
  private readonly file: string;
  private readonly options: Required<Omit<UsearchIndexOptions, "dir">>;
  /** The vectors while the store is small (searched exactly); null once the graph took over. */
  private exact: Map<number, Float32Array> | null = new Map();
  /** `exact` packed into one matrix for `exactSearch`, built on the first search after a change. */
  private packed: { keys: number[]; matrix: Float32Array } | null = null;
  private graph: InstanceType<UsearchModule["Index"]> | null = null;
  private count = 0;
  private sum = 0;
  private max = 0;
  private dirty = false;

  constructor(file: string, dimensions: number, options: Required<Omit<UsearchIndexOptions, "dir">>) {
    this.file = file;
    this.dimensions = dimensions;
    this.options = options;
  }

  private newGraph(): InstanceType<UsearchModule["Index"]> {
    return new usearch.Index({
      dimensions: this.dimensions, metric: "cos" as never, connectivity: this.options.connectivity,
      expansion_add: this.options.expansionAdd, expansion_search: this.options.expansionSearch,
    } as never);
  }

  /** Loads the saved graph when its digest equals `digest`; false when it must be rebuilt. */
  loadSaved(digest: IndexSource["digest"]): boolean {
    const metaFile = `${this.file}.json`;
    if (!fs.existsSync(this.file) || !fs.existsSync(metaFile)) return false;
    try {
      const saved = JSON.parse(fs.readFileSync(metaFile, "utf8")) as SavedDigest;
      if (saved.dimensions !== this.dimensions || saved.count !== digest.count || saved.sum !== digest.sum || saved.max !== digest.max) return false;
      const graph = this.newGraph();
      graph.load(this.file);
      if (graph.size() !== digest.count) return false;
      this.graph = graph;
      this.exact = null;
      Object.assign(this, { count: digest.count, sum: digest.sum, max: digest.max });
      return true;
    } catch {
      return false;
    }
  }

  add(keys: readonly number[], vectors: readonly Float32Array[]): void {
    // Keys it holds already are skipped: adding is idempotent, as recovery may replay an add.
    const fresh = keys.map((key, i) => [key, i] as const).filter(([key]) => !this.has(key));
    if (fresh.length < keys.length) return this.add(fresh.map(([key]) => key), fresh.map(([, i]) => vectors[i]!));
    if (keys.length === 0) return;
    for (const key of keys) {
      this.count++;
      this.sum += key;
      this.max = Math.max(this.max, key);
    }
    this.dirty = true;
    this.packed = null;
    if (this.exact && this.exact.size + keys.length <= this.options.exactMax) {
      keys.forEach((key, i) => this.exact!.set(key, vectors[i]!));
      return;
    }
    if (this.exact) {
      // Grown past the exact limit: the graph takes over, from every vector held so far.
      this.graph = this.newGraph();
      this.insert([...this.exact.keys()], [...this.exact.values()]);
      this.exact = null;
    }
    this.insert(keys, vectors);
  }

  private has(key: number): boolean {
    return this.exact ? this.exact.has(key) : (this.graph!.contains(BigInt(key)) as boolean);
  }

  private insert(keys: readonly number[], vectors: readonly Float32Array[]): void {
    if (keys.length === 0) return;
    const matrix = new Float32Array(keys.length * this.dimensions);
    vectors.forEach((v, i) => matrix.set(v, i * this.dimensions));
    this.graph!.add(BigUint64Array.from(keys.map(BigInt)), matrix, this.options.threads);
  }

  remove(keys: readonly number[]): void {
    for (const key of keys) {
      const present = this.exact ? this.exact.delete(key) : this.graph!.contains(BigInt(key)) && (this.graph!.remove(BigInt(key)) as number) > 0;
      if (!present) continue;
      this.count--;
      this.sum -= key;
      this.dirty = true;
      this.packed = null;
    }
    // `max` only ever grows: a digest's max is the largest id ever held when it was saved, and ids are never reused.
  }

  search(vector: Float32Array, k: number): VectorMatch[] {
    if (k <= 0 || this.count === 0) return [];
    if (this.exact) return this.exactSearch(vector, k);
    const found = this.graph!.search(vector, Math.min(k, this.count), 1);
    const matches: VectorMatch[] = [];
    for (let i = 0; i < found.keys.length; i++) matches.push({ key: Number(found.keys[i]!), similarity: 1 - found.distances[i]! });
    return matches;
  }

  private exactSearch(vector: Float32Array, k: number): VectorMatch[] {
    if (!this.packed) {
      const keys = [...this.exact!.keys()];
      const matrix = new Float32Array(keys.length * this.dimensions);
      keys.forEach((key, i) => matrix.set(this.exact!.get(key)!, i * this.dimensions));
      this.packed = { keys, matrix };
    }
    const found = usearch.exactSearch(this.packed.matrix, vector, this.dimensions, Math.min(k, this.packed.keys.length), "cos" as never, 1) as InstanceType<UsearchModule["Matches"]>;
    const matches: VectorMatch[] = [];
    // exactSearch answers row numbers of the matrix.
    for (let i = 0; i < found.keys.length; i++) matches.push({ key: this.packed.keys[Number(found.keys[i]!)]!, similarity: 1 - found.distances[i]! });
    return matches;
  }

  size(): number {
    return this.count;
  }

  save(): void {
    if (!this.dirty) return;
    fs.mkdirSync(path.dirname(this.file), { recursive: true });
    if (this.graph) {
      writeAtomic(this.file, (temp) => this.graph!.save(temp));
      const digest: SavedDigest = { dimensions: this.dimensions, count: this.count, sum: this.sum, max: this.max };
      writeAtomic(`${this.file}.json`, (temp) => fs.writeFileSync(temp, JSON.stringify(digest)));
    } else {
      // A small store is read from the database at each start: no file, and none left stale.
      this.destroy();
    }
    this.dirty = false;
  }

  destroy(): void {
    fs.rmSync(this.file, { force: true });
    fs.rmSync(`${this.file}.json`, { force: true });
  }
}

/** Exact top-k by dot product in plain JavaScript (the vectors are normalised: it is the cosine): the tests' and bench's reference. */
export function exactTop(vectors: ReadonlyMap<number, Float32Array>, query: Float32Array, k: number): VectorMatch[] {
  const all: VectorMatch[] = [];
  for (const [key, v] of vectors) {
    let dot = 0;
    for (let i = 0; i < v.length; i++) dot += v[i]! * query[i]!;
    all.push({ key, similarity: dot });
  }
  all.sort((a, b) => b.similarity - a.similarity);
  return all.slice(0, k);
}

/** Opens {@link UsearchVectorIndex}es in one folder. */
export class UsearchIndexFactory implements VectorIndexFactory {
  private readonly dir: string;
  private readonly options: Required<Omit<UsearchIndexOptions, "dir">>;

  constructor(options: UsearchIndexOptions) {
    this.dir = options.dir;
    this.options = {
      exactMax: options.exactMax ?? EXACT_SEARCH_MAX, threads: options.threads ?? 1,
      connectivity: options.connectivity ?? 16, expansionAdd: options.expansionAdd ?? 128, expansionSearch: options.expansionSearch ?? 64,
    };
  }

  /**
   * The store's index: the saved graph when it holds exactly the database's chunk ids (count, sum
   * and largest id agree); otherwise, and for every small store, built again from the database.
   */
  open(storeId: string, dimensions: number, source: IndexSource): { index: UsearchVectorIndex; rebuilt: boolean } {
    const index = new UsearchVectorIndex(path.join(this.dir, `${storeId}.usearch`), dimensions, this.options);
    const small = source.digest.count <= this.options.exactMax;
    if (!small && index.loadSaved(source.digest)) return { index, rebuilt: false };
    const hadFile = fs.existsSync(path.join(this.dir, `${storeId}.usearch`));
    let keys: number[] = [];
    let vectors: Float32Array[] = [];
    for (const { id, vector } of source.vectors()) {
      keys.push(id);
      vectors.push(vector);
      if (keys.length === 4096) {
        index.add(keys, vectors);
        keys = [];
        vectors = [];
      }
    }
    index.add(keys, vectors);
    index.save();
    return { index, rebuilt: !small || hadFile };
  }
}
