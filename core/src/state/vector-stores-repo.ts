/**
 * Vector stores, the files attached to them (status, `last_error`, attributes, chunking), their
 * file batches and their chunks (text, token count, vector, and the stable integer id the vector
 * index is keyed by). SQLite is the source of truth; the index is rebuilt from here. Plain portable
 * SQL except the FTS5 `MATCH` of {@link SqliteVectorStoresRepo.keywordSearch}.
 */
import type { Database, Statement } from "better-sqlite3";
import { pageClause, toPage, type Page, type PageQuery } from "./page.js";

/** When a store expires: `days` after its `last_active_at`. */
export interface ExpiresAfter {
  anchor: "last_active_at";
  days: number;
}

/** A vector store row. */
export interface StoreRow {
  id: string;
  name: string | null;
  embeddingModel: string;
  dimensions: number;
  metadata: Record<string, string>;
  expiresAfter: ExpiresAfter | null;
  /** Seconds since the epoch; null when it never expires. */
  expiresAt: number | null;
  createdAt: number;
  lastActiveAt: number;
}

/** A file's state in one store. */
export type StoreFileStatus = "in_progress" | "completed" | "failed" | "cancelled";

/** Why a file failed, as OpenAI's `last_error`. */
export interface FileError {
  code: "server_error" | "unsupported_file" | "invalid_file";
  message: string;
}

/** Attribute values a store file may carry. */
export type AttributeValue = string | number | boolean;

/** A file attached to a store. */
export interface StoreFileRow {
  storeId: string;
  fileId: string;
  batchId: string | null;
  status: StoreFileStatus;
  lastError: FileError | null;
  attributes: Record<string, AttributeValue>;
  maxChunkSizeTokens: number;
  chunkOverlapTokens: number;
  usageBytes: number;
  createdAt: number;
}

/** A chunk to store. */
export interface NewChunk {
  position: number;
  text: string;
  tokens: number;
  vector: Float32Array;
}

/** A stored chunk with what a search result shows of its file. */
export interface ChunkHit {
  id: number;
  fileId: string;
  filename: string;
  position: number;
  text: string;
  attributes: Record<string, AttributeValue>;
}

/** A file batch. */
export interface BatchRow {
  id: string;
  storeId: string;
  cancelled: boolean;
  createdAt: number;
}

/** Files per status, as OpenAI's `file_counts`. */
export interface FileCounts {
  in_progress: number;
  completed: number;
  failed: number;
  cancelled: number;
  total: number;
}

/** What identifies a store's set of chunk ids, to tell whether a saved index still matches it. */
export interface ChunkIdsDigest {
  count: number;
  sum: number;
  max: number;
}

interface RawStore {
  id: string; name: string | null; embedding_model: string; dimensions: number; metadata: string;
  expires_after: string | null; expires_at: number | null; created_at: number; last_active_at: number;
}
interface RawStoreFile {
  vector_store_id: string; file_id: string; batch_id: string | null; status: StoreFileStatus; last_error: string | null;
  attributes: string; max_chunk_size_tokens: number; chunk_overlap_tokens: number; usage_bytes: number; created_at: number;
}

const toStore = (r: RawStore): StoreRow => ({
  id: r.id, name: r.name, embeddingModel: r.embedding_model, dimensions: r.dimensions,
  metadata: JSON.parse(r.metadata) as Record<string, string>,
  expiresAfter: r.expires_after ? (JSON.parse(r.expires_after) as ExpiresAfter) : null,
  expiresAt: r.expires_at, createdAt: r.created_at, lastActiveAt: r.last_active_at,
});
const toStoreFile = (r: RawStoreFile): StoreFileRow => ({
  storeId: r.vector_store_id, fileId: r.file_id, batchId: r.batch_id, status: r.status,
  lastError: r.last_error ? (JSON.parse(r.last_error) as FileError) : null,
  attributes: JSON.parse(r.attributes) as Record<string, AttributeValue>,
  maxChunkSizeTokens: r.max_chunk_size_tokens, chunkOverlapTokens: r.chunk_overlap_tokens,
  usageBytes: r.usage_bytes, createdAt: r.created_at,
});

