/**
 * `/v1/vector_stores`: OpenAI's Vector Stores API (stores, their files, file batches, search),
 * thin handlers over vectors/vector-stores.ts.
 */
import Router from "@koa/router";
import { ShimmyError } from "../errors.js";
import { checkBody } from "../http/validate-body.js";
import type { ShimmyState } from "../http/request-context.js";
import { parsePageQuery } from "../responses/list-query.js";
import type { AttributeValue, ExpiresAfter, StoreFileStatus } from "../state/vector-stores-repo.js";
import { staticChunking, type StaticChunking } from "../vectors/chunker.js";
import { checkFilter } from "../vectors/filters.js";
import { fileBatchObject, listObject, vectorStoreFileObject, vectorStoreObject } from "../vectors/objects.js";
import { rankerOf, RANKER_NAMES, type StoreSearch } from "../vectors/store-search.js";
import type { FileToAttach, VectorStores } from "../vectors/vector-stores.js";
import { validateAttachFile, validateCreateBatch, validateCreateStore, validateSearch, validateUpdateFile, validateUpdateStore } from "./vector-stores-schemas.js";

type Chunking = { type: "auto" | "static"; static?: { max_chunk_size_tokens: number; chunk_overlap_tokens: number } };
type Attributes = Record<string, AttributeValue>;

/** A chunking strategy of a body: `auto` (or none) is OpenAI's 800/400. */
function chunkingOf(strategy: Chunking | undefined, param = "chunking_strategy"): StaticChunking {
  if (strategy?.type === "static" && !strategy.static) throw new ShimmyError("invalid_parameter", `${param}.static is required when type is "static".`, { param: `${param}.static` });
  return staticChunking(strategy?.type === "static" ? strategy.static : undefined, `${param}.static`);
}

const STATUSES: readonly StoreFileStatus[] = ["in_progress", "completed", "failed", "cancelled"];

/** The `filter` query of a file list: a status. */
function statusFilter(value: unknown): string | undefined {
  if (value === undefined || value === "") return undefined;
  if (typeof value !== "string" || !(STATUSES as readonly string[]).includes(value)) {
    throw new ShimmyError("invalid_parameter", `filter must be one of ${STATUSES.join(", ")}.`, { param: "filter" });
  }
  return value;
}

/** A search body, checked: OpenAI's, with Shimmy's rankers. */
export function parseSearch(body: unknown): StoreSearch {
  const request = checkBody<{
    query: string | string[]; max_num_results?: number; filters?: unknown;
    ranking_options?: { ranker?: (typeof RANKER_NAMES)[number]; score_threshold?: number };
  }>(validateSearch, body);
  return {
    queries: typeof request.query === "string" ? [request.query] : request.query,
    maxResults: request.max_num_results ?? 10,
    filter: request.filters === undefined ? null : checkFilter(request.filters),
    ranker: rankerOf(request.ranking_options?.ranker),
    scoreThreshold: request.ranking_options?.score_threshold ?? 0,
  };
}

