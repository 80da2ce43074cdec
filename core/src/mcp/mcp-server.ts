/**
 * One MCP server instance over the plugins' tools. The SDK's low-level `Server` rather than
 * `McpServer`: the tools come and go as plugins reload, and their schemas are JSON Schema from the
 * manifests, which `McpServer.registerTool` (built for zod schemas registered once) does not fit.
 */
import { randomUUID } from "node:crypto";
import { ProtocolError, ProtocolErrorCode, Server } from "@modelcontextprotocol/server";
import { CORE_VERSION } from "../version.js";
import { callMcpTool, mcpTools, type McpToolSource } from "./plugin-tools.js";

/** Options of {@link createMcpServer}. */
export interface McpServerOptions {
  /** The plugins whose tools are served. */
  source: McpToolSource;
  /** The id written on each call's audit line (the HTTP request's). @default a fresh `mcp_…` id per call */
  requestId?: () => string | undefined;
}

const INSTRUCTIONS =
  "Tools of the plugins installed in Shimmy, each run in a WebAssembly sandbox limited to what its manifest declares. " +
  "Tool names are the plugins' function names; a failed call is a tool result with isError set.";

/**
 * A fresh `Server` answering `tools/list` and `tools/call` from `source`. Both read the plugins at
 * the time of the request, so a reload shows up on the next call with no state to refresh.
 */
export function createMcpServer(options: McpServerOptions): Server {
  const { source } = options;
  const server = new Server(
    { name: "shimmy", title: "Shimmy plugin tools", version: CORE_VERSION },
    { capabilities: { tools: { listChanged: true } }, instructions: INSTRUCTIONS },
  );
  server.setRequestHandler("tools/list", () => ({ tools: mcpTools(source).map((t) => t.tool) }));
  server.setRequestHandler("tools/call", async (request, ctx) => {
    const name = request.params.name;
    const tool = mcpTools(source).find((t) => t.tool.name === name);
    // An unknown name is the client's protocol mistake (the spec's -32602), not a tool failure.
    if (!tool) throw new ProtocolError(ProtocolErrorCode.InvalidParams, `Unknown tool: ${name}; tools/list names the tools`);
    const requestId = options.requestId?.() ?? `mcp_${randomUUID().replace(/-/g, "")}`;
    const result = await callMcpTool(source, tool, request.params.arguments ?? {}, { signal: ctx.mcpReq.signal, requestId });
    // The SDK shapes the result for the client's protocol era (text fallback, 2025-era wrapping).
    return result.isError ? result : server.projectCallToolResult(result, tool.tool.outputSchema);
  });
  return server;
}
