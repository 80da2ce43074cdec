/**
 * Validation of the two request bodies: ajv checks them against `schemas.ts` (compiled once, at
 * module load) and the first error becomes a {@link ShimmyError} `invalid_parameter` whose `param`
 * is the dotted path of the offending field and whose message says what to send instead.
 */

import { Ajv, type ErrorObject, type SchemaObject, type ValidateFunction } from "ajv";
import { ShimmyError } from "../errors.js";
import { contentText } from "./convert-request.js";
import { MAX_JSON_DEPTH, exceedsJsonDepth, jsonTextExceedsDepth } from "./json-depth.js";
import {
  MESSAGE_KEYWORD,
  PARAM_KEYWORD,
  chatCompletionRequestSchema,
  textCompletionRequestSchema,
} from "./schemas.js";
import type { ChatCompletionRequest, TextCompletionRequest } from "./types.js";

// `verbose` puts the failing value and its schema on each error: the messages quote the value and
// read their overrides from the schema's annotations.
const ajv = new Ajv({ allErrors: false, strict: false, verbose: true });
const validateChat = ajv.compile(chatCompletionRequestSchema);
const validateText = ajv.compile(textCompletionRequestSchema);

/**
 * Checks a `POST /v1/chat/completions` body and returns it typed; unknown fields are kept.
 *
 * @throws ShimmyError `invalid_parameter` (400) naming the first offending field.
 */
export function parseChatCompletionRequest(body: unknown): ChatCompletionRequest {
  // Before ajv and every other walker: they all recurse through these schemas.
  checkSchemaDepths(body);
  const request = check<ChatCompletionRequest>(validateChat, body);
  checkMessageDepths(request);
  return request;
}

/** A 400 for JSON at `param` nested deeper than {@link MAX_JSON_DEPTH}. */
function tooDeep(param: string): ShimmyError {
  return new ShimmyError("invalid_parameter", `${param} nests objects and arrays more than ${MAX_JSON_DEPTH} levels deep`, { param });
}

/** Refuses a JSON Schema of the body (`response_format`, `tools`) nested too deeply to walk safely. */
function checkSchemaDepths(body: unknown): void {
  const fields = body as { response_format?: { json_schema?: { schema?: unknown } }; tools?: unknown } | null;
  const schemas: [string, unknown][] = [["response_format.json_schema.schema", fields?.response_format?.json_schema?.schema]];
  if (Array.isArray(fields?.tools)) {
    fields.tools.forEach((tool: { function?: { parameters?: unknown } } | null, i) => schemas.push([`tools.${i}.function.parameters`, tool?.function?.parameters]));
  }
  for (const [param, schema] of schemas) if (exceedsJsonDepth(schema)) throw tooDeep(param);
}

/**
 * Refuses tool-call arguments and tool results whose JSON is nested too deeply: node-llama-cpp
 * parses them into the chat history and recurses through them while rendering it. Text that is
 * not JSON stays text there, so it is refused only when it parses.
 */
function checkMessageDepths(request: ChatCompletionRequest): void {
  const tooDeepJson = (text: string) => jsonTextExceedsDepth(text) && parsesAsJson(text);
  request.messages.forEach((message, m) => {
    if (message.role === "assistant") {
      (message.tool_calls ?? []).forEach((call, c) => {
        if (tooDeepJson(call.function.arguments)) throw tooDeep(`messages.${m}.tool_calls.${c}.function.arguments`);
      });
    } else if (message.role === "tool" && tooDeepJson(contentText(message.content))) {
      throw tooDeep(`messages.${m}.content`);
    }
  });
}

function parsesAsJson(text: string): boolean {
  try {
    JSON.parse(text);
    return true;
  } catch {
    return false;
  }
}

/**
 * Checks a `POST /v1/completions` body and returns it typed; unknown fields are kept.
 *
 * @throws ShimmyError `invalid_parameter` (400) naming the first offending field.
 */
export function parseCompletionRequest(body: unknown): TextCompletionRequest {
  return check<TextCompletionRequest>(validateText, body);
}

