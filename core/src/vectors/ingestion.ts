/**
 * Asynchronous ingestion: files attached to a store wait in one queue in the server process and
 * are ingested one at a time: read, extract, chunk, embed (in batches of the backend's size), then
 * commit every chunk and the `completed` status in one transaction, then add the vectors to the store's index. A failure marks the file `failed` with `last_error`. A file
 * left `in_progress` by a killed process is queued again at start (its chunks, if any were
 * committed, are replaced in the same transaction as the new ones, so none is duplicated).
 */
import { ShimmyError } from "../errors.js";
import type { Logger } from "../logger.js";
import type { SqliteFilesRepo } from "../state/files-repo.js";
import type { FileError, NewChunk, SqliteVectorStoresRepo } from "../state/vector-stores-repo.js";
import { chunkText, estimateTokens, type TextChunk } from "./chunker.js";
import type { EmbeddedTexts, EmbeddingBackend } from "./embedding-backend.js";
import { extractText } from "./extract-text.js";
import type { FileBlobs } from "./file-blobs.js";
import { pauseAt } from "./test-pause.js";
import type { VectorIndex } from "./vector-index.js";

/** Tokens kept free of a model's context for its framing tokens ([CLS], [SEP], BOS). */
const FRAMING_MARGIN = 8;

/** What ingestion works with. */
export interface IngestionDeps {
  files: SqliteFilesRepo;
  stores: SqliteVectorStoresRepo;
  blobs: FileBlobs;
  backend: EmbeddingBackend;
  /** The index of a store, opened (and repaired) on first use. */
  index(storeId: string): Promise<VectorIndex>;
  /** Called when the queue runs dry: the time to save the indexes. */
  onIdle(): Promise<void>;
  logger: Logger;
}

/** One file to ingest into one store. */
export interface IngestJob {
  storeId: string;
  fileId: string;
}

/** The queue; {@link IngestionQueue.dispose} aborts the file in progress (it resumes at the next start). */
export class IngestionQueue {
  private readonly deps: IngestionDeps;
  private readonly pending: IngestJob[] = [];
  private readonly abort = new AbortController();
  private running: Promise<void> | null = null;

  constructor(deps: IngestionDeps) {
    this.deps = deps;
  }

  /** Queues a file; ingestion starts at once when the queue is idle. */
  enqueue(job: IngestJob): void {
    if (this.abort.signal.aborted) return;
    this.pending.push(job);
    this.running ??= this.drain().finally(() => (this.running = null));
  }

  /** Resolves once the queue is empty (tests, shutdown). */
  async idle(): Promise<void> {
    while (this.running) await this.running;
  }

  private async drain(): Promise<void> {
    for (let job = this.pending.shift(); job; job = this.pending.shift()) {
      if (this.abort.signal.aborted) return;
      await this.ingest(job);
    }
    if (!this.abort.signal.aborted) await this.deps.onIdle();
  }

  private async ingest({ storeId, fileId }: IngestJob): Promise<void> {
    const { stores, logger } = this.deps;
    const started = Date.now();
    try {
      const chunks = await this.embedFile(storeId, fileId);
      if (chunks === null) return;
      const filename = () => this.deps.files.get(fileId)?.filename;
      await pauseAt("vectors:embedded", filename);
      const usageBytes = chunks.reduce((sum, c) => sum + Buffer.byteLength(c.text) + c.vector.byteLength, 0);
      // Opened before the commit: an index opened after it would already hold the new chunks.
      const index = await this.deps.index(storeId);
      const committed = stores.commitChunks(storeId, fileId, chunks, usageBytes);
      if (committed === null) return; // detached or cancelled meanwhile
      await pauseAt("vectors:committed", filename);
      // Chunks of an earlier, interrupted ingestion of this file were replaced in the same transaction.
      await index.remove(committed.replaced);
      await index.add(committed.ids, chunks.map((c) => c.vector));
      const ids = committed.ids;
      logger.info({ event: "vector_store_file_ingested", vectorStoreId: storeId, fileId, chunks: ids.length, ms: Date.now() - started });
    } catch (err) {
      if (this.abort.signal.aborted) return; // shutting down: the file stays in_progress and resumes at start
      const lastError: FileError = err instanceof ShimmyError && err.code === "unsupported_file"
        ? { code: "unsupported_file", message: err.message }
        : { code: "server_error", message: err instanceof ShimmyError && err.expose ? err.message : `ingestion failed: ${(err as Error).message}` };
      logger.warn({ event: "vector_store_file_failed", vectorStoreId: storeId, fileId, err: (err as Error).message });
      stores.setStatus(storeId, fileId, "failed", lastError);
    }
  }

