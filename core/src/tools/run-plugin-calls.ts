/**
 * Runs the plugin calls of one round, concurrently: each one's arguments are checked against its
 * tool's inputSchema first, and every failure (bad arguments, a trap, a timeout, a plugin that
 * cannot run) becomes a result the model reads, never a failed request. Only the request's own
 * abort ends a round early.
 */
import type { ChatTurn, GeneratedToolCall } from "../engine/types.js";
import { ShimmyError } from "../errors.js";
import { checkArguments } from "./check-arguments.js";
import type { PluginToolSource } from "./plugin-tool-source.js";
import type { OfferedPluginTool } from "./select-plugin-tools.js";
import { toolTurnText, type ToolCallTrace } from "./tool-trace.js";

/** What a round's calls share. */
export interface PluginCallContext {
  source: PluginToolSource;
  signal: AbortSignal;
  requestId?: string;
  round: number;
  promptTokensEvaluated: number;
  promptTokensReused: number;
}

function parsedOrText(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}

async function runOne(call: GeneratedToolCall, tool: OfferedPluginTool, context: PluginCallContext): Promise<ToolCallTrace> {
  const base = {
    type: "tool_call" as const,
    round: context.round,
    id: call.id,
    name: call.name,
    plugin: tool.plugin,
    tool: tool.tool,
    prompt_tokens_evaluated: context.promptTokensEvaluated,
    prompt_tokens_reused: context.promptTokensReused,
  };
  const started = performance.now();
  const elapsed = () => Math.round((performance.now() - started) * 100) / 100;
  const verdict = checkArguments(call.arguments, tool.inputSchema);
  if (!verdict.ok) {
    return { ...base, arguments: parsedOrText(call.arguments), error: { code: "invalid_arguments", message: verdict.message }, duration_ms: elapsed() };
  }
  try {
    const result = await context.source.callTool(
      { name: tool.tool, plugin: tool.plugin, arguments: verdict.value },
      { signal: context.signal, ...(context.requestId === undefined ? {} : { requestId: context.requestId }) },
    );
    return { ...base, arguments: verdict.value, result, duration_ms: elapsed() };
  } catch (err) {
    if (context.signal.aborted) throw err;
    // What the host exposes to clients, the model may read too; anything else stays in the log.
    const code = err instanceof ShimmyError ? err.code : "internal_error";
    const message = err instanceof ShimmyError && err.expose ? err.message : "the tool failed unexpectedly";
    return { ...base, arguments: verdict.value, error: { code, message }, duration_ms: elapsed() };
  }
}

/**
 * Runs `calls` (all of them plugin calls) at once; their traces in call order, and the turns that
 * continue the chat: the assistant turn that made them, then one `tool` turn per call.
 */
export async function runPluginCalls(
  calls: readonly GeneratedToolCall[], text: string, tools: ReadonlyMap<string, OfferedPluginTool>, context: PluginCallContext,
): Promise<{ trace: ToolCallTrace[]; turns: ChatTurn[] }> {
  const trace = await Promise.all(calls.map((call) => runOne(call, tools.get(call.name)!, context)));
  const turns: ChatTurn[] = [
    { role: "assistant", text, toolCalls: calls.map((call) => ({ id: call.id, name: call.name, arguments: call.arguments })) },
    ...trace.map((entry): ChatTurn => ({ role: "tool", toolCallId: entry.id, text: toolTurnText(entry) })),
  ];
  return { trace, turns };
}
