/**
 * `tool_trace`: what the server did between the request and its answer, as the response (and the
 * stream) carries it. One `round` entry per generation, each followed by the `tool_call` entries
 * of the plugin calls that round made. Field names are snake_case, as the rest of the wire format.
 */
import type { FinishReason } from "../engine/types.js";

/** How tools were offered in a round: as `tool_choice` says, or `off` for the final round after the last tool round. */
export type RoundTools = "auto" | "required" | "named" | "none" | "off";

/** One generation of the loop. */
export interface RoundTrace {
  type: "round";
  /** 1 for the first generation. */
  round: number;
  tools: RoundTools;
  finish_reason: FinishReason;
  /** Tokens of the whole prompt of this round. */
  prompt_tokens: number;
  /** Of those, the ones evaluated now. */
  prompt_tokens_evaluated: number;
  /** Of those, the ones the slot's cache kept from the round before. */
  prompt_tokens_reused: number;
  completion_tokens: number;
  /** Milliseconds the model took for this round (prompt and answer). */
  generation_ms: number;
  /** Plugin calls this round made (run before the next round). */
  plugin_calls: number;
  /** Client tool calls this round made (returned to the client; the loop ends). */
  client_calls: number;
  /** Present on the final round when `max_tool_rounds` ran out: it was generated with tools off. */
  rounds_exhausted?: true;
}

/** One plugin tool call the server ran. */
export interface ToolCallTrace {
  type: "tool_call";
  round: number;
  /** The call's id in the model's turn. */
  id: string;
  /** The function name the model called. */
  name: string;
  plugin: string;
  /** The tool's name in its plugin's manifest. */
  tool: string;
  /** The arguments as parsed, or the text the model wrote when it is not JSON. */
  arguments: unknown;
  /** The tool's output, when it ran. */
  result?: unknown;
  /** Why there is no result: `invalid_arguments`, or the host's code (`tool_failed`, `tool_timeout`, …). */
  error?: { code: string; message: string };
  duration_ms: number;
  /** The round's prompt tokens evaluated and reused, repeated here for each of its calls. */
  prompt_tokens_evaluated: number;
  prompt_tokens_reused: number;
}

/** An entry of `tool_trace`. */
export type ToolTraceEntry = RoundTrace | ToolCallTrace;

/** Most characters of a tool result the model is shown; more would crowd its context. */
export const MAX_RESULT_CHARS = 8000;
/** Most characters of an error the model is shown. */
export const MAX_ERROR_CHARS = 300;

function truncate(text: string, max: number): string {
  return text.length <= max ? text : `${text.slice(0, max)}… (truncated)`;
}

/**
 * The text of the `tool` turn the model sees for a call: the result as JSON, or a short
 * `Error: …` it can correct itself from.
 */
export function toolTurnText(entry: Pick<ToolCallTrace, "result" | "error">): string {
  if (entry.error) return truncate(`Error: ${entry.error.message}`, MAX_ERROR_CHARS);
  return truncate(JSON.stringify(entry.result) ?? "null", MAX_RESULT_CHARS);
}
