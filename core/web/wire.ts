/**
 * The shapes the page reads from the server's routes, as far as it uses them. The server's own
 * types live in core/src (Node code); these are the browser's copy of the wire format, which
 * test/types/web-wire.check.ts checks against them in `npm test`'s type check.
 */

/** `{"error": {...}}`, as every route fails. */
export interface WireError {
  message: string;
  type?: string;
  code?: string;
  param?: string | null;
}

/** One model of `GET /api/models`. */
export interface AdminModel {
  id: string;
  source: string;
  size_bytes: number;
  quantization: string | null;
  context_length: number | null;
  capabilities: string[];
  loaded: boolean;
  memory_bytes: number | null;
  expires_at: string | null;
  invalid_reason?: string;
}

/** One tool of a plugin in `GET /api/plugins`. */
export interface PluginTool {
  name: string;
  function_name: string;
  title?: string;
  description: string;
}

/** One plugin of `GET /api/plugins`. */
export interface Plugin {
  name: string;
  version: string;
  description: string;
  enabled: boolean;
  status: "ready" | "disabled" | "error";
  error?: string;
  tools: PluginTool[];
  permissions: { net: string[]; fs: { read: string[]; write: string[] } };
  missing_config: string[];
}

/** A `round` entry of `tool_trace` (docs/guides/plugin-tools-in-chat.md). */
export interface RoundTrace {
  type: "round";
  round: number;
  tools: string;
  finish_reason: string;
  prompt_tokens: number;
  prompt_tokens_evaluated: number;
  prompt_tokens_reused: number;
  completion_tokens: number;
  generation_ms: number;
  plugin_calls: number;
  client_calls: number;
  rounds_exhausted?: true;
}

/** A `tool_call` entry of `tool_trace`: one plugin call the server ran. */
export interface ToolCallTrace {
  type: "tool_call";
  round: number;
  id: string;
  name: string;
  plugin: string;
  tool: string;
  arguments: unknown;
  result?: unknown;
  error?: { code: string; message: string };
  duration_ms: number;
}

/** An entry of `tool_trace`. */
export type TraceEntry = RoundTrace | ToolCallTrace;

/** A piece of a tool call the model made for the client, in a streamed delta. */
export interface ToolCallDelta {
  index: number;
  id?: string;
  function?: { name?: string; arguments?: string };
}

/** One `chat.completion.chunk` (or a trailing `{"error"}` event). */
export interface ChatChunk {
  choices?: { delta?: { content?: string | null; tool_calls?: ToolCallDelta[] }; finish_reason?: string | null }[];
  usage?: { prompt_tokens: number; completion_tokens: number } | null;
  tool_trace?: TraceEntry[];
  error?: WireError;
}
