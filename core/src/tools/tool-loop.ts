/**
 * The server-side tool loop: generate a round; when the model calls plugin tools, run them, append
 * their results as `tool` turns and generate again, on the slot that holds the last round's cache so
 * each round evaluates only its new tokens (the model and slot are free while the tools run: a tool
 * may ask any model). It ends when a round makes no plugin call, when it calls a client tool (those go
 * back to the client, after the plugin calls of the same turn ran), or after `maxRounds` tool
 * rounds, with one last round that offers no tools.
 */
import type { KeepAlive } from "../config/duration.js";
import {
  GenerationAborted, type ChatRoundResult, type ChatTurn, type Engine, type GenerationResult, type ResponseFormat, type SamplingParams,
  type ToolCallDelta, type ToolChoice, type ToolSpec,
} from "../engine/types.js";
import { ClientCallDeltas } from "./client-call-deltas.js";
import type { PluginToolSource } from "./plugin-tool-source.js";
import { RoundText } from "./round-text.js";
import { runPluginCalls } from "./run-plugin-calls.js";
import type { OfferedPluginTool } from "./select-plugin-tools.js";
import type { RoundTools, RoundTrace, ToolTraceEntry } from "./tool-trace.js";

/** `max_tool_rounds` when a request sends none. */
export const DEFAULT_MAX_TOOL_ROUNDS = 5;

/** Options of {@link runToolLoop}. */
export interface ToolLoopOptions {
  engine: Engine;
  source: PluginToolSource;
  model: string;
  keepAlive?: KeepAlive;
  /** Aborts the round or the calls in progress (the client left). */
  signal: AbortSignal;
  /** Written on each plugin call's audit line. */
  requestId?: string;
  turns: readonly ChatTurn[];
  /** Applies to each round: `maxTokens` bounds every round's answer. */
  sampling: SamplingParams;
  /** The client's tools, which go back to the client when called. */
  clientTools: readonly ToolSpec[];
  /** The plugin tools the server runs. */
  pluginTools: readonly OfferedPluginTool[];
  /** The first round's choice. @default auto */
  toolChoice?: ToolChoice;
  /** The later rounds' choice. @default auto */
  pluginToolChoice?: "auto" | "required";
  parallelToolCalls?: boolean;
  responseFormat?: ResponseFormat;
  /** Rounds whose plugin calls are run. @default {@link DEFAULT_MAX_TOOL_ROUNDS} */
  maxRounds?: number;
  /** The answer's text as it comes, every round's. */
  onText?: (text: string) => void;
  /** Pieces of client tool calls, numbered for the client; plugin calls never reach it. */
  onToolCall?: (delta: ToolCallDelta) => void;
  /** The trace entries of each round, once its plugin calls have run. */
  onTrace?: (entries: ToolTraceEntry[]) => void;
}

/** The answer, its usage summed over every round, and what the server did on the way. */
export interface ToolLoopResult extends GenerationResult {
  trace: ToolTraceEntry[];
}

function roundTools(choice: ToolChoice, exhausted: boolean): RoundTools {
  return exhausted ? "off" : choice.mode;
}

/**
 * Runs the loop and returns the answer for the client: the last round's finish reason and client
 * tool calls, the text of every round, and `usage` summed over every round.
 * @throws what the engine throws (a `GenerationAborted` carries the tokens of every round so far).
 */
