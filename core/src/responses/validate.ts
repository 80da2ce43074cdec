/**
 * Validation of `POST /v1/responses` bodies through the one body checker (`http/validate-body.ts`),
 * plus what a schema words badly: an unknown item type is named, and JSON too deep to walk refused.
 */
import type { SchemaObject } from "ajv";
import { ShimmyError } from "../errors.js";
import { MESSAGE_KEYWORD, checkBody, compileBodySchema } from "../http/validate-body.js";
import { MAX_JSON_DEPTH, exceedsJsonDepth } from "../openai/json-depth.js";
import { toolLoopProperties } from "../openai/schemas.js";
import type { ResponseCreateRequest } from "./types.js";

/** The item types `input` may hold. */
export const INPUT_ITEM_TYPES = ["message", "function_call", "function_call_output"] as const;

// A string or an array of parts: one `type` list, so a bad part type fails on its own `enum` message.
const textContent = (types: string[]): SchemaObject => ({
  type: ["string", "array"],
  [MESSAGE_KEYWORD]: { type: "{path} must be a string or an array of parts" },
  items: {
    type: "object",
    required: ["type"],
    properties: {
      type: { enum: types, [MESSAGE_KEYWORD]: { enum: `{path} is {value}, but this server takes ${types.join(", ")} parts only` } },
      text: { type: "string" },
    },
  },
});

/**
 * `schema`, or null. `type` lists null beside the real type (not an anyOf), so a wrong value fails
 * on the real rules' messages.
 */
export const nullable = (schema: SchemaObject): SchemaObject => ({ ...schema, type: [schema.type as string, "null"] });

// Item shapes are checked after the type is known (see checkInputItems), so the message names the type.
const itemShapes: Record<(typeof INPUT_ITEM_TYPES)[number], SchemaObject> = {
  message: {
    type: "object",
    required: ["role", "content"],
    properties: {
      role: { enum: ["user", "assistant", "system", "developer"] },
      content: textContent(["input_text", "output_text", "refusal"]),
    },
  },
  function_call: {
    type: "object",
    required: ["call_id", "name", "arguments"],
    properties: { call_id: { type: "string" }, name: { type: "string" }, arguments: { type: "string" } },
  },
  function_call_output: {
    type: "object",
    required: ["call_id", "output"],
    properties: { call_id: { type: "string" }, output: textContent(["input_text"]) },
  },
};

/** `metadata` as OpenAI limits it: 16 pairs, keys up to 64 characters, values up to 512. */
export const METADATA_SCHEMA: SchemaObject = {
  type: "object",
  maxProperties: 16,
  propertyNames: { maxLength: 64 },
  additionalProperties: { type: "string", maxLength: 512 },
  [MESSAGE_KEYWORD]: { maxProperties: "{path} holds at most 16 pairs" },
};

const requestSchema: SchemaObject = {
  type: "object",
  required: ["model"],
  properties: {
    model: { type: "string", minLength: 1 },
    input: { type: ["string", "array"], items: { type: "object" }, [MESSAGE_KEYWORD]: { type: "{path} must be a string or an array of items" } },
    instructions: { type: ["string", "null"] },
    tools: nullable({ type: "array", maxItems: 128, items: { type: "object", required: ["type"], properties: { type: { type: "string" } } } }),
    parallel_tool_calls: { type: ["boolean", "null"] },
    text: nullable({
      type: "object",
      properties: {
        format: {
          type: "object",
          required: ["type"],
          properties: { type: { enum: ["text", "json_object", "json_schema"] }, name: { type: "string" }, schema: { type: ["object", "boolean"] }, strict: { type: ["boolean", "null"] } },
        },
      },
    }),
    max_output_tokens: { type: ["integer", "null"], minimum: 1 },
    temperature: { type: ["number", "null"], minimum: 0, maximum: 2 },
    top_p: { type: ["number", "null"], minimum: 0, maximum: 1 },
    metadata: nullable(METADATA_SCHEMA),
    stream: { type: ["boolean", "null"] },
    store: { type: ["boolean", "null"] },
    previous_response_id: { type: ["string", "null"] },
    conversation: { anyOf: [{ type: "null" }, { type: "string" }, { type: "object", required: ["id"], properties: { id: { type: "string" } } }] },
    background: { type: ["boolean", "null"] },
    ...toolLoopProperties,
  },
};

const validateRequest = compileBodySchema(requestSchema);
const validateItem = Object.fromEntries(Object.entries(itemShapes).map(([type, schema]) => [type, compileBodySchema(schema)]));

/**
 * Checks a `POST /v1/responses` body and returns it typed.
 *
 * @throws ShimmyError `invalid_parameter` (400) naming the first offending field.
 */
export function parseResponseRequest(body: unknown): ResponseCreateRequest {
  const request = checkBody<ResponseCreateRequest>(validateRequest, body);
  if (request.background === true) {
    // OpenAI's rule: a background response is read back later, so it must be stored.
    if (request.store === false) throw new ShimmyError("invalid_parameter", "background requires store: a background response is read back with GET, so store: false cannot be used with it", { param: "background" });
    if (request.stream === true) throw new ShimmyError("invalid_parameter", "background with stream is not supported by this server: create it without stream and read it with GET /v1/responses/{id}", { param: "stream" });
  }
  if (Array.isArray(request.input)) checkInputItems(request.input as unknown as Record<string, unknown>[], "input");
  (request.tools ?? []).forEach((tool, i) => {
    if (exceedsJsonDepth(tool.parameters)) throw tooDeep(`tools.${i}.parameters`);
  });
  const format = request.text?.format;
  if (format?.type === "json_schema") {
    // Chat's json_schema may leave its schema out; the Responses API requires both fields.
    for (const field of ["name", "schema"] as const) {
      if (format[field] === undefined) throw new ShimmyError("invalid_parameter", `Missing required parameter: text.format.${field}`, { param: `text.format.${field}` });
    }
    if (exceedsJsonDepth(format.schema)) throw tooDeep("text.format.schema");
  }
  return request;
}

/**
 * Checks each item against the shape of its type; an item without `type` is a message, as OpenAI
 * reads it. `field` is the body field holding them (`input`, or `items` of the Conversations API).
 *
 * @throws ShimmyError `invalid_parameter` naming the item's offending field, e.g. `items.2.type`.
 */
export function checkInputItems(items: readonly Record<string, unknown>[], field: string): void {
  items.forEach((item, i) => {
    const type = item.type ?? "message";
    const validate = typeof type === "string" ? validateItem[type] : undefined;
    if (!validate) {
      throw new ShimmyError("invalid_parameter", `${field}.${i}.type ${JSON.stringify(type)} is not supported: send ${INPUT_ITEM_TYPES.join(", ")} items`, { param: `${field}.${i}.type` });
    }
    try {
      checkBody(validate, item);
    } catch (err) {
      if (!(err instanceof ShimmyError)) throw err;
      const param = err.param ? `${field}.${i}.${err.param}` : `${field}.${i}`;
      const message = err.param ? err.message.replace(err.param, param) : `${field}.${i}: ${err.message}`;
      throw new ShimmyError("invalid_parameter", message, { param });
    }
  });
}

function tooDeep(param: string): ShimmyError {
  return new ShimmyError("invalid_parameter", `${param} nests objects and arrays more than ${MAX_JSON_DEPTH} levels deep`, { param });
}