  /** The file's chunks with their vectors, or null when the file is no longer waiting. */
  private async embedFile(storeId: string, fileId: string): Promise<NewChunk[] | null> {
    const { files, stores, blobs, backend } = this.deps;
    const row = stores.getStoreFile(storeId, fileId);
    const store = stores.getStore(storeId);
    if (!row || !store || row.status !== "in_progress") return null;
    const file = files.get(fileId);
    if (!file) throw new ShimmyError("unsupported_file", `The file ${fileId} was deleted before it could be ingested.`);
    const text = await extractText(file.filename, blobs.get(file.sha256));
    const context = backend.maxInputTokens(store.embeddingModel);
    const limit = context === null ? row.maxChunkSizeTokens : Math.min(row.maxChunkSizeTokens, context - FRAMING_MARGIN);
    const overlap = Math.min(row.chunkOverlapTokens, Math.floor(limit / 2));
    const pieces = chunkText(text, { maxChunkSizeTokens: limit, chunkOverlapTokens: overlap });
    const size = Math.max(1, backend.maxBatchSize(store.embeddingModel));
    const out: Omit<NewChunk, "position">[] = [];
    for (let i = 0; i < pieces.length; i += size) {
      if (this.abort.signal.aborted) throw new Error("shutting down");
      out.push(...(await this.embedBatch(store.embeddingModel, pieces.slice(i, i + size), limit + FRAMING_MARGIN)));
    }
    return out.map((chunk, position) => ({ ...chunk, position }));
  }

  /**
   * Embeds a batch of chunks in one backend call. A chunk the model finds too long (its context),
   * or whose token count is over `limit`, is halved at a space and its halves embedded; one whose
   * count is only a share of the batch's total, or every chunk of a batch the model refuses, goes
   * again alone first to learn its own count. So the stored chunks are those of one call per chunk.
   * The chunker's estimate is high for ordinary vocabularies; a tiny one (the test fixtures') needs
   * the halving.
   */
  private async embedBatch(model: string, chunks: readonly TextChunk[], limit: number): Promise<Omit<NewChunk, "position">[]> {
    let result: EmbeddedTexts | null = null;
    try {
      result = await this.deps.backend.embed(model, chunks.map((c) => c.text), this.abort.signal);
    } catch (err) {
      const tooLong = err instanceof ShimmyError && err.code === "context_length_exceeded";
      if (!tooLong || (chunks.length === 1 && chunks[0]!.text.length < 2)) throw err;
    }
    const out: Omit<NewChunk, "position">[] = [];
    for (const [i, chunk] of chunks.entries()) {
      const tokens = result?.tokens[i];
      if (result && tokens !== undefined && (tokens <= limit || chunk.text.length < 2)) out.push({ text: chunk.text, tokens, vector: result.vectors[i]! });
      else if (chunks.length > 1 && !(result?.tokensExact ?? false)) out.push(...(await this.embedBatch(model, [chunk], limit)));
      else out.push(...(await this.embedBatch(model, halves(chunk.text), limit)));
    }
    return out;
  }

  /** Stops: the file being ingested is abandoned (still `in_progress`), the waiting ones stay queued in the database. */
  async dispose(): Promise<void> {
    this.abort.abort();
    this.pending.length = 0;
    await this.running?.catch(() => undefined);
  }
}

/** A text cut in two at the whitespace nearest its middle (else the middle), as chunks. */
function halves(text: string): TextChunk[] {
  const cut = splitPoint(text);
  return [text.slice(0, cut).trim(), text.slice(cut).trim()].filter((t) => t !== "").map((t) => ({ text: t, start: 0, end: 0, tokens: estimateTokens(t) }));
}

/** Where to halve a text: the whitespace nearest its middle, else the middle. */
function splitPoint(text: string): number {
  const middle = Math.floor(text.length / 2);
  for (let d = 0; d < middle; d++) {
    if (/\s/.test(text[middle + d] ?? "")) return middle + d;
    if (/\s/.test(text[middle - d] ?? "")) return middle - d;
  }
  return middle;
}
