/**
 * Decides how a chat request is generated: free text, text held to a JSON grammar
 * (`response_format`), tools offered in the model's native format (`tool_choice: auto`), or a
 * forced call written as JSON under a grammar (`required` or a named function), which works on
 * any model. node-llama-cpp takes a grammar or functions in one generation, never both.
 */
import type { ChatHistoryItem, ChatModelFunctions } from "node-llama-cpp";
import { toChatHistory } from "./chat-history.js";
import { forcedToolCallSchema, forcedTools, forcedToolsSystemText } from "./forced-tool-calls.js";
import type { ChatRequest } from "./types.js";

/** How one chat request is generated. */
export type ChatPlan =
  | { kind: "text"; history: ChatHistoryItem[] }
  | { kind: "json"; history: ChatHistoryItem[]; schema: object }
  | { kind: "native-tools"; history: ChatHistoryItem[]; functions: ChatModelFunctions; parallel: boolean }
  | { kind: "forced-tools"; history: ChatHistoryItem[]; schema: object };

/** The history with `text` added to its first system message, or in a new one at the start. */
export function withSystemText(history: readonly ChatHistoryItem[], text: string): ChatHistoryItem[] {
  const [first, ...rest] = history;
  if (first?.type === "system" && typeof first.text === "string") {
    return [{ type: "system", text: `${first.text}\n\n${text}` }, ...rest];
  }
  return [{ type: "system", text }, ...history];
}

/** What the model's chat format brings to a plan. */
export interface ChatPlanModel {
  /**
   * Whether the model's chat template writes several tool calls in one turn: the default of
   * `parallel_tool_calls`, as in llama.cpp's server, so a model without a tool template makes one
   * call per turn unless the request asks for more.
   */
  parallelToolCalls: boolean;
}

/** Plans the generation of a chat request. */
export function planChat(request: ChatRequest, model: ChatPlanModel): ChatPlan {
  const history = toChatHistory(request.turns);
  const tools = request.tools ?? [];
  const choice = request.toolChoice ?? { mode: tools.length > 0 ? "auto" : "none" };
  const parallel = request.parallelToolCalls ?? model.parallelToolCalls;

  if (tools.length > 0 && (choice.mode === "required" || choice.mode === "named")) {
    const chosen = forcedTools(tools, choice);
    return {
      kind: "forced-tools",
      history: withSystemText(history, forcedToolsSystemText(chosen, parallel)),
      schema: forcedToolCallSchema(chosen, parallel),
    };
  }
  const format = request.responseFormat ?? { type: "text" };
  if (format.type === "json_schema") return { kind: "json", history, schema: format.schema };
  if (tools.length > 0 && choice.mode === "auto") {
    const functions: ChatModelFunctions = Object.fromEntries(
      tools.map((tool) => [tool.name, { description: tool.description, params: tool.parameters as never }]),
    );
    return { kind: "native-tools", history, functions, parallel };
  }
  return { kind: "text", history };
}
