/**
 * llama.cpp's `POST /infill` body: its JSON Schema (compiled once), its type, and the parser every
 * `/infill` request goes through. Fields llama.cpp clients send that Shimmy does not act on
 * (`samplers`, `cache_prompt`, `t_max_prompt_ms`, `response_fields`, `n_indent`…) are kept and ignored.
 */
import type { SchemaObject } from "ajv";
import { checkBody, compileBodySchema, MESSAGE_KEYWORD } from "../http/validate-body.js";
import { MAX_STOP_SEQUENCES } from "../openai/schemas.js";

/** Most `input_extra` files one request may send. */
export const MAX_INFILL_FILES = 1024;

/** A validated `POST /infill` body. */
export interface InfillBody {
  /** Absent: the one model the server serves. */
  model?: string;
  input_prefix?: string;
  input_suffix?: string;
  /** Files put before the prefix. */
  input_extra?: { filename?: string; text: string }[];
  /** Text continuing the prefix. */
  prompt?: string;
  /** Most tokens to generate; -1 (or absent) for as many as the context holds. */
  n_predict?: number;
  /** What `n_predict` falls back to, as llama.cpp reads it. */
  max_tokens?: number | null;
  temperature?: number;
  top_k?: number;
  top_p?: number;
  min_p?: number;
  /** -1 draws a fresh one. */
  seed?: number;
  stop?: string | string[];
  stream?: boolean;
  presence_penalty?: number;
  frequency_penalty?: number;
}

const number = (minimum: number, maximum: number): SchemaObject => ({ type: "number", minimum, maximum });

/** Schema of a `POST /infill` body. */
export const infillRequestSchema: SchemaObject = {
  type: "object",
  properties: {
    model: {
      type: "string",
      minLength: 1,
      [MESSAGE_KEYWORD]: { minLength: "model must not be empty: send a model id from GET /v1/models, or omit it" },
    },
    input_prefix: { type: "string" },
    input_suffix: { type: "string" },
    input_extra: {
      type: "array",
      maxItems: MAX_INFILL_FILES,
      items: {
        type: "object",
        required: ["text"],
        properties: { text: { type: "string" }, filename: { type: "string" } },
      },
    },
    prompt: { type: "string" },
    n_predict: { type: "integer", minimum: -1 },
    max_tokens: { type: ["integer", "null"], minimum: 1 },
    temperature: number(0, 2),
    top_k: { type: "integer", minimum: 0 },
    top_p: number(0, 1),
    min_p: number(0, 1),
    seed: { type: "integer", minimum: -1, maximum: Number.MAX_SAFE_INTEGER },
    stop: {
      type: ["string", "array"],
      minLength: 1,
      maxItems: MAX_STOP_SEQUENCES,
      items: { type: "string", minLength: 1 },
      [MESSAGE_KEYWORD]: { maxItems: `stop may hold at most ${MAX_STOP_SEQUENCES} sequences` },
    },
    stream: { type: "boolean" },
    presence_penalty: number(-2, 2),
    frequency_penalty: number(-2, 2),
  },
};

const validateInfill = compileBodySchema(infillRequestSchema);

/**
 * Checks a `POST /infill` body and returns it typed.
 *
 * @throws ShimmyError `invalid_parameter` (400) naming the first offending field.
 */
export function parseInfillRequest(body: unknown): InfillBody {
  return checkBody<InfillBody>(validateInfill, body);
}
