/**
 * `POST /v1/embeddings` on the wire: the request's JSON Schema (checked by
 * `http/validate-body.ts`), its parsing into the engine's terms, and the response in OpenAI's shape. Pure: no engine, no HTTP.
 *
 * `input` is a string, an array of strings, an array of token ids, or an array of arrays of token
 * ids (1 to 2048 items, none empty, as OpenAI); `encoding_format` is `float` (default) or `base64`
 * (each vector's float32 values as little-endian bytes, base64-encoded, as OpenAI sends them);
 * `dimensions` is passed on for the engine to check against the model; `user` is ignored.
 */
import { Buffer } from "node:buffer";
import type { SchemaObject } from "ajv";
import type { EmbeddingInput, EmbeddingResult } from "../engine/types.js";
import { ShimmyError } from "../errors.js";
import { MESSAGE_KEYWORD, checkBody, compileBodySchema } from "../http/validate-body.js";

/** The most inputs one request may carry (OpenAI's limit). */
export const MAX_EMBEDDING_INPUTS = 2048;

const INPUT_KINDS = "a string, an array of strings, an array of token ids, or an array of arrays of token ids";
const tokenId: SchemaObject = {
  type: "integer",
  minimum: 0,
  [MESSAGE_KEYWORD]: { type: "{path} must be a token id (an integer of 0 or more)", minimum: "{path} must be a token id (an integer of 0 or more)" },
};

/** The JSON Schema of the request body; unknown keys are allowed, as on the other routes. */
export const embeddingRequestSchema: SchemaObject = {
  type: "object",
  required: ["model", "input"],
  properties: {
    model: { type: "string", minLength: 1 },
    input: {
      type: ["string", "array"],
      minLength: 1,
      minItems: 1,
      maxItems: MAX_EMBEDDING_INPUTS,
      [MESSAGE_KEYWORD]: {
        type: `{path} must be ${INPUT_KINDS}`,
        minLength: "{path} is an empty string; send some text",
        minItems: "{path} is an empty array; send at least one input",
      },
      items: {
        type: ["string", "integer", "array"],
        minLength: 1,
        minimum: 0,
        minItems: 1,
        items: tokenId,
        [MESSAGE_KEYWORD]: {
          type: "{path} must be a string, a token id, or an array of token ids",
          minLength: "{path} is an empty string; OpenAI refuses empty inputs too: remove it or send some text",
          minimum: tokenId[MESSAGE_KEYWORD].minimum,
          minItems: "{path} is an empty array of token ids; send at least one token",
        },
      },
    },
    encoding_format: { type: ["string", "null"], enum: ["float", "base64", null], [MESSAGE_KEYWORD]: { enum: "{path} must be \"float\" or \"base64\"" } },
    dimensions: { type: ["integer", "null"], minimum: 1 },
    user: { type: ["string", "null"] },
  },
};

const validate = compileBodySchema(embeddingRequestSchema);

/** A checked `POST /v1/embeddings` body, in the engine's terms. */
export interface ParsedEmbeddingRequest {
  model: string;
  /** The inputs in order: strings, or arrays of token ids. */
  inputs: EmbeddingInput[];
  /** Whether `input` was one input (a string or one array of token ids) rather than a list. */
  single: boolean;
  encodingFormat: "float" | "base64";
  dimensions?: number;
}

/**
 * Checks a `POST /v1/embeddings` body and returns what to embed.
 *
 * @throws ShimmyError `invalid_parameter` (400) whose `param` is the dotted path of the first
 *   offending field (`input.3`, `input.1.7`, `encoding_format`…).
 */
export function parseEmbeddingRequest(body: unknown): ParsedEmbeddingRequest {
  const request = checkBody<{ model: string; input: string | unknown[]; encoding_format?: "float" | "base64" | null; dimensions?: number | null }>(validate, body);
  const { input } = request;
  let inputs: EmbeddingInput[];
  let single = false;
  if (typeof input === "string") {
    inputs = [input];
    single = true;
  } else {
    const kind = (item: unknown) => (typeof item === "number" ? "token id" : typeof item === "string" ? "string" : "array of token ids");
    const mixed = input.findIndex((item) => kind(item) !== kind(input[0]));
    if (mixed >= 0) {
      throw new ShimmyError(
        "invalid_parameter",
        `input.${mixed} is ${article(kind(input[mixed]))} but input.0 is ${article(kind(input[0]))}; input must be ${INPUT_KINDS}, not a mix`,
        { param: `input.${mixed}` },
      );
    }
    single = typeof input[0] === "number";
    inputs = single ? [input as number[]] : (input as EmbeddingInput[]);
  }
  return {
    model: request.model,
    inputs,
    single,
    encodingFormat: request.encoding_format ?? "float",
    ...(typeof request.dimensions === "number" ? { dimensions: request.dimensions } : {}),
  };
}

/**
 * An engine error about `input.0` of a request whose `input` was one input, renamed to `input`
 * (the name the client knows); any other error is returned as it is.
 */
export function singleInputError(err: unknown): unknown {
  if (!(err instanceof ShimmyError) || err.param !== "input.0") return err;
  return new ShimmyError(err.code, err.message.replaceAll("input.0", "input"), { param: "input", headers: err.headers, cause: err.cause });
}

/** One vector as OpenAI's base64: its float32 values as little-endian bytes. */
export function float32ToBase64(vector: Float32Array): string {
  const bytes = new DataView(new ArrayBuffer(vector.length * 4));
  for (let i = 0; i < vector.length; i++) bytes.setFloat32(i * 4, vector[i]!, true);
  return Buffer.from(bytes.buffer).toString("base64");
}

/** The body of a `POST /v1/embeddings` answer. */
export interface EmbeddingResponseBody {
  object: "list";
  data: { object: "embedding"; index: number; embedding: number[] | string }[];
  model: string;
  usage: { prompt_tokens: number; total_tokens: number };
}

/** Builds OpenAI's response: one `embedding` object per vector, in input order, with `usage`. */
export function embeddingResponse(options: { model: string; result: EmbeddingResult; encodingFormat: "float" | "base64" }): EmbeddingResponseBody {
  const { model, result, encodingFormat } = options;
  return {
    object: "list",
    data: result.vectors.map((vector, index) => ({
      object: "embedding",
      index,
      embedding: encodingFormat === "base64" ? float32ToBase64(vector) : Array.from(vector),
    })),
    model,
    usage: { prompt_tokens: result.promptTokens, total_tokens: result.promptTokens },
  };
}

function article(kind: string): string {
  return kind === "array of token ids" ? `an ${kind}` : `a ${kind}`;
}