/** Float32 vector ↔ bytes, little-endian as the machine stores them. */
const vectorBytes = (v: Float32Array): Buffer => Buffer.from(v.buffer, v.byteOffset, v.byteLength);
const bytesVector = (b: Buffer): Float32Array => new Float32Array(b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength));

/** The vector store tables. */
export class SqliteVectorStoresRepo {
  private readonly db: Database;
  /**
   * Prepared statements by their SQL: preparing one on each call cost ~7 ms on a database of 100,000
   * chunks (bench/vectors.ts), more than the search itself. The few SQL texts built per call (IN lists
   * by length, optional conditions) are bounded in number.
   */
  private readonly statements = new Map<string, Statement>();

  private sql(text: string): Statement {
    let statement = this.statements.get(text);
    if (!statement) {
      statement = this.db.prepare(text);
      if (this.statements.size < 256) this.statements.set(text, statement);
    }
    return statement;
  }

  constructor(db: Database) {
    this.db = db;
  }

  insertStore(store: StoreRow): void {
    this.sql(
        "INSERT INTO vector_stores (id, position, name, embedding_model, dimensions, metadata, expires_after, expires_at, created_at, last_active_at) VALUES (?, (SELECT COALESCE(MAX(position), 0) + 1 FROM vector_stores), ?, ?, ?, ?, ?, ?, ?, ?)",
      )
      .run(store.id, store.name, store.embeddingModel, store.dimensions, JSON.stringify(store.metadata), store.expiresAfter ? JSON.stringify(store.expiresAfter) : null, store.expiresAt, store.createdAt, store.lastActiveAt);
  }

  getStore(id: string): StoreRow | null {
    const row = this.sql("SELECT * FROM vector_stores WHERE id = ?").get(id) as RawStore | undefined;
    return row ? toStore(row) : null;
  }

  /** Every store (at start, to open their indexes). */
  allStores(): StoreRow[] {
    return (this.sql("SELECT * FROM vector_stores ORDER BY position").all() as RawStore[]).map(toStore);
  }

  listStores(query: PageQuery): Page<StoreRow> | null {
    const position = (id: string | undefined) => (id === undefined ? undefined : ((this.sql("SELECT position FROM vector_stores WHERE id = ?").get(id) as { position: number } | undefined)?.position ?? null));
    const after = position(query.after);
    const before = position(query.before);
    if (after === null || before === null) return null;
    const tail = pageClause(query, after, before);
    const rows = this.sql(`SELECT * FROM vector_stores WHERE 1 = 1${tail.sql}`).all(...tail.params) as RawStore[];
    return toPage(rows.map(toStore), query.limit);
  }

  /** Writes a store's changeable fields. */
  updateStore(store: StoreRow): void {
    this.sql("UPDATE vector_stores SET name = ?, metadata = ?, expires_after = ?, expires_at = ?, last_active_at = ? WHERE id = ?")
      .run(store.name, JSON.stringify(store.metadata), store.expiresAfter ? JSON.stringify(store.expiresAfter) : null, store.expiresAt, store.lastActiveAt, store.id);
  }

  /** Deletes a store with its files, batches and chunks; false when there was none. */
  deleteStore(id: string): boolean {
    return this.db.transaction(() => {
      this.sql("DELETE FROM chunks WHERE vector_store_id = ?").run(id);
      return this.sql("DELETE FROM vector_stores WHERE id = ?").run(id).changes > 0;
    })();
  }

  /** Stores past their expiry (`expires_at` at or before `now`) that still hold chunks or files in progress. */
  expiredStoresToEmpty(now: number): StoreRow[] {
    return (this.sql(
      "SELECT * FROM vector_stores s WHERE s.expires_at IS NOT NULL AND s.expires_at <= ? AND (EXISTS (SELECT 1 FROM chunks c WHERE c.vector_store_id = s.id) OR EXISTS (SELECT 1 FROM vector_store_files f WHERE f.vector_store_id = s.id AND (f.status = 'in_progress' OR f.usage_bytes > 0)))",
    ).all(now) as RawStore[]).map(toStore);
  }

