/**
 * The JSON Schemas (draft-07) of the Ollama request bodies, compiled once by the one body validator
 * (`http/validate-body.ts`), and the parse functions the routes call. Unknown keys are allowed, as
 * Ollama allows them; nulls count as absent, as clients send them for "unset".
 *
 * Only the Ollama-level shape is checked here: the converted chat request then passes the same
 * checks as `/v1/chat/completions` (tools, format schemas, depths).
 */
import type { SchemaObject } from "ajv";
import { MESSAGE_KEYWORD, checkBody, compileBodySchema } from "../http/validate-body.js";
import type { OllamaChatRequest, OllamaEmbedRequest, OllamaEmbeddingsRequest, OllamaGenerateRequest, OllamaShowRequest } from "./types.js";

const model: SchemaObject = {
  type: "string",
  minLength: 1,
  [MESSAGE_KEYWORD]: { minLength: "model must not be empty: send a name from GET /api/tags", type: "model must be a string: a name from GET /api/tags" },
};
const number = (minimum?: number, maximum?: number): SchemaObject => ({
  type: ["number", "null"],
  ...(minimum === undefined ? {} : { minimum }),
  ...(maximum === undefined ? {} : { maximum }),
});
const keepAlive: SchemaObject = {
  type: ["string", "number", "null"],
  [MESSAGE_KEYWORD]: { type: "{path} must be a duration such as \"5m\" or a number of seconds" },
};

/** The `options` Shimmy acts on; any other key is accepted (see `OllamaOptions`). */
const options: SchemaObject = {
  type: ["object", "null"],
  properties: {
    temperature: number(0, 2),
    top_p: number(0, 1),
    top_k: { type: ["integer", "null"], minimum: 0 },
    min_p: number(0, 1),
    seed: { type: ["integer", "null"], minimum: Number.MIN_SAFE_INTEGER, maximum: Number.MAX_SAFE_INTEGER },
    num_predict: { type: ["integer", "null"], minimum: -2 },
    stop: { type: ["array", "null"], maxItems: 16, items: { type: "string", minLength: 1 } },
    presence_penalty: number(-2, 2),
    frequency_penalty: number(-2, 2),
  },
};

const generationFields: Record<string, SchemaObject> = {
  model,
  format: {
    type: ["string", "object", "null"],
    [MESSAGE_KEYWORD]: { type: "{path} must be \"json\" or a JSON Schema object" },
  },
  options,
  stream: { type: ["boolean", "null"] },
  keep_alive: keepAlive,
  think: { type: ["boolean", "string", "null"] },
  logprobs: { type: ["boolean", "null"] },
};

const toolCall: SchemaObject = {
  type: "object",
  required: ["function"],
  properties: {
    id: { type: "string" },
    function: {
      type: "object",
      required: ["name"],
      properties: {
        name: { type: "string", minLength: 1 },
        arguments: {
          type: ["object", "string"],
          [MESSAGE_KEYWORD]: { type: "{path} must be a JSON object of the call's arguments" },
        },
      },
    },
  },
};

const message: SchemaObject = {
  type: "object",
  required: ["role"],
  properties: {
    role: {
      type: "string",
      enum: ["system", "user", "assistant", "tool"],
      [MESSAGE_KEYWORD]: { enum: "{path} is {value}; a message's role is system, user, assistant or tool" },
    },
    content: { type: ["string", "null"] },
    images: { type: ["array", "null"], items: { type: "string" } },
    tool_calls: { type: ["array", "null"], items: toolCall },
    tool_name: { type: "string" },
    tool_call_id: { type: "string" },
    thinking: { type: ["string", "null"] },
  },
};

const validateChat = compileBodySchema({
  type: "object",
  required: ["model"],
  properties: {
    ...generationFields,
    messages: { type: ["array", "null"], items: message },
    // Each tool's own shape is checked as chat completions check it, after conversion.
    tools: { type: ["array", "null"], items: { type: "object" } },
  },
});

const validateGenerate = compileBodySchema({
  type: "object",
  required: ["model"],
  properties: {
    ...generationFields,
    prompt: { type: ["string", "null"] },
    suffix: { type: ["string", "null"] },
    system: { type: ["string", "null"] },
    template: { type: ["string", "null"] },
    context: { type: ["array", "null"], items: { type: "integer" } },
    raw: { type: ["boolean", "null"] },
    images: { type: ["array", "null"], items: { type: "string" } },
  },
});

const validateEmbed = compileBodySchema({
  type: "object",
  required: ["model", "input"],
  properties: {
    model,
    input: {
      type: ["string", "array"],
      minItems: 1,
      maxItems: 2048,
      items: { type: "string" },
      [MESSAGE_KEYWORD]: { type: "{path} must be a string or an array of strings", minItems: "{path} is an empty array; send at least one input" },
    },
    truncate: { type: ["boolean", "null"] },
    dimensions: { type: ["integer", "null"], minimum: 1 },
    keep_alive: keepAlive,
    options,
  },
});

const validateEmbeddings = compileBodySchema({
  type: "object",
  required: ["model", "prompt"],
  properties: { model, prompt: { type: "string" }, keep_alive: keepAlive, options },
});

const validateShow = compileBodySchema({
  type: "object",
  anyOf: [{ required: ["model"] }, { required: ["name"] }],
  properties: { model, name: model, verbose: { type: ["boolean", "null"] } },
  [MESSAGE_KEYWORD]: { anyOf: "model is required: send a name from GET /api/tags" },
});

/**
 * Checks a `POST /api/chat` body.
 * @throws ShimmyError `invalid_parameter` (400) naming the first offending field.
 */
export function parseOllamaChat(body: unknown): OllamaChatRequest {
  return checkBody<OllamaChatRequest>(validateChat, body);
}

/**
 * Checks a `POST /api/generate` body.
 * @throws ShimmyError `invalid_parameter` (400) naming the first offending field.
 */
export function parseOllamaGenerate(body: unknown): OllamaGenerateRequest {
  return checkBody<OllamaGenerateRequest>(validateGenerate, body);
}

/**
 * Checks a `POST /api/embed` body.
 * @throws ShimmyError `invalid_parameter` (400) naming the first offending field.
 */
export function parseOllamaEmbed(body: unknown): OllamaEmbedRequest {
  return checkBody<OllamaEmbedRequest>(validateEmbed, body);
}

/**
 * Checks a `POST /api/embeddings` body.
 * @throws ShimmyError `invalid_parameter` (400) naming the first offending field.
 */
export function parseOllamaEmbeddings(body: unknown): OllamaEmbeddingsRequest {
  return checkBody<OllamaEmbeddingsRequest>(validateEmbeddings, body);
}

/**
 * Checks a `POST /api/show` body and returns the model name it asks about (`model`, or the older `name`).
 * @throws ShimmyError `invalid_parameter` (400) when neither is sent.
 */
export function parseOllamaShow(body: unknown): string {
  const request = checkBody<OllamaShowRequest>(validateShow, body);
  return (request.model ?? request.name)!;
}
