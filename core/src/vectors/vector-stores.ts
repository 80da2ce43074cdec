/**
 * Files and vector stores as one service over the state database, the blob folder, the embedding
 * backend and a vector index per store. The routes (openai/files-routes.ts,
 * openai/vector-stores-routes.ts) and the Responses API's `file_search` tool call it; it knows no
 * HTTP. `resume()` at start empties the stores past their expiry, opens every other store's index
 * (rebuilding one the database disagrees with), queues again the files a killed process left
 * `in_progress`, and from then on empties stores as they expire, on a timer.
 */
import path from "node:path";
import type { Database } from "better-sqlite3";
import { ShimmyError } from "../errors.js";
import { randomId } from "../ids.js";
import type { Logger } from "../logger.js";
import { SqliteFilesRepo, type FileRow } from "../state/files-repo.js";
import type { Page, PageQuery } from "../state/page.js";
import { SqliteVectorStoresRepo, type AttributeValue, type BatchRow, type ExpiresAfter, type StoreFileRow, type StoreRow } from "../state/vector-stores-repo.js";
import type { StaticChunking } from "./chunker.js";
import { noEmbeddingModel, type EmbeddingBackend } from "./embedding-backend.js";
import { isSupportedFile } from "./extract-text.js";
import { FileBlobs, fileBlobsDir } from "./file-blobs.js";
import { IngestionQueue } from "./ingestion.js";
import { searchStore, type ScoredHit, type StoreSearch } from "./store-search.js";
import { UsearchIndexFactory } from "./usearch-index.js";
import type { VectorIndex, VectorIndexFactory } from "./vector-index.js";

/** Options of {@link VectorStores}. */
export interface VectorStoresOptions {
  /** The state database (migrated). */
  db: Database;
  /** `$SHIMMY_HOME`: blobs go to `files/`, saved indexes to `vectors/`. */
  home: string;
  backend: EmbeddingBackend;
  logger: Logger;
  /** @default usearch indexes in `$SHIMMY_HOME/vectors` */
  indexes?: VectorIndexFactory;
  /** How often expired stores are looked for, in ms (after `resume()`). @default 60000 */
  expirySweepMs?: number;
}

/** A new store. */
export interface NewStore {
  name: string | null;
  embeddingModel?: string;
  fileIds: string[];
  chunking: StaticChunking;
  metadata: Record<string, string>;
  expiresAfter: ExpiresAfter | null;
}

/** A file to attach. */
export interface FileToAttach {
  fileId: string;
  attributes: Record<string, AttributeValue>;
  chunking: StaticChunking;
}

const now = () => Math.floor(Date.now() / 1000);

const storeNotFound = (id: string, param = "vector_store_id") => new ShimmyError("vector_store_not_found", `No vector store with id '${id}'.`, { param });
const storeExpired = (id: string, param = "vector_store_id") =>
  new ShimmyError("vector_store_expired", `Vector store ${id} is expired. Create a new vector store and try again.`, { param });
const isExpired = (store: StoreRow) => store.expiresAt !== null && store.expiresAt <= now();
const fileNotFound = (id: string, param = "file_id") => new ShimmyError("file_not_found", `No file with id '${id}'.`, { param });

/** The files and vector stores of one Shimmy home. */
export class VectorStores {
  readonly files: SqliteFilesRepo;
  readonly stores: SqliteVectorStoresRepo;
  private readonly blobs: FileBlobs;
  private readonly backend: EmbeddingBackend;
  private readonly factory: VectorIndexFactory;
  private readonly logger: Logger;
  private readonly queue: IngestionQueue;
  private readonly indexes = new Map<string, Promise<VectorIndex>>();
  private readonly expirySweepMs: number;
  private expiryTimer: NodeJS.Timeout | null = null;
  /** The sweep under way, awaited by `dispose()`. */
  private sweeping: Promise<unknown> = Promise.resolve();

