/**
 * What the server did on the way to an answer, shown under it: the plugin tool calls of
 * `tool_trace` (docs/guides/plugin-tools-in-chat.md) with their arguments and results, each round's
 * tokens, and the tool calls the model made for the client. Every value is shown as text.
 */
import { h } from "./dom.js";
import { formatDuration, plural } from "./format.js";
import type { RoundTrace, ToolCallTrace, TraceEntry } from "./wire.js";

/** A tool call the model made for the client (streamed as `tool_calls` deltas). */
export interface ClientToolCall {
  id: string;
  name: string;
  arguments: string;
}

function pretty(value: unknown): string {
  return typeof value === "string" ? value : (JSON.stringify(value, null, 2) ?? String(value));
}

function toolCallItem(call: ToolCallTrace): HTMLLIElement {
  return h(
    "li",
    { class: "tool-call", "data-tool": call.name },
    h("div", {}, h("code", {}, `${call.plugin}/${call.tool}`), ` · round ${call.round} · ${formatDuration(call.duration_ms)}`),
    h("div", { class: "muted" }, "arguments"),
    h("pre", { "data-field": "arguments" }, pretty(call.arguments)),
    call.error
      ? h("pre", { class: "error", "data-field": "error" }, `${call.error.code}: ${call.error.message}`)
      : h("div", {}, h("div", { class: "muted" }, "result"), h("pre", { "data-field": "result" }, pretty(call.result))),
  );
}

function roundItem(round: RoundTrace): HTMLLIElement {
  const reused = round.prompt_tokens_reused > 0 ? ` (${round.prompt_tokens_reused} reused)` : "";
  const exhausted = round.rounds_exhausted ? ", tool rounds used up" : "";
  return h(
    "li",
    { class: "round" },
    `Round ${round.round}: tools ${round.tools}, ${round.prompt_tokens} prompt tokens${reused}, ${round.completion_tokens} generated in ${formatDuration(round.generation_ms)}, ${round.finish_reason}${exhausted}`,
  );
}

function clientCallItem(call: ClientToolCall): HTMLLIElement {
  return h("li", { class: "client-call", "data-tool": call.name }, h("div", {}, "The model asks the client to call ", h("code", {}, call.name)), h("pre", {}, call.arguments));
}

/** The trace as a disclosure (open when `open`), or null when there is nothing to show. */
export function renderTrace(entries: readonly TraceEntry[], clientCalls: readonly ClientToolCall[], open: boolean): HTMLDetailsElement | null {
  const calls = entries.filter((e): e is ToolCallTrace => e.type === "tool_call");
  const rounds = entries.filter((e): e is RoundTrace => e.type === "round");
  if (entries.length === 0 && clientCalls.length === 0) return null;
  const parts = [plural(calls.length, "plugin tool call"), ...(rounds.length > 0 ? [plural(rounds.length, "round")] : []), ...(clientCalls.length > 0 ? [plural(clientCalls.length, "call") + " for the client"] : [])];
  return h(
    "details",
    { class: "trace", open },
    h("summary", {}, parts.join(", ")),
    h("ol", {}, ...entries.map((e) => (e.type === "tool_call" ? toolCallItem(e) : roundItem(e))), ...clientCalls.map(clientCallItem)),
  );
}