  /**
   * Empties an expired store in one transaction: its chunks go (and their FTS rows), files still in
   * progress become `cancelled` (so an ingestion under way commits nothing), and its files' usage
   * is zero. The store and its file list stay. Returns how many chunks were deleted.
   */
  emptyStore(storeId: string): number {
    return this.db.transaction(() => {
      const deleted = this.sql("DELETE FROM chunks WHERE vector_store_id = ?").run(storeId).changes;
      this.sql("UPDATE vector_store_files SET status = 'cancelled' WHERE vector_store_id = ? AND status = 'in_progress'").run(storeId);
      this.sql("UPDATE vector_store_files SET usage_bytes = 0 WHERE vector_store_id = ?").run(storeId);
      return deleted;
    })();
  }

  fileCounts(storeId: string, batchId?: string): FileCounts {
    const rows = (batchId === undefined
      ? this.sql("SELECT status, COUNT(*) AS n FROM vector_store_files WHERE vector_store_id = ? GROUP BY status").all(storeId)
      : this.sql("SELECT status, COUNT(*) AS n FROM vector_store_files WHERE vector_store_id = ? AND batch_id = ? GROUP BY status").all(storeId, batchId)) as { status: StoreFileStatus; n: number }[];
    const counts: FileCounts = { in_progress: 0, completed: 0, failed: 0, cancelled: 0, total: 0 };
    for (const row of rows) {
      counts[row.status] = row.n;
      counts.total += row.n;
    }
    return counts;
  }

  usageBytes(storeId: string): number {
    return (this.sql("SELECT COALESCE(SUM(usage_bytes), 0) AS n FROM vector_store_files WHERE vector_store_id = ?").get(storeId) as { n: number }).n;
  }

  /** Attaches a file (status `in_progress`); the existing row when it is already attached. */
  attachFile(row: StoreFileRow): StoreFileRow {
    const existing = this.getStoreFile(row.storeId, row.fileId);
    if (existing) return existing;
    this.sql(
        "INSERT INTO vector_store_files (vector_store_id, file_id, position, batch_id, status, last_error, attributes, max_chunk_size_tokens, chunk_overlap_tokens, usage_bytes, created_at) VALUES (?, ?, (SELECT COALESCE(MAX(position), 0) + 1 FROM vector_store_files), ?, ?, ?, ?, ?, ?, ?, ?)",
      )
      .run(row.storeId, row.fileId, row.batchId, row.status, row.lastError ? JSON.stringify(row.lastError) : null, JSON.stringify(row.attributes), row.maxChunkSizeTokens, row.chunkOverlapTokens, row.usageBytes, row.createdAt);
    return row;
  }

  getStoreFile(storeId: string, fileId: string): StoreFileRow | null {
    const row = this.sql("SELECT * FROM vector_store_files WHERE vector_store_id = ? AND file_id = ?").get(storeId, fileId) as RawStoreFile | undefined;
    return row ? toStoreFile(row) : null;
  }

  /** A page of a store's files, by status and batch when given; null when `after`/`before` is unknown. */
  listStoreFiles(storeId: string, query: PageQuery, where: { status?: string; batchId?: string } = {}): Page<StoreFileRow> | null {
    const position = (id: string | undefined) => (id === undefined ? undefined : ((this.sql("SELECT position FROM vector_store_files WHERE vector_store_id = ? AND file_id = ?").get(storeId, id) as { position: number } | undefined)?.position ?? null));
    const after = position(query.after);
    const before = position(query.before);
    if (after === null || before === null) return null;
    const tail = pageClause(query, after, before);
    const conditions = ["vector_store_id = ?"];
    const params: (string | number)[] = [storeId];
    if (where.status !== undefined) conditions.push("status = ?"), params.push(where.status);
    if (where.batchId !== undefined) conditions.push("batch_id = ?"), params.push(where.batchId);
    const rows = this.sql(`SELECT * FROM vector_store_files WHERE ${conditions.join(" AND ")}${tail.sql}`).all(...params, ...tail.params) as RawStoreFile[];
    return toPage(rows.map(toStoreFile), query.limit);
  }

  /** Every attached file of a store (to evaluate attribute filters). */
  storeFiles(storeId: string): StoreFileRow[] {
    return (this.sql("SELECT * FROM vector_store_files WHERE vector_store_id = ? ORDER BY position").all(storeId) as RawStoreFile[]).map(toStoreFile);
  }

