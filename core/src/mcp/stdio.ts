/**
 * The plugins' tools over MCP's stdio transport, the one desktop clients launch: JSON-RPC frames
 * on stdin and stdout, nothing else on stdout. The SDK's `serveStdio` picks the client's protocol
 * era from its first message and keeps one server instance for the connection.
 */
import type { Server, Transport } from "@modelcontextprotocol/server";
import { serveStdio, type StdioServerHandle } from "@modelcontextprotocol/server/stdio";
import { createMcpServer } from "./mcp-server.js";
import type { McpToolSource } from "./plugin-tools.js";
import { watchToolList } from "./tool-list-watch.js";

/** Options of {@link serveMcpStdio}. */
export interface McpStdioOptions {
  source: McpToolSource;
  /** Out-of-band protocol errors; they never reach stdout. */
  onError(error: Error): void;
  /** Reads frames here instead of `process.stdin` (tests). */
  transport?: Transport;
}

/** A running stdio MCP server. */
export interface McpStdioServer {
  /** Stops watching the tools and closes the connection. */
  dispose(): Promise<void>;
}

/**
 * Serves `source`'s tools on stdio until {@link McpStdioServer.dispose}. A change in the tool list
 * is sent as `notifications/tools/list_changed` (a connection is long-lived, unlike HTTP's
 * per-request servers, so every era gets it here).
 */
export function serveMcpStdio(options: McpStdioOptions): McpStdioServer {
  // The factory also builds a probe instance the SDK discards when a 2025-era client does not
  // answer `server/discover`; notifying one that never connected fails harmlessly.
  const instances = new Set<Server>();
  const handle: StdioServerHandle = serveStdio(
    () => {
      const server = createMcpServer({ source: options.source });
      instances.add(server);
      server.onclose = () => instances.delete(server);
      return server;
    },
    { onerror: options.onError, ...(options.transport ? { transport: options.transport } : {}) },
  );
  const stopWatching = watchToolList({
    source: options.source,
    onChange: () => {
      for (const server of instances) void server.sendToolListChanged().catch(() => undefined);
    },
  });
  return {
    async dispose() {
      stopWatching();
      await handle.close();
    },
  };
}
