/**
 * Pure converters from a validated Messages API request to what the chat core takes: messages to
 * engine turns, and `tools`, `tool_choice` and the sampling fields to a chat completion request's,
 * so `openai/chat-generation.ts` checks, plans and generates them exactly as it does for
 * `/v1/chat/completions` (plugin tools and `defaultPlugins` included). They never throw.
 */
import type { ChatTurn, SamplingParams } from "../engine/types.js";
import { toSamplingParams } from "../openai/convert-request.js";
import type { ChatCompletionRequest } from "../openai/types.js";
import type { MessageCreateRequest, MessageParam, PromptFields, TextBlock } from "./types.js";

/** The text of a string or of text blocks, joined with no separator. */
export function blocksText(content: string | readonly TextBlock[] | undefined): string {
  if (content === undefined) return "";
  return typeof content === "string" ? content : content.map((block) => block.text).join("");
}

/**
 * Engine turns of a request: `system` first (when given), then per message, in block order, its
 * text (consecutive text blocks joined into one turn), each `tool_result` as a tool turn, and an
 * assistant's `tool_use` blocks as the tool calls of its turn, their input as JSON text.
 */
export function toChatTurns(request: Pick<PromptFields, "system" | "messages">): ChatTurn[] {
  const turns: ChatTurn[] = [];
  const system = blocksText(request.system);
  if (system !== "") turns.push({ role: "system", text: system });
  for (const message of request.messages) turns.push(...messageTurns(message));
  return turns;
}

function messageTurns(message: MessageParam): ChatTurn[] {
  const blocks = typeof message.content === "string" ? [{ type: "text" as const, text: message.content }] : message.content;
  if (message.role === "assistant") {
    const text = blocks.map((block) => (block.type === "text" ? block.text : "")).join("");
    const toolCalls = blocks.flatMap((block) => (block.type === "tool_use" ? [{ id: block.id, name: block.name, arguments: JSON.stringify(block.input) }] : []));
    return [{ role: "assistant", text, toolCalls }];
  }
  const turns: ChatTurn[] = [];
  for (const block of blocks) {
    if (block.type === "tool_result") {
      const text = blocksText(block.content);
      // The chat core has no error flag on a tool turn: the model reads it in the text.
      turns.push({ role: "tool", toolCallId: block.tool_use_id, text: block.is_error ? `Error: ${text}` : text });
    } else if (block.type === "text") {
      const last = turns.at(-1);
      if (last?.role === "user") last.text += block.text;
      else turns.push({ role: "user", text: block.text });
    }
  }
  return turns;
}

/**
 * The chat completion request that asks what the Messages request asks: its tools as function
 * tools (`input_schema` as `parameters`), `tool_choice` (`any` is `required`, `tool` names one),
 * `disable_parallel_tool_use` as `parallel_tool_calls: false`, and Shimmy's plugin fields. The
 * messages are left empty: {@link toChatTurns} gives the turns.
 */
export function toChatFields(request: PromptFields): ChatCompletionRequest {
  const tools = (request.tools ?? []).map((tool) => ({
    type: "function" as const,
    function: { name: tool.name, ...(tool.description === undefined ? {} : { description: tool.description }), parameters: tool.input_schema },
  }));
  const choice = request.tool_choice;
  const chat: ChatCompletionRequest = {
    model: request.model,
    messages: [],
    plugins: request.plugins ?? null,
    max_tool_rounds: request.max_tool_rounds ?? null,
    plugin_tool_choice: request.plugin_tool_choice ?? null,
  };
  if (tools.length > 0) chat.tools = tools;
  if (choice) {
    chat.tool_choice = choice.type === "any" ? "required" : choice.type === "tool" ? { type: "function", function: { name: choice.name } } : choice.type;
    if (choice.type !== "none" && choice.disable_parallel_tool_use === true) chat.parallel_tool_calls = false;
  }
  return chat;
}

/** The engine's sampling settings: `max_tokens`, `stop_sequences`, `temperature`, `top_p` and `top_k`. */
export function toSampling(request: MessageCreateRequest): SamplingParams {
  return toSamplingParams({
    model: request.model,
    max_tokens: request.max_tokens,
    stop: request.stop_sequences ?? null,
    temperature: request.temperature ?? null,
    top_p: request.top_p ?? null,
    top_k: request.top_k ?? null,
  });
}

// What the chat core calls a field, and what a Messages client calls it.
const PARAM_NAMES: [RegExp, string][] = [
  [/\btools\.(\d+)\.function\.parameters\b/g, "tools.$1.input_schema"],
  [/\btools\.(\d+)\.function\./g, "tools.$1."],
  [/\btool_choice\.function\.name\b/g, "tool_choice.name"],
  [/\bparallel_tool_calls\b/g, "tool_choice.disable_parallel_tool_use"],
];

/** Renames chat field paths in a message or `param` to the Messages API's. */
export function toAnthropicParam(text: string): string {
  return PARAM_NAMES.reduce((out, [pattern, name]) => out.replace(pattern, name), text);
}
