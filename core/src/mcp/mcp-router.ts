/**
 * `/mcp`: the plugins' tools over MCP's Streamable HTTP transport. It sits behind the same
 * middleware as every route (Host check, Origin check, API key, JSON body), so a foreign page gets
 * its 403 before the SDK sees anything.
 *
 * Stateless: the SDK's `createMcpHandler` makes a fresh server per request, for 2026-07-28 clients
 * and, through its stateless fallback, for 2025-era ones (Claude Desktop, Cursor, VS Code). Tools
 * hold no per-client state, so sessions would only add memory to expire and a session id to
 * guess; the cost is that a 2025-era client gets no `notifications/tools/list_changed` (it has no
 * stream to receive it on) and sees a change on its next `tools/list`. 2026-era clients get it on
 * their `subscriptions/listen` stream.
 */
import { AsyncLocalStorage } from "node:async_hooks";
import Router from "@koa/router";
import { toNodeHandler } from "@modelcontextprotocol/node";
import { createMcpHandler } from "@modelcontextprotocol/server";
import type { Logger } from "../logger.js";
import type { ShimmyState } from "../http/request-context.js";
import { createMcpServer } from "./mcp-server.js";
import type { McpToolSource } from "./plugin-tools.js";
import { watchToolList } from "./tool-list-watch.js";

/** Options of {@link mcpRouter}. */
export interface McpRouterOptions {
  plugins: McpToolSource;
  logger: Logger;
}

/** The tool a JSON-RPC `tools/call` body names, for the request's log line. */
function calledTool(body: unknown): string | undefined {
  const message = body as { method?: unknown; params?: { name?: unknown } } | null;
  return message?.method === "tools/call" && typeof message.params?.name === "string" ? message.params.name : undefined;
}

/** The `/mcp` router, and what ends its open subscription streams at shutdown. */
export interface McpRoutes {
  router: Router<ShimmyState>;
  /** Stops the tool-list watch and ends every open stream, so a shutdown need not wait them out. */
  dispose(): Promise<void>;
}

/** The router serving MCP at `/mcp` (POST; GET and DELETE are answered 405 by the SDK). */
export function mcpRouter(options: McpRouterOptions): McpRoutes {
  // The SDK calls the server factory deep inside its own promise chain; the request's id reaches
  // the tool call (and its audit line) through the async context instead of a parameter.
  const requestIds = new AsyncLocalStorage<string>();
  const handler = createMcpHandler(() => createMcpServer({ source: options.plugins, requestId: () => requestIds.getStore() }), {
    onerror: (err) => options.logger.warn({ err, event: "mcp_error" }, `MCP: ${err.message}`),
  });
  const stopWatching = watchToolList({ source: options.plugins, onChange: () => handler.notify.toolsChanged() });
  const serve = toNodeHandler(handler, { onerror: (err) => options.logger.error({ err, event: "mcp_error" }, "MCP handler failed") });

  const router = new Router<ShimmyState>();
  router.all("/mcp", async (ctx) => {
    const tool = calledTool(ctx.state.body);
    if (tool) ctx.state.log.tool = tool;
    // The SDK writes the response itself (JSON or SSE); headers set so far (request id, CORS) stay.
    ctx.respond = false;
    // jsonBody has read the stream already: the parsed body is handed over instead.
    await requestIds.run(ctx.state.requestId, () => serve(ctx.req, ctx.res, ctx.state.body));
  });
  return {
    router,
    dispose: () => {
      stopWatching();
      return handler.close();
    },
  };
}