export async function runToolLoop(options: ToolLoopOptions): Promise<ToolLoopResult> {
  const { engine, pluginTools, maxRounds = DEFAULT_MAX_TOOL_ROUNDS } = options;
  const byName = new Map(pluginTools.map((tool) => [tool.functionName, tool]));
  const tools = [...options.clientTools, ...pluginTools.map((tool) => tool.spec)];
  const text = new RoundText(options.onText);
  const trace: ToolTraceEntry[] = [];
  let turns = [...options.turns];
  let promptTokens = 0;
  let completionTokens = 0;

  const session = await engine.chatSession({ model: options.model, signal: options.signal, ...(options.keepAlive === undefined ? {} : { keepAlive: options.keepAlive }) });
  try {
    for (let round = 1; ; round++) {
      const exhausted = round > maxRounds;
      const choice: ToolChoice = exhausted
        ? { mode: "none" }
        : round === 1
          ? (options.toolChoice ?? { mode: "auto" })
          : { mode: options.pluginToolChoice ?? "auto" };
      const deltas = new ClientCallDeltas((name) => byName.has(name), options.onToolCall);
      text.nextRound();
      const started = performance.now();
      let result: ChatRoundResult;
      try {
        result = await session.chat({
          turns,
          sampling: options.sampling,
          // With tools off the prompt shows none, so the model answers in text.
          ...(exhausted ? {} : { tools, toolChoice: choice }),
          ...(options.parallelToolCalls === undefined ? {} : { parallelToolCalls: options.parallelToolCalls }),
          ...(options.responseFormat ? { responseFormat: options.responseFormat } : {}),
          onText: (piece) => text.push(piece),
          onToolCall: (delta) => deltas.push(delta),
        });
      } catch (err) {
        if (err instanceof GenerationAborted) throw new GenerationAborted(promptTokens + err.promptTokens, completionTokens + err.completionTokens);
        throw err;
      }
      promptTokens += result.promptTokens;
      completionTokens += result.completionTokens;
      const calls = result.toolCalls ?? [];
      const clientCalls = calls.filter((call) => !byName.has(call.name));
      // A cut-off turn (finish "length") holds partial arguments: its plugin calls are not run.
      const pluginCalls = result.finishReason === "tool_calls" ? calls.filter((call) => byName.has(call.name)) : [];
      const roundEntry: RoundTrace = {
        type: "round",
        round,
        tools: roundTools(choice, exhausted),
        finish_reason: result.finishReason,
        prompt_tokens: result.promptTokens,
        prompt_tokens_evaluated: result.promptTokensEvaluated,
        prompt_tokens_reused: result.promptTokensReused,
        completion_tokens: result.completionTokens,
        generation_ms: Math.round((performance.now() - started) * 100) / 100,
        plugin_calls: pluginCalls.length,
        client_calls: clientCalls.length,
        ...(exhausted ? { rounds_exhausted: true as const } : {}),
      };
      const answer = (): ToolLoopResult => {
        const finishReason = result.finishReason === "tool_calls" && clientCalls.length === 0 ? "stop" : result.finishReason;
        const stopSequence = finishReason === "stop" ? result.stopSequence : undefined;
        return { text: text.value, finishReason, promptTokens, completionTokens, trace, ...(clientCalls.length > 0 ? { toolCalls: clientCalls } : {}), ...(stopSequence === undefined ? {} : { stopSequence }) };
      };
      if (pluginCalls.length === 0) {
        trace.push(roundEntry);
        options.onTrace?.([roundEntry]);
        return answer();
      }
      const ran = await runPluginCalls(pluginCalls, result.text, byName, {
        source: options.source,
        signal: options.signal,
        round,
        promptTokensEvaluated: result.promptTokensEvaluated,
        promptTokensReused: result.promptTokensReused,
        ...(options.requestId === undefined ? {} : { requestId: options.requestId }),
      });
      const entries = [roundEntry, ...ran.trace];
      trace.push(...entries);
      options.onTrace?.(entries);
      if (clientCalls.length > 0) return answer();
      turns = [...turns, ...ran.turns];
    }
  } finally {
    session.release();
  }
}

/** `{tool_trace}` for a response when the answer came from the loop, else nothing. */
export function toolTraceField(result: GenerationResult): { tool_trace?: ToolTraceEntry[] } {
  return "trace" in result ? { tool_trace: (result as ToolLoopResult).trace } : {};
}
