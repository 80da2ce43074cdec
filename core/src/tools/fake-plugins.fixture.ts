/** Test helper: a {@link PluginToolSource} with a calculator, a clock and a plugin that fails, all in memory. */
import { ShimmyError } from "../errors.js";
import type { PluginToolCall, PluginToolCallOptions, PluginToolSource, PluginView } from "./plugin-tool-source.js";

/** A recorded call, with when it started and ended (ms, `performance.now()`). */
export interface RecordedCall extends PluginToolCall {
  options: PluginToolCallOptions;
  startedAt: number;
  endedAt?: number;
}

const OBJECT = (properties: Record<string, unknown>, required: string[] = []) => ({ type: "object", properties, required, additionalProperties: false });

/** The plugins the fake serves; `bomb` traps (`trap`) or times out (`loop`), `broken` cannot run. */
export const FAKE_PLUGINS: PluginView[] = [
  { name: "calculator", status: "ready", tools: [{ name: "calculate", function_name: "calculator__calculate", description: "Evaluates arithmetic", inputSchema: OBJECT({ expression: { type: "string", maxLength: 100 } }, ["expression"]) }] },
  { name: "time", status: "ready", tools: [{ name: "now", function_name: "time__now", description: "The time", inputSchema: OBJECT({}) }] },
  {
    name: "bomb",
    status: "ready",
    tools: [
      { name: "trap", function_name: "bomb__trap", description: "Traps", inputSchema: OBJECT({}) },
      { name: "loop", function_name: "bomb__loop", description: "Never ends", inputSchema: OBJECT({}) },
    ],
  },
  { name: "broken", status: "error", tools: [{ name: "x", function_name: "broken__x", description: "x", inputSchema: OBJECT({}) }] },
];

/** The fake source, and every call it got. `delayMs` holds each call that long. */
export function fakePlugins(delayMs = 0): PluginToolSource & { calls: RecordedCall[] } {
  const calls: RecordedCall[] = [];
  return {
    calls,
    list: () => FAKE_PLUGINS,
    async callTool(call, options) {
      const recorded: RecordedCall = { ...call, options, startedAt: performance.now() };
      calls.push(recorded);
      await new Promise((resolve) => setTimeout(resolve, delayMs));
      recorded.endedAt = performance.now();
      if (call.name === "trap") throw new ShimmyError("tool_failed", "bomb trap: the plugin trapped (unreachable)");
      if (call.name === "loop") throw new ShimmyError("tool_timeout", "bomb loop: timed out after 1000 ms");
      if (call.name === "calculate") return { result: call.arguments.expression === "6*7" ? "42" : "0" };
      if (call.name === "now") return { iso: "2026-01-01T00:00:00.000Z" };
      throw new ShimmyError("tool_not_found", `no tool ${call.name}`);
    },
  };
}