  constructor(options: VectorStoresOptions) {
    this.files = new SqliteFilesRepo(options.db);
    this.stores = new SqliteVectorStoresRepo(options.db);
    this.blobs = new FileBlobs(fileBlobsDir(options.home));
    this.backend = options.backend;
    this.logger = options.logger;
    this.factory = options.indexes ?? new UsearchIndexFactory({ dir: path.join(options.home, "vectors") });
    this.expirySweepMs = options.expirySweepMs ?? 60_000;
    this.queue = new IngestionQueue({
      files: this.files, stores: this.stores, blobs: this.blobs, backend: this.backend, logger: this.logger,
      index: (storeId) => this.index(storeId), onIdle: () => this.saveIndexes(),
    });
  }

  /**
   * Empties the expired stores, opens every other store's index, queues the files left
   * `in_progress`, and starts the expiry timer; returns what it did.
   */
  async resume(): Promise<{ stores: number; requeued: number; expired: number }> {
    const expired = await this.expireStores();
    const all = this.stores.allStores().filter((s) => !isExpired(s));
    await Promise.all(all.map((s) => this.index(s.id)));
    const unfinished = this.stores.filesInProgress();
    for (const row of unfinished) this.queue.enqueue({ storeId: row.storeId, fileId: row.fileId });
    this.expiryTimer ??= setInterval(() => void (this.sweeping = this.expireStores().catch((err: Error) => this.logger.warn({ event: "vector_store_expiry_failed", err: err.message }))), this.expirySweepMs);
    this.expiryTimer.unref();
    return { stores: all.length, requeued: unfinished.length, expired: expired.length };
  }

  /**
   * Empties every store past its expiry that still holds chunks: its chunks (database and FTS)
   * and its index files go, files in progress are cancelled; the store record stays, as OpenAI
   * keeps an expired store (status `expired`). Returns the ids of the stores emptied.
   */
  async expireStores(): Promise<string[]> {
    const emptied: string[] = [];
    for (const store of this.stores.expiredStoresToEmpty(now())) {
      const opened = this.indexes.get(store.id);
      this.indexes.delete(store.id);
      const chunks = this.stores.emptyStore(store.id);
      // An index never opened may still have files on disk: opened empty, it is destroyed the same way.
      const index = opened ? await opened : (await this.factory.open(store.id, store.dimensions, { digest: { count: 0, sum: 0, max: 0 }, vectors: () => [] })).index;
      await index.destroy();
      emptied.push(store.id);
      this.logger.info({ event: "vector_store_expired", vectorStoreId: store.id, chunks });
    }
    return emptied;
  }

  /** The store's index, opened on first use (and repaired from the database when it disagrees). */
  index(storeId: string): Promise<VectorIndex> {
    let opened = this.indexes.get(storeId);
    if (!opened) {
      const store = this.stores.getStore(storeId);
      if (!store) return Promise.reject(storeNotFound(storeId));
      const started = Date.now();
      opened = Promise.resolve(this.factory.open(storeId, store.dimensions, {
        digest: this.stores.chunkIdsDigest(storeId),
        vectors: () => this.stores.chunkVectors(storeId),
      })).then(({ index, rebuilt }) => {
        this.logger.info({ event: "vector_index_opened", vectorStoreId: storeId, vectors: index.size(), rebuilt, ms: Date.now() - started });
        return index;
      });
      this.indexes.set(storeId, opened);
    }
    return opened;
  }

  private async saveIndexes(): Promise<void> {
    for (const opened of this.indexes.values()) await (await opened).save();
  }

  /** Resolves once no file is waiting or ingesting. */
  idle(): Promise<void> {
    return this.queue.idle();
  }

  /** Stops ingestion and the expiry timer, and saves the indexes. */
  async dispose(): Promise<void> {
    if (this.expiryTimer) clearInterval(this.expiryTimer);
    await this.sweeping;
    await this.queue.dispose();
    await this.saveIndexes().catch((err: Error) => this.logger.warn({ event: "vector_index_save_failed", err: err.message }));
  }

