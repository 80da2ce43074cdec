/**
 * Validation of the Messages API bodies through the one body checker (`http/validate-body.ts`),
 * plus what a schema words badly: JSON nested too deeply to walk, and an assistant message last
 * (Anthropic's "prefill"), which the chat core cannot continue.
 */
import { ShimmyError } from "../errors.js";
import { checkBody, compileBodySchema } from "../http/validate-body.js";
import { MAX_JSON_DEPTH, exceedsJsonDepth } from "../openai/json-depth.js";
import { countTokensRequestSchema, messageCreateRequestSchema } from "./schemas.js";
import type { CountTokensRequest, MessageCreateRequest, PromptFields } from "./types.js";

const validateCreate = compileBodySchema(messageCreateRequestSchema);
const validateCount = compileBodySchema(countTokensRequestSchema);

/**
 * Checks a `POST /v1/messages` body and returns it typed; unknown fields are kept.
 * @throws ShimmyError `invalid_parameter` (400) naming the first offending field.
 */
export function parseMessageRequest(body: unknown): MessageCreateRequest {
  checkToolSchemaDepths(body);
  return checkPrompt(checkBody<MessageCreateRequest>(validateCreate, body));
}

/**
 * Checks a `POST /v1/messages/count_tokens` body and returns it typed.
 * @throws ShimmyError `invalid_parameter` (400) naming the first offending field.
 */
export function parseCountTokensRequest(body: unknown): CountTokensRequest {
  checkToolSchemaDepths(body);
  return checkPrompt(checkBody<CountTokensRequest>(validateCount, body));
}

function tooDeep(param: string): ShimmyError {
  return new ShimmyError("invalid_parameter", `${param} nests objects and arrays more than ${MAX_JSON_DEPTH} levels deep`, { param });
}

/** Before ajv, which recurses through the tools' schemas. */
function checkToolSchemaDepths(body: unknown): void {
  const tools = (body as { tools?: unknown } | null)?.tools;
  if (!Array.isArray(tools)) return;
  tools.forEach((tool: { input_schema?: unknown } | null, i) => {
    if (exceedsJsonDepth(tool?.input_schema)) throw tooDeep(`tools.${i}.input_schema`);
  });
}

/** What the schema cannot say: tool inputs too deep for the chat template's walkers, and a prefill. */
function checkPrompt<T extends PromptFields>(request: T): T {
  request.messages.forEach((message, m) => {
    if (typeof message.content === "string") return;
    message.content.forEach((block, b) => {
      if (block.type === "tool_use" && exceedsJsonDepth(block.input)) throw tooDeep(`messages.${m}.content.${b}.input`);
    });
  });
  const last = request.messages.length - 1;
  if (request.messages[last]!.role === "assistant") {
    throw new ShimmyError(
      "invalid_parameter",
      `messages.${last} is an assistant message: continuing a partial assistant answer (prefill) is not supported; end the messages with a user message`,
      { param: `messages.${last}.role` },
    );
  }
  return request;
}