/** The Vector Stores API under `/v1/vector_stores`. */
export function vectorStoresRouter(vectors: VectorStores): Router<ShimmyState> {
  const router = new Router<ShimmyState>({ prefix: "/v1/vector_stores" });
  const now = () => Math.floor(Date.now() / 1000);
  const storeBody = (id: string) => {
    const store = vectors.getStore(id);
    return vectorStoreObject(store, vectors.stores.fileCounts(id), vectors.stores.usageBytes(id), now());
  };

  router.post("/", async (ctx) => {
    const body = checkBody<{ name?: string; file_ids?: string[]; chunking_strategy?: Chunking; metadata?: Record<string, string>; expires_after?: ExpiresAfter; embedding_model?: string }>(validateCreateStore, ctx.state.body);
    const store = await vectors.createStore({
      name: body.name ?? null, fileIds: body.file_ids ?? [], chunking: chunkingOf(body.chunking_strategy), metadata: body.metadata ?? {},
      expiresAfter: body.expires_after ?? null, ...(body.embedding_model ? { embeddingModel: body.embedding_model } : {}),
    }, ctx.state.abort.signal);
    ctx.body = storeBody(store.id);
  });

  router.get("/", (ctx) => {
    const page = vectors.listStores(parsePageQuery(ctx.query));
    ctx.body = listObject(page.data.map((s) => storeBody(s.id)), page.hasMore);
  });

  router.get("/:id", (ctx) => {
    ctx.body = storeBody(ctx.params.id!);
  });

  router.post("/:id", (ctx) => {
    const body = checkBody<{ name?: string | null; metadata?: Record<string, string> | null; expires_after?: ExpiresAfter | null }>(validateUpdateStore, ctx.state.body);
    vectors.updateStore(ctx.params.id!, {
      ...(body.name !== undefined ? { name: body.name } : {}), ...(body.metadata !== undefined ? { metadata: body.metadata ?? {} } : {}),
      ...(body.expires_after !== undefined ? { expiresAfter: body.expires_after } : {}),
    });
    ctx.body = storeBody(ctx.params.id!);
  });

  router.delete("/:id", async (ctx) => {
    await vectors.deleteStore(ctx.params.id!);
    ctx.body = { id: ctx.params.id, object: "vector_store.deleted", deleted: true };
  });

  router.post("/:id/search", async (ctx) => {
    const search = parseSearch(ctx.state.body);
    const hits = await vectors.search(ctx.params.id!, search, ctx.state.abort.signal);
    ctx.body = {
      object: "vector_store.search_results.page", search_query: search.queries,
      data: hits.map((h) => ({ file_id: h.fileId, filename: h.filename, score: h.score, attributes: h.attributes, content: [{ type: "text", text: h.text }] })),
      has_more: false, next_page: null,
    };
  });

  // Files of a store

  router.post("/:id/files", (ctx) => {
    const body = checkBody<{ file_id: string; attributes?: Attributes; chunking_strategy?: Chunking }>(validateAttachFile, ctx.state.body);
    const row = vectors.attachFile(ctx.params.id!, { fileId: body.file_id, attributes: body.attributes ?? {}, chunking: chunkingOf(body.chunking_strategy) });
    ctx.body = vectorStoreFileObject(row);
  });

  router.get("/:id/files", (ctx) => {
    const status = statusFilter(ctx.query.filter);
    const page = vectors.listStoreFiles(ctx.params.id!, parsePageQuery(ctx.query), status === undefined ? {} : { status });
    ctx.body = listObject(page.data.map(vectorStoreFileObject), page.hasMore);
  });

  router.get("/:id/files/:fileId", (ctx) => {
    ctx.body = vectorStoreFileObject(vectors.getStoreFile(ctx.params.id!, ctx.params.fileId!));
  });

  router.post("/:id/files/:fileId", (ctx) => {
    const body = checkBody<{ attributes: Attributes | null }>(validateUpdateFile, ctx.state.body);
    ctx.body = vectorStoreFileObject(vectors.updateStoreFile(ctx.params.id!, ctx.params.fileId!, body.attributes ?? {}));
  });

  router.delete("/:id/files/:fileId", async (ctx) => {
    await vectors.detachFile(ctx.params.id!, ctx.params.fileId!);
    ctx.body = { id: ctx.params.fileId, object: "vector_store.file.deleted", deleted: true };
  });

  router.get("/:id/files/:fileId/content", (ctx) => {
    vectors.getStoreFile(ctx.params.id!, ctx.params.fileId!);
    const hits = vectors.stores.chunkHits(ctx.params.id!, vectors.stores.chunkIdsOfFile(ctx.params.id!, ctx.params.fileId!)).sort((a, b) => a.position - b.position);
    ctx.body = { object: "vector_store.file_content.page", data: hits.map((h) => ({ type: "text", text: h.text })), has_more: false, next_page: null };
  });

  // File batches

  router.post("/:id/file_batches", (ctx) => {
    const body = checkBody<{ file_ids?: string[]; files?: { file_id: string; attributes?: Attributes; chunking_strategy?: Chunking }[]; attributes?: Attributes; chunking_strategy?: Chunking }>(validateCreateBatch, ctx.state.body);
    if ((body.file_ids === undefined) === (body.files === undefined)) {
      throw new ShimmyError("invalid_parameter", "Give either file_ids or files (not both).", { param: "file_ids" });
    }
    const shared = chunkingOf(body.chunking_strategy);
    const files: FileToAttach[] = body.files
      ? body.files.map((f, i) => ({ fileId: f.file_id, attributes: f.attributes ?? body.attributes ?? {}, chunking: f.chunking_strategy ? chunkingOf(f.chunking_strategy, `files.${i}.chunking_strategy`) : shared }))
      : body.file_ids!.map((fileId) => ({ fileId, attributes: body.attributes ?? {}, chunking: shared }));
    const batch = vectors.createBatch(ctx.params.id!, files);
    ctx.body = fileBatchObject(batch, vectors.stores.fileCounts(batch.storeId, batch.id));
  });

  router.get("/:id/file_batches/:batchId", (ctx) => {
    const batch = vectors.getBatch(ctx.params.id!, ctx.params.batchId!);
    ctx.body = fileBatchObject(batch, vectors.stores.fileCounts(batch.storeId, batch.id));
  });

  router.post("/:id/file_batches/:batchId/cancel", (ctx) => {
    const batch = vectors.cancelBatch(ctx.params.id!, ctx.params.batchId!);
    ctx.body = fileBatchObject(batch, vectors.stores.fileCounts(batch.storeId, batch.id));
  });

  router.get("/:id/file_batches/:batchId/files", (ctx) => {
    vectors.getBatch(ctx.params.id!, ctx.params.batchId!);
    const status = statusFilter(ctx.query.filter);
    const page = vectors.listStoreFiles(ctx.params.id!, parsePageQuery(ctx.query), { batchId: ctx.params.batchId!, ...(status === undefined ? {} : { status }) });
    ctx.body = listObject(page.data.map(vectorStoreFileObject), page.hasMore);
  });

  return router;
}