  // Files

  uploadFile(filename: string, purpose: string, bytes: Uint8Array): FileRow {
    const sha256 = this.blobs.put(bytes);
    const file: FileRow = { id: randomId("file-"), filename, purpose, bytes: bytes.byteLength, sha256, createdAt: now() };
    this.files.insert(file);
    return file;
  }

  getFile(id: string, param = "file_id"): FileRow {
    return this.files.get(id) ?? (() => { throw fileNotFound(id, param); })();
  }

  listFiles(query: PageQuery, purpose?: string): Page<FileRow> {
    return this.files.list(query, purpose) ?? { data: [], hasMore: false };
  }

  fileContent(id: string): { file: FileRow; bytes: Buffer } {
    const file = this.getFile(id);
    return { file, bytes: this.blobs.get(file.sha256) };
  }

  /** Deletes a file, detaching it (and its chunks) from every store. */
  async deleteFile(id: string): Promise<void> {
    const file = this.getFile(id);
    for (const storeId of this.stores.storesOfFile(id)) await this.detachFile(storeId, id);
    this.files.delete(id);
    if (!this.files.hasSha256(file.sha256)) this.blobs.remove(file.sha256);
  }

  // Stores

  async createStore(input: NewStore, signal: AbortSignal): Promise<StoreRow> {
    const model = input.embeddingModel ?? this.backend.defaultModel();
    if (!model) throw noEmbeddingModel();
    for (const [i, fileId] of input.fileIds.entries()) this.checkAttachable(fileId, `file_ids.${i}`);
    // One embedding now tells the store's dimensions, and refuses a model that cannot embed before anything is stored.
    const { dimensions } = await this.backend.embed(model, ["dimensions"], signal);
    const created = now();
    const store: StoreRow = {
      id: randomId("vs_"), name: input.name, embeddingModel: model, dimensions, metadata: input.metadata, expiresAfter: input.expiresAfter,
      expiresAt: input.expiresAfter ? created + input.expiresAfter.days * 86400 : null, createdAt: created, lastActiveAt: created,
    };
    this.stores.insertStore(store);
    for (const fileId of input.fileIds) this.attach(store.id, { fileId, attributes: {}, chunking: input.chunking }, null);
    return store;
  }

  getStore(id: string): StoreRow {
    return this.stores.getStore(id) ?? (() => { throw storeNotFound(id); })();
  }

  listStores(query: PageQuery): Page<StoreRow> {
    return this.stores.listStores(query) ?? { data: [], hasMore: false };
  }

  updateStore(id: string, change: { name?: string | null; metadata?: Record<string, string>; expiresAfter?: ExpiresAfter | null }): StoreRow {
    const store = { ...this.getStore(id) };
    if (change.name !== undefined) store.name = change.name;
    if (change.metadata !== undefined) store.metadata = change.metadata;
    if (change.expiresAfter !== undefined) store.expiresAfter = change.expiresAfter;
    // An expired store stays expired: its chunks are gone, activity cannot bring them back.
    if (!isExpired(store)) {
      store.lastActiveAt = now();
      store.expiresAt = store.expiresAfter ? store.lastActiveAt + store.expiresAfter.days * 86400 : null;
    }
    this.stores.updateStore(store);
    return store;
  }

  async deleteStore(id: string): Promise<void> {
    this.getStore(id);
    const opened = this.indexes.get(id);
    this.indexes.delete(id);
    this.stores.deleteStore(id);
    if (opened) await (await opened).destroy();
  }

  // Store files

  private checkAttachable(fileId: string, param: string): FileRow {
    const file = this.getFile(fileId, param);
    if (!isSupportedFile(file.filename)) {
      throw new ShimmyError("unsupported_file", `Files of type "${path.extname(file.filename) || "(none)"}" cannot be searched (${file.filename}): upload text, Markdown, HTML, JSON, code or PDF.`, { param });
    }
    if (file.bytes === 0) throw new ShimmyError("unsupported_file", `The file ${file.id} (${file.filename}) is empty.`, { param });
    return file;
  }

