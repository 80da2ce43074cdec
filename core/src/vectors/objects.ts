/**
 * The wire objects of OpenAI's Files and Vector Stores APIs, built from database rows: pure
 * functions, so their shapes are tested without HTTP. `embedding_model` and `dimensions` on a
 * vector store are Shimmy's extensions.
 */
import type { FileRow } from "../state/files-repo.js";
import type { BatchRow, FileCounts, StoreFileRow, StoreRow } from "../state/vector-stores-repo.js";

/** OpenAI's `file` object. */
export function fileObject(file: FileRow) {
  return {
    id: file.id, object: "file" as const, bytes: file.bytes, created_at: file.createdAt, filename: file.filename,
    purpose: file.purpose, status: "processed" as const, expires_at: null, status_details: null,
  };
}

/** A store's status: `expired` past its expiry, `in_progress` while a file ingests, else `completed`. */
export function storeStatus(store: StoreRow, counts: FileCounts, now: number): "expired" | "in_progress" | "completed" {
  if (store.expiresAt !== null && store.expiresAt <= now) return "expired";
  return counts.in_progress > 0 ? "in_progress" : "completed";
}

/** OpenAI's `vector_store` object. */
export function vectorStoreObject(store: StoreRow, counts: FileCounts, usageBytes: number, now: number) {
  return {
    id: store.id, object: "vector_store" as const, created_at: store.createdAt, name: store.name, usage_bytes: usageBytes,
    file_counts: counts, status: storeStatus(store, counts, now), expires_after: store.expiresAfter, expires_at: store.expiresAt,
    last_active_at: store.lastActiveAt, metadata: store.metadata, embedding_model: store.embeddingModel, dimensions: store.dimensions,
  };
}

/** OpenAI's `vector_store.file` object. */
export function vectorStoreFileObject(row: StoreFileRow) {
  return {
    id: row.fileId, object: "vector_store.file" as const, usage_bytes: row.usageBytes, created_at: row.createdAt,
    vector_store_id: row.storeId, status: row.status, last_error: row.lastError,
    chunking_strategy: { type: "static" as const, static: { max_chunk_size_tokens: row.maxChunkSizeTokens, chunk_overlap_tokens: row.chunkOverlapTokens } },
    attributes: row.attributes,
  };
}

/** A batch's status from its files' counts. */
export function batchStatus(batch: BatchRow, counts: FileCounts): "in_progress" | "completed" | "cancelled" | "failed" {
  if (batch.cancelled) return "cancelled";
  if (counts.in_progress > 0) return "in_progress";
  return counts.failed > 0 && counts.completed === 0 ? "failed" : "completed";
}

/** OpenAI's `vector_store.files_batch` object. */
export function fileBatchObject(batch: BatchRow, counts: FileCounts) {
  return { id: batch.id, object: "vector_store.files_batch" as const, created_at: batch.createdAt, vector_store_id: batch.storeId, status: batchStatus(batch, counts), file_counts: counts };
}

/** A list page as OpenAI's list endpoints answer it. */
export function listObject<T extends { id: string }>(data: T[], hasMore: boolean) {
  return { object: "list" as const, data, first_id: data[0]?.id ?? null, last_id: data.at(-1)?.id ?? null, has_more: hasMore };
}
