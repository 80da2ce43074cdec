/**
 * Forced tool calls (`tool_choice: "required"` or a named function) on any model, with or without a
 * tool-calling chat template: the tools are described in a system message and a grammar makes the
 * answer a JSON array of `{"name", "arguments"}` calls, each valid against its tool's schema.
 */
import type { ToolChoice, ToolSpec } from "./types.js";

/** How many calls one forced answer may hold when parallel calls are allowed. */
export const MAX_PARALLEL_TOOL_CALLS = 8;

/** The tools a forced call may use: all of them, or the named one. */
export function forcedTools(tools: readonly ToolSpec[], choice: ToolChoice): ToolSpec[] {
  return choice.mode === "named" ? tools.filter((tool) => tool.name === choice.name) : [...tools];
}

/** The grammar schema of a forced answer: an array of calls, each one tool's name and its arguments. */
export function forcedToolCallSchema(tools: readonly ToolSpec[], parallel: boolean): object {
  const calls = tools.map((tool) => ({
    type: "object",
    properties: { name: { const: tool.name }, arguments: tool.parameters },
    required: ["name", "arguments"],
    additionalProperties: false,
  }));
  return {
    type: "array",
    items: calls.length === 1 ? calls[0] : { oneOf: calls },
    minItems: 1,
    maxItems: parallel ? MAX_PARALLEL_TOOL_CALLS : 1,
  };
}

/** The system text that tells the model which tools it is calling and how the answer is written. */
export function forcedToolsSystemText(tools: readonly ToolSpec[], parallel: boolean): string {
  const lines = tools.map(
    (tool) => `- ${tool.name}${tool.description ? `: ${tool.description}` : ""}\n  arguments (JSON Schema): ${JSON.stringify(tool.parameters)}`,
  );
  return [
    "You have these tools:",
    ...lines,
    parallel
      ? 'Answer only with a JSON array of tool calls, each {"name": TOOL, "arguments": {...}}.'
      : 'Answer only with a JSON array holding exactly one tool call, {"name": TOOL, "arguments": {...}}.',
  ].join("\n");
}