/**
 * Compiles a schema for request fields with the options the error messages rely on, so any route
 * that checks more of a body reports faults exactly as the body checks do.
 */
export function compileRequestSchema(schema: SchemaObject): ValidateFunction {
  return ajv.compile(schema);
}

/**
 * Returns `body` typed when it passes `validate`.
 *
 * @throws ShimmyError `invalid_parameter` naming the first offending field by its dotted path.
 */
export function check<T>(validate: ValidateFunction, body: unknown): T {
  if (typeof body !== "object" || body === null || Array.isArray(body)) {
    throw new ShimmyError("invalid_parameter", "The request body must be a JSON object", { param: null });
  }
  if (validate(body)) return body as T;
  throw toShimmyError(validate.errors ?? []);
}

/** Turns ajv's errors (the first one matters, with `allErrors: false`) into a ShimmyError. */
function toShimmyError(errors: readonly ErrorObject[]): ShimmyError {
  const first = errors[0];
  if (first === undefined) {
    return new ShimmyError("invalid_parameter", "The request body is invalid", { param: null });
  }
  const segments = pointerToSegments(first.instancePath);
  if (first.keyword === "required") {
    segments.push(String((first.params as { missingProperty: string }).missingProperty));
  }
  // A failing property name is reported on its object; ajv names the key in the follow-up error.
  const names = errors.find((e) => e.keyword === "propertyNames" && e.instancePath === first.instancePath);
  if (names !== undefined) segments.push(String((names.params as { propertyName: string }).propertyName));

  const annotations = (first.parentSchema ?? {}) as Record<string, unknown>;
  const fixedParam = annotations[PARAM_KEYWORD];
  const path = segments.join(".");
  const param = typeof fixedParam === "string" ? fixedParam : path === "" ? null : path;
  const templates = annotations[MESSAGE_KEYWORD] as Record<string, string> | undefined;
  const template = templates?.[first.keyword];
  const message =
    template !== undefined
      ? template.replaceAll("{path}", path).replaceAll("{value}", quote(first.data))
      : describe(first, path);
  return new ShimmyError("invalid_parameter", message, { param });
}

/** `/messages/2/role` → `["messages", "2", "role"]`, undoing JSON Pointer's `~1` and `~0`. */
function pointerToSegments(pointer: string): string[] {
  if (pointer === "") return [];
  return pointer
    .slice(1)
    .split("/")
    .map((s) => s.replaceAll("~1", "/").replaceAll("~0", "~"));
}

const ARTICLES: Record<string, string> = {
  string: "a string",
  number: "a number",
  integer: "an integer",
  boolean: "a boolean",
  array: "an array",
  object: "an object",
  null: "null",
};

/** The generic message of one ajv error, phrased as what to send. */
function describe(error: ErrorObject, path: string): string {
  const params = error.params as Record<string, unknown>;
  switch (error.keyword) {
    case "required":
      return `Missing required parameter: ${path}`;
    case "type": {
      const types = ([] as unknown[]).concat(params.type).map((t) => ARTICLES[String(t)] ?? String(t));
      return `${path} must be ${joinOr(types)}`;
    }
    case "minimum":
      return `${path} must be at least ${String(params.limit)}`;
    case "maximum":
      return `${path} must be at most ${String(params.limit)}`;
    case "minLength":
      return params.limit === 1 ? `${path} must not be empty` : `${path} must have at least ${String(params.limit)} characters`;
    case "minItems":
      return `${path} must have at least ${String(params.limit)} items`;
    case "maxItems":
      return `${path} must have at most ${String(params.limit)} items`;
    case "enum":
      return `${path} must be one of ${(params.allowedValues as unknown[]).map(String).join(", ")}`;
    case "const":
      return `${path} must be ${quote(params.allowedValue)}`;
    default:
      return `${path} ${error.message ?? "is invalid"}`;
  }
}

function joinOr(items: string[]): string {
  if (items.length <= 1) return items.join("");
  return `${items.slice(0, -1).join(", ")} or ${items[items.length - 1]}`;
}

function quote(value: unknown): string {
  return JSON.stringify(value) ?? String(value);
}