  /** The stores a file is attached to. */
  storesOfFile(fileId: string): string[] {
    return (this.sql("SELECT vector_store_id AS id FROM vector_store_files WHERE file_id = ?").all(fileId) as { id: string }[]).map((r) => r.id);
  }

  /** Files left `in_progress` (by a process that was killed while ingesting them), oldest first. */
  filesInProgress(): StoreFileRow[] {
    return (this.sql("SELECT * FROM vector_store_files WHERE status = 'in_progress' ORDER BY position").all() as RawStoreFile[]).map(toStoreFile);
  }

  updateAttributes(storeId: string, fileId: string, attributes: Record<string, AttributeValue>): void {
    this.sql("UPDATE vector_store_files SET attributes = ? WHERE vector_store_id = ? AND file_id = ?").run(JSON.stringify(attributes), storeId, fileId);
  }

  /** Sets a file's status (and its error); false when the file is no longer attached. */
  setStatus(storeId: string, fileId: string, status: StoreFileStatus, lastError: FileError | null = null): boolean {
    return this.sql("UPDATE vector_store_files SET status = ?, last_error = ? WHERE vector_store_id = ? AND file_id = ?").run(status, lastError ? JSON.stringify(lastError) : null, storeId, fileId).changes > 0;
  }

  /**
   * Replaces a file's chunks with `chunks` and marks it completed, in one transaction: a file is
   * never seen half-ingested. Returns the new chunk ids in order, or null when the file was detached
   * (or its ingestion cancelled) meanwhile; `replaced` are the ids of the chunks it replaced.
   */
  commitChunks(storeId: string, fileId: string, chunks: readonly NewChunk[], usageBytes: number): { ids: number[]; replaced: number[] } | null {
    return this.db.transaction(() => {
      const row = this.getStoreFile(storeId, fileId);
      if (!row || row.status !== "in_progress") return null;
      const replaced = this.chunkIdsOfFile(storeId, fileId);
      this.sql("DELETE FROM chunks WHERE vector_store_id = ? AND file_id = ?").run(storeId, fileId);
      const insert = this.sql("INSERT INTO chunks (vector_store_id, file_id, position, text, tokens, embedding) VALUES (?, ?, ?, ?, ?, ?)");
      const ids = chunks.map((c) => Number(insert.run(storeId, fileId, c.position, c.text, c.tokens, vectorBytes(c.vector)).lastInsertRowid));
      this.sql("UPDATE vector_store_files SET status = 'completed', last_error = NULL, usage_bytes = ? WHERE vector_store_id = ? AND file_id = ?").run(usageBytes, storeId, fileId);
      return { ids, replaced };
    })();
  }

  /** Detaches a file, deleting its chunks; the deleted chunk ids, or null when it was not attached. */
  detachFile(storeId: string, fileId: string): number[] | null {
    return this.db.transaction(() => {
      const ids = this.chunkIdsOfFile(storeId, fileId);
      this.sql("DELETE FROM chunks WHERE vector_store_id = ? AND file_id = ?").run(storeId, fileId);
      const removed = this.sql("DELETE FROM vector_store_files WHERE vector_store_id = ? AND file_id = ?").run(storeId, fileId).changes > 0;
      return removed ? ids : null;
    })();
  }

  chunkIdsOfFile(storeId: string, fileId: string): number[] {
    return (this.sql("SELECT id FROM chunks WHERE vector_store_id = ? AND file_id = ? ORDER BY position").all(storeId, fileId) as { id: number }[]).map((r) => r.id);
  }

  /** Count, sum and largest of a store's chunk ids. */
  chunkIdsDigest(storeId: string): ChunkIdsDigest {
    const row = this.sql("SELECT COUNT(*) AS count, COALESCE(SUM(id), 0) AS sum, COALESCE(MAX(id), 0) AS max FROM chunks WHERE vector_store_id = ?").get(storeId) as ChunkIdsDigest;
    return { count: row.count, sum: row.sum, max: row.max };
  }

  /** Every chunk id and vector of a store, to rebuild its index. */
  *chunkVectors(storeId: string): Generator<{ id: number; vector: Float32Array }> {
    // A statement of its own: a cached one would be busy for as long as the iteration lasts.
    const rows = this.db.prepare("SELECT id, embedding FROM chunks WHERE vector_store_id = ? ORDER BY id").iterate(storeId) as Iterable<{ id: number; embedding: Buffer }>;
    for (const row of rows) yield { id: row.id, vector: bytesVector(row.embedding) };
  }

