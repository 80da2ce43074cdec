/**
 * Decides, for one chat request, whether the server runs a tool loop and with what: the plugin
 * tools it offers, and the `tool_choice` the request's own tools cannot resolve (a choice that
 * names a plugin tool, or `required` with plugin tools alone). Pure apart from reading the list of
 * installed plugins.
 */
import type { ToolChoice } from "../engine/types.js";
import type { PluginToolSource } from "./plugin-tool-source.js";
import { selectPluginTools, type DefaultPlugins, type OfferedPluginTool } from "./select-plugin-tools.js";
import { DEFAULT_MAX_TOOL_ROUNDS } from "./tool-loop.js";

/** The tool-loop fields of a validated chat request (the schema has checked their shapes). */
export interface ToolLoopFields {
  model: string;
  tools?: unknown;
  tool_choice?: unknown;
  plugins?: readonly string[] | "all" | null;
  max_tool_rounds?: number | null;
  plugin_tool_choice?: "auto" | "required" | null;
}

/** A tool loop to run. */
export interface ToolLoopPlan {
  pluginTools: OfferedPluginTool[];
  maxRounds: number;
  pluginToolChoice: "auto" | "required";
  /**
   * The first round's choice when it concerns plugin tools; then `tool_choice` is taken out of what
   * the client's own tools are checked against.
   */
  toolChoice?: ToolChoice;
}

/** The names of the request's own function tools, read leniently (their shapes are checked later). */
function clientToolNames(tools: unknown): Set<string> {
  if (!Array.isArray(tools)) return new Set();
  return new Set(tools.map((tool: { function?: { name?: unknown } } | null) => tool?.function?.name).filter((name): name is string => typeof name === "string"));
}

/**
 * The loop a request gets, or null when it is offered no plugin tool (it is then an ordinary chat).
 * @throws ShimmyError for a `plugins` entry that is not installed (400) or cannot run (409).
 */
export function planToolLoop(request: ToolLoopFields, source: PluginToolSource | undefined, defaults: DefaultPlugins): ToolLoopPlan | null {
  if (!source) return null;
  const clientNames = clientToolNames(request.tools);
  const pluginTools = selectPluginTools(source, { model: request.model, clientToolNames: clientNames, ...(request.plugins == null ? {} : { requested: request.plugins }) }, defaults);
  if (pluginTools.length === 0) return null;
  const plan: ToolLoopPlan = {
    pluginTools,
    maxRounds: request.max_tool_rounds ?? DEFAULT_MAX_TOOL_ROUNDS,
    pluginToolChoice: request.plugin_tool_choice ?? "auto",
  };
  const choice = request.tool_choice;
  if ((choice === "required" || choice === "any") && clientNames.size === 0) plan.toolChoice = { mode: "required" };
  const named = (choice as { function?: { name?: unknown } } | null)?.function?.name;
  if (typeof named === "string" && !clientNames.has(named) && pluginTools.some((tool) => tool.functionName === named)) {
    plan.toolChoice = { mode: "named", name: named };
  }
  return plan;
}
