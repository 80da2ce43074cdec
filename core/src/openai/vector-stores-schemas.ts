/**
 * The JSON Schemas of the Vector Stores API's request bodies (OpenAI's shapes, plus Shimmy's
 * `embedding_model` at creation and the `vector`/`keyword`/`hybrid` rankers), compiled once.
 */
import { compileBodySchema } from "../http/validate-body.js";
import { RANKER_NAMES } from "../vectors/store-search.js";

const metadata = {
  type: "object", maxProperties: 16, propertyNames: { maxLength: 64 },
  additionalProperties: { type: "string", maxLength: 512 },
} as const;

const attributes = {
  type: "object", maxProperties: 16, propertyNames: { maxLength: 64 },
  additionalProperties: { anyOf: [{ type: "string", maxLength: 512 }, { type: "number" }, { type: "boolean" }] },
} as const;

const chunkingStrategy = {
  type: "object", required: ["type"],
  properties: {
    type: { enum: ["auto", "static"] },
    static: {
      type: "object", required: ["max_chunk_size_tokens", "chunk_overlap_tokens"],
      properties: { max_chunk_size_tokens: { type: "integer" }, chunk_overlap_tokens: { type: "integer" } },
    },
  },
} as const;

const expiresAfter = {
  type: "object", required: ["anchor", "days"],
  properties: { anchor: { const: "last_active_at" }, days: { type: "integer", minimum: 1, maximum: 365 } },
} as const;

/** `POST /v1/vector_stores`. */
export const validateCreateStore = compileBodySchema({
  type: "object",
  properties: {
    name: { type: "string", maxLength: 256 }, description: { type: "string" },
    file_ids: { type: "array", maxItems: 500, items: { type: "string", minLength: 1 } },
    chunking_strategy: chunkingStrategy, metadata, expires_after: expiresAfter,
    embedding_model: { type: "string", minLength: 1 },
  },
});

/** `POST /v1/vector_stores/{id}`. */
export const validateUpdateStore = compileBodySchema({
  type: "object",
  properties: { name: { type: ["string", "null"], maxLength: 256 }, metadata: { anyOf: [metadata, { type: "null" }] }, expires_after: { anyOf: [expiresAfter, { type: "null" }] } },
});

/** `POST /v1/vector_stores/{id}/files`. */
export const validateAttachFile = compileBodySchema({
  type: "object", required: ["file_id"],
  properties: { file_id: { type: "string", minLength: 1 }, attributes, chunking_strategy: chunkingStrategy },
});

/** `POST /v1/vector_stores/{id}/files/{file_id}`. */
export const validateUpdateFile = compileBodySchema({
  type: "object", required: ["attributes"], properties: { attributes: { anyOf: [attributes, { type: "null" }] } },
});

/** `POST /v1/vector_stores/{id}/file_batches`. */
export const validateCreateBatch = compileBodySchema({
  type: "object",
  properties: {
    file_ids: { type: "array", minItems: 1, maxItems: 500, items: { type: "string", minLength: 1 } },
    files: {
      type: "array", minItems: 1, maxItems: 500,
      items: { type: "object", required: ["file_id"], properties: { file_id: { type: "string", minLength: 1 }, attributes, chunking_strategy: chunkingStrategy } },
    },
    attributes, chunking_strategy: chunkingStrategy,
  },
});

/** `POST /v1/vector_stores/{id}/search`. */
export const validateSearch = compileBodySchema({
  type: "object", required: ["query"],
  properties: {
    query: { anyOf: [{ type: "string", minLength: 1 }, { type: "array", minItems: 1, maxItems: 10, items: { type: "string", minLength: 1 } }] },
    max_num_results: { type: "integer", minimum: 1, maximum: 50 },
    filters: { type: "object" },
    ranking_options: {
      type: "object",
      properties: { ranker: { enum: [...RANKER_NAMES] }, score_threshold: { type: "number", minimum: 0, maximum: 1 } },
    },
    rewrite_query: { type: "boolean" },
  },
});
