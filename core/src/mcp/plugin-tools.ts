/**
 * The plugins' tools in MCP's shape, and their calls as MCP tool results. Pure over a
 * {@link McpToolSource}: the running server passes its `InstalledPlugins`, tests pass a fake.
 */
import type { CallToolResult, Tool } from "@modelcontextprotocol/server";
import { ShimmyError } from "../errors.js";
import type { PluginSummary } from "../plugins/plugin-summary.js";

/** One installed plugin as the MCP server needs it: the fields of `PluginSummary` it reads. */
export type McpPluginView = Pick<PluginSummary, "name" | "enabled" | "status" | "tools">;

/** Per-call options the source receives. */
export interface McpCallOptions {
  /** Aborted when the client cancels the call or goes away. */
  signal?: AbortSignal;
  /** Written on the call's audit line, so it joins the request's log line. */
  requestId?: string;
}

/**
 * What the MCP server needs of the plugins; `InstalledPlugins` satisfies it. Kept this narrow so
 * `mcp/` depends on two methods, not on the store.
 */
export interface McpToolSource {
  list(): McpPluginView[];
  /** Runs a tool; throws a {@link ShimmyError} when the call fails (bad arguments, trap, timeout). */
  callTool(request: { name: string; plugin?: string; arguments: Record<string, unknown> }, options: McpCallOptions): Promise<unknown>;
}

/** An MCP tool, with the plugin and tool name it calls. */
export interface McpPluginTool {
  tool: Tool;
  plugin: string;
  pluginTool: string;
}

/**
 * The tools of every enabled, ready plugin, named by their function names (unique across
 * plugins, and within MCP's `^[A-Za-z0-9_.-]{1,128}$`). A plugin that cannot run is left out rather
 * than listed and refused: an MCP client offers every listed tool to its model.
 */
export function mcpTools(source: McpToolSource): McpPluginTool[] {
  return source
    .list()
    .filter((p) => p.enabled && p.status === "ready")
    .flatMap((p) =>
      p.tools.map((t) => ({
        plugin: p.name,
        pluginTool: t.name,
        tool: {
          name: t.function_name,
          ...(t.title ? { title: t.title } : {}),
          description: t.description,
          inputSchema: t.inputSchema as Tool["inputSchema"],
          ...(t.outputSchema ? { outputSchema: t.outputSchema as Tool["outputSchema"] } : {}),
          ...(t.annotations ? { annotations: t.annotations as Tool["annotations"] } : {}),
        },
      })),
    );
}

/** A failed call as the model should see it: a short text and `isError`, never a protocol error. */
export function toolErrorResult(error: unknown): CallToolResult {
  // 5xx messages stay hidden, as the HTTP error renderer hides them.
  const text = error instanceof ShimmyError && error.expose ? error.message : "The tool failed inside the server; its log has the details.";
  const code = error instanceof ShimmyError ? error.code : "internal_error";
  return { content: [{ type: "text", text }], isError: true, _meta: { "dev.shimmy/error_code": code } };
}

/**
 * Runs `tool` through the source and wraps its JSON output: `structuredContent` for clients that
 * read the outputSchema, and the same JSON as text for those that only read `content`. Every
 * failure the plugin or its arguments cause becomes an `isError` result, so the server keeps serving.
 */
export async function callMcpTool(source: McpToolSource, tool: McpPluginTool, args: Record<string, unknown>, options: McpCallOptions): Promise<CallToolResult> {
  try {
    const output = await source.callTool({ name: tool.pluginTool, plugin: tool.plugin, arguments: args }, options);
    return { content: [{ type: "text", text: JSON.stringify(output) }], structuredContent: output as CallToolResult["structuredContent"] };
  } catch (error) {
    return toolErrorResult(error);
  }
}