  private attach(storeId: string, file: FileToAttach, batchId: string | null): StoreFileRow {
    const row = this.stores.attachFile({
      storeId, fileId: file.fileId, batchId, status: "in_progress", lastError: null, attributes: file.attributes,
      maxChunkSizeTokens: file.chunking.maxChunkSizeTokens, chunkOverlapTokens: file.chunking.chunkOverlapTokens, usageBytes: 0, createdAt: now(),
    });
    if (row.status === "in_progress") this.queue.enqueue({ storeId, fileId: file.fileId });
    return row;
  }

  /** The store, refused when it has expired. */
  private liveStore(id: string, param = "vector_store_id"): StoreRow {
    const store = this.stores.getStore(id) ?? (() => { throw storeNotFound(id, param); })();
    if (isExpired(store)) throw storeExpired(id, param);
    return store;
  }

  attachFile(storeId: string, file: FileToAttach): StoreFileRow {
    this.liveStore(storeId);
    this.checkAttachable(file.fileId, "file_id");
    return this.attach(storeId, file, null);
  }

  getStoreFile(storeId: string, fileId: string): StoreFileRow {
    this.getStore(storeId);
    return this.stores.getStoreFile(storeId, fileId) ?? (() => { throw new ShimmyError("file_not_found", `The vector store ${storeId} has no file '${fileId}'.`, { param: "file_id" }); })();
  }

  listStoreFiles(storeId: string, query: PageQuery, where: { status?: string; batchId?: string } = {}): Page<StoreFileRow> {
    this.getStore(storeId);
    return this.stores.listStoreFiles(storeId, query, where) ?? { data: [], hasMore: false };
  }

  updateStoreFile(storeId: string, fileId: string, attributes: Record<string, AttributeValue>): StoreFileRow {
    this.getStoreFile(storeId, fileId);
    this.stores.updateAttributes(storeId, fileId, attributes);
    return this.getStoreFile(storeId, fileId);
  }

  /** Detaches a file: its chunks leave the database (and FTS) and the index. */
  async detachFile(storeId: string, fileId: string): Promise<void> {
    this.getStoreFile(storeId, fileId);
    const ids = this.stores.detachFile(storeId, fileId) ?? [];
    const index = await this.index(storeId);
    await index.remove(ids);
    await index.save();
  }

  // Batches

  createBatch(storeId: string, files: FileToAttach[]): BatchRow {
    this.liveStore(storeId);
    files.forEach((f, i) => this.checkAttachable(f.fileId, `files.${i}.file_id`));
    const batch: BatchRow = { id: randomId("vsfb_"), storeId, cancelled: false, createdAt: now() };
    this.stores.insertBatch(batch);
    for (const file of files) this.attach(storeId, file, batch.id);
    return batch;
  }

  getBatch(storeId: string, batchId: string): BatchRow {
    this.getStore(storeId);
    return this.stores.getBatch(storeId, batchId) ?? (() => { throw new ShimmyError("file_not_found", `The vector store ${storeId} has no file batch '${batchId}'.`, { param: "batch_id" }); })();
  }

  cancelBatch(storeId: string, batchId: string): BatchRow {
    this.getBatch(storeId, batchId);
    this.stores.cancelBatch(storeId, batchId);
    return this.getBatch(storeId, batchId);
  }

  // Search

  /** Searches a store and marks it active. @throws ShimmyError `vector_store_expired` past its expiry. */
  async search(storeId: string, search: StoreSearch, signal: AbortSignal, param = "vector_store_id"): Promise<ScoredHit[]> {
    const store = this.liveStore(storeId, param);
    this.stores.updateStore({ ...store, lastActiveAt: now(), expiresAt: store.expiresAfter ? now() + store.expiresAfter.days * 86400 : null });
    return searchStore(search, store, { stores: this.stores, backend: this.backend, index: await this.index(storeId), signal });
  }
}