  /** The chunks of these ids in a store, with their file's name and attributes (any order). */
  chunkHits(storeId: string, ids: readonly number[]): ChunkHit[] {
    if (ids.length === 0) return [];
    // Chunks by primary key first, then each distinct file once: joined in one statement, SQLite's
    // planner (no ANALYZE statistics) drove the join from the store's files and read every chunk of
    // the store (21 ms at 100,000 chunks instead of 0.1 ms).
    const rows: { id: number; file_id: string; position: number; text: string }[] = [];
    // Bounded IN lists: SQLite's default limit on bound parameters is 32766.
    for (let start = 0; start < ids.length; start += 500) {
      const part = ids.slice(start, start + 500);
      rows.push(...(this.sql(`SELECT id, vector_store_id, file_id, position, text FROM chunks WHERE id IN (${part.map(() => "?").join(", ")})`).all(...part) as { id: number; vector_store_id: string; file_id: string; position: number; text: string }[]).filter((r) => r.vector_store_id === storeId));
    }
    const files = new Map<string, { filename: string; attributes: Record<string, AttributeValue> } | null>();
    const fileOf = this.sql("SELECT s.attributes AS attributes, f.filename AS filename FROM vector_store_files s LEFT JOIN files f ON f.id = s.file_id WHERE s.vector_store_id = ? AND s.file_id = ?");
    const hits: ChunkHit[] = [];
    for (const r of rows) {
      if (!files.has(r.file_id)) {
        const file = fileOf.get(storeId, r.file_id) as { attributes: string; filename: string | null } | undefined;
        files.set(r.file_id, file ? { filename: file.filename ?? "", attributes: JSON.parse(file.attributes) as Record<string, AttributeValue> } : null);
      }
      const file = files.get(r.file_id);
      if (file) hits.push({ id: r.id, fileId: r.file_id, filename: file.filename, position: r.position, text: r.text, attributes: file.attributes });
    }
    return hits;
  }

  /**
   * Chunk ids of a store matching an FTS5 query, best first, with their BM25 rank (lower is
   * better), at most `limit`; only chunks of `fileIds` when given.
   */
  keywordSearch(storeId: string, match: string, limit: number, fileIds?: readonly string[]): { id: number; rank: number }[] {
    if (fileIds !== undefined && fileIds.length === 0) return [];
    const files = fileIds === undefined ? "" : ` AND c.file_id IN (${fileIds.map(() => "?").join(", ")})`;
    return this.sql(`SELECT c.id AS id, bm25(chunks_fts) AS rank FROM chunks_fts JOIN chunks c ON c.id = chunks_fts.rowid WHERE chunks_fts MATCH ? AND c.vector_store_id = ?${files} ORDER BY rank LIMIT ?`)
      .all(match, storeId, ...(fileIds ?? []), limit) as { id: number; rank: number }[];
  }

  insertBatch(batch: BatchRow): void {
    this.sql("INSERT INTO vector_store_file_batches (id, vector_store_id, cancelled, created_at) VALUES (?, ?, ?, ?)").run(batch.id, batch.storeId, batch.cancelled ? 1 : 0, batch.createdAt);
  }

  getBatch(storeId: string, id: string): BatchRow | null {
    const row = this.sql("SELECT * FROM vector_store_file_batches WHERE id = ? AND vector_store_id = ?").get(id, storeId) as { id: string; vector_store_id: string; cancelled: number; created_at: number } | undefined;
    return row ? { id: row.id, storeId: row.vector_store_id, cancelled: row.cancelled === 1, createdAt: row.created_at } : null;
  }

  /** Marks a batch cancelled and its files still in progress `cancelled`. */
  cancelBatch(storeId: string, id: string): void {
    this.db.transaction(() => {
      this.sql("UPDATE vector_store_file_batches SET cancelled = 1 WHERE id = ? AND vector_store_id = ?").run(id, storeId);
      this.sql("UPDATE vector_store_files SET status = 'cancelled' WHERE batch_id = ? AND vector_store_id = ? AND status = 'in_progress'").run(id, storeId);
    })();
  }
}
