/**
 * Pure converters from a validated Responses request to what the chat core takes: input items to
 * engine turns, and the tool and format fields to the chat request's, so `openai/structured.ts`
 * prepares and checks them exactly as it does for `/v1/chat/completions`. They never throw.
 */
import type { ChatTurn, SamplingParams } from "../engine/types.js";
import { randomId } from "../ids.js";
import { toSamplingParams } from "../openai/convert-request.js";
import type { ChatCompletionRequest } from "../openai/types.js";
import type { StoredItem } from "../state/responses-repo.js";
import type { FunctionTool, InputItem, InputPart, ResponseCreateRequest } from "./types.js";

const ID_PREFIX: Record<string, string> = { message: "msg_", function_call: "fc_", function_call_output: "fco_" };

/**
 * The request's input as items to store and replay: a string becomes one user message, an item
 * without `type` a message, and an item without `id` gets one (ids the client sends are kept,
 * known to us or not, since clients replay items with their own ids).
 */
export function toInputItems(input: ResponseCreateRequest["input"]): StoredItem[] {
  if (input === undefined) return [];
  if (typeof input === "string") return [{ id: randomId("msg_"), type: "message", role: "user", content: [{ type: "input_text", text: input }] }];
  return input.map((item) => {
    const type = item.type ?? "message";
    const stored = { ...item, type, id: item.id ?? randomId(ID_PREFIX[type]!) } as StoredItem;
    // Read back (input_items, conversation items) as OpenAI returns them: content as parts.
    if (type === "message" && typeof stored.content === "string") {
      stored.content = [{ type: stored.role === "assistant" ? "output_text" : "input_text", text: stored.content }];
    }
    return stored;
  });
}

/**
 * Engine turns of a list of items, in order: `developer` messages become `system`, consecutive
 * `function_call` items join the assistant turn before them (one turn may call several tools), and
 * each `function_call_output` becomes a tool turn.
 */
export function itemsToTurns(items: readonly StoredItem[]): ChatTurn[] {
  const turns: ChatTurn[] = [];
  for (const raw of items) {
    const item = raw as unknown as InputItem;
    if (item.type === "function_call") {
      const call = { id: item.call_id, name: item.name, arguments: item.arguments };
      const last = turns.at(-1);
      if (last?.role === "assistant") last.toolCalls.push(call);
      else turns.push({ role: "assistant", text: "", toolCalls: [call] });
    } else if (item.type === "function_call_output") {
      turns.push({ role: "tool", toolCallId: item.call_id, text: typeof item.output === "string" ? item.output : item.output.map((p) => p.text).join("") });
    } else {
      const text = partsText(item.content);
      if (item.role === "assistant") turns.push({ role: "assistant", text, toolCalls: [] });
      else turns.push({ role: item.role === "user" ? "user" : "system", text });
    }
  }
  return turns;
}

function partsText(content: string | InputPart[]): string {
  if (typeof content === "string") return content;
  return content.map((part) => (part.type === "refusal" ? part.refusal : part.text)).join("");
}

/**
 * The function tools of a request: function tools as given, the functions inside a `namespace`
 * group (Codex sends them so), and nothing of the hosted tool types this server does not run
 * (`web_search`, …), which clients add to every request whether or not a server has them.
 */
export function functionTools(tools: ResponseCreateRequest["tools"]): FunctionTool[] {
  const out: FunctionTool[] = [];
  for (const tool of tools ?? []) {
    if (tool.type === "function") out.push(tool as unknown as FunctionTool);
    else if (tool.type === "namespace" && Array.isArray(tool.tools)) out.push(...functionTools(tool.tools as ResponseCreateRequest["tools"]));
  }
  return out;
}

/** The tool and format fields of a chat request that asks what the Responses request asks. */
export function toChatFields(request: ResponseCreateRequest): ChatCompletionRequest {
  const tools = functionTools(request.tools).map((tool) => ({
    type: "function" as const,
    function: {
      name: tool.name,
      ...(tool.description ? { description: tool.description } : {}),
      ...(tool.parameters !== undefined && tool.parameters !== null ? { parameters: tool.parameters } : {}),
      strict: tool.strict ?? null,
    },
  }));
  const choice = request.tool_choice;
  const format = request.text?.format;
  return {
    model: request.model,
    messages: [],
    ...(tools.length > 0 ? { tools } : {}),
    ...(choice ? { tool_choice: typeof choice === "string" ? choice : { type: "function", function: { name: choice.name } } } : {}),
    ...(request.parallel_tool_calls !== undefined && request.parallel_tool_calls !== null ? { parallel_tool_calls: request.parallel_tool_calls } : {}),
    ...(format && format.type !== "text"
      ? {
          response_format:
            format.type === "json_schema"
              ? { type: "json_schema", json_schema: { name: format.name, schema: format.schema, strict: format.strict ?? null } }
              : { type: "json_object" },
        }
      : {}),
  } as ChatCompletionRequest;
}

/** The engine's sampling settings: `max_output_tokens`, `temperature` and `top_p`. */
export function toSampling(request: ResponseCreateRequest): SamplingParams {
  return toSamplingParams({ model: request.model, max_completion_tokens: request.max_output_tokens ?? null, temperature: request.temperature ?? null, top_p: request.top_p ?? null });
}

// What openai/structured.ts calls a field, and what a Responses client calls it.
const PARAM_NAMES: [RegExp, string][] = [
  [/\btools\.(\d+)\.function\./g, "tools.$1."],
  [/\bresponse_format\.json_schema\.schema\b/g, "text.format.schema"],
  [/\bresponse_format\.json_schema\b/g, "text.format"],
  [/\bresponse_format\b/g, "text.format"],
  [/\btool_choice\.function\.name\b/g, "tool_choice.name"],
];

/** Renames chat field paths in a message or `param` to the Responses API's. */
export function toResponsesParam(text: string): string {
  return PARAM_NAMES.reduce((out, [pattern, name]) => out.replace(pattern, name), text);
}
