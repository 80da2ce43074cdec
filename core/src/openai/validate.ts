/**
 * Validation of the two completion bodies: `http/validate-body.ts` checks them against
 * `schemas.ts` (compiled once, at module load), and the depth checks here refuse JSON nested too
 * deeply for the walkers behind them.
 */

import { ShimmyError } from "../errors.js";
import { checkBody, compileBodySchema } from "../http/validate-body.js";
import { contentText } from "./convert-request.js";
import { MAX_JSON_DEPTH, exceedsJsonDepth, jsonTextExceedsDepth } from "./json-depth.js";
import { chatCompletionRequestSchema, textCompletionRequestSchema } from "./schemas.js";
import type { ChatCompletionRequest, TextCompletionRequest } from "./types.js";

const validateChat = compileBodySchema(chatCompletionRequestSchema);
const validateText = compileBodySchema(textCompletionRequestSchema);

/**
 * Checks a `POST /v1/chat/completions` body and returns it typed; unknown fields are kept.
 *
 * @throws ShimmyError `invalid_parameter` (400) naming the first offending field.
 */
export function parseChatCompletionRequest(body: unknown): ChatCompletionRequest {
  // Before ajv and every other walker: they all recurse through these schemas.
  checkSchemaDepths(body);
  const request = checkBody<ChatCompletionRequest>(validateChat, body);
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
  return checkBody<TextCompletionRequest>(validateText, body);
}
