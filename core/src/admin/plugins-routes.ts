/**
 * `/api/plugins` and `/api/tools/call`: the installed plugins as the running server has loaded
 * them, and calling their tools. Thin handlers over {@link InstalledPlugins}; installing, removing
 * and configuring is the CLI's (it writes the store; the server follows).
 */
import Router from "@koa/router";
import { ShimmyError } from "../errors.js";
import type { ShimmyState } from "../http/request-context.js";
import type { InstalledPlugins, ToolCallRequest } from "../plugins/installed-plugins.js";

/** Checks the body of `POST /api/tools/call`. */
function toolCallRequest(body: unknown): ToolCallRequest {
  if (body === null || typeof body !== "object" || Array.isArray(body)) {
    throw new ShimmyError("invalid_parameter", 'The body must be a JSON object: {"name": TOOL, "plugin"?: NAME, "arguments": {...}}');
  }
  const { name, plugin, arguments: args, ...rest } = body as Record<string, unknown>;
  const unknown = Object.keys(rest);
  if (unknown.length > 0) throw new ShimmyError("invalid_parameter", `Unknown parameter: ${unknown[0]}`, { param: unknown[0] ?? null });
  if (typeof name !== "string" || name === "") throw new ShimmyError("invalid_parameter", "Missing required parameter: name (the tool's name)", { param: "name" });
  if (plugin !== undefined && (typeof plugin !== "string" || plugin === "")) throw new ShimmyError("invalid_parameter", "plugin must be a plugin's name", { param: "plugin" });
  const given = args ?? {};
  if (given === null || typeof given !== "object" || Array.isArray(given)) {
    throw new ShimmyError("invalid_parameter", "arguments must be a JSON object", { param: "arguments" });
  }
  return { name, ...(plugin !== undefined ? { plugin: plugin as string } : {}), arguments: given as Record<string, unknown> };
}

/** The routes over the installed plugins. */
export function adminPluginsRouter(plugins: InstalledPlugins): Router<ShimmyState> {
  const router = new Router<ShimmyState>({ prefix: "/api" });
  router.get("/plugins", (ctx) => {
    const applied = plugins.applied();
    // `generation` and `store_id` let `shimmy plugin` wait until this server has applied its change.
    ctx.body = { object: "list", data: plugins.list(), generation: applied.generation, store_id: applied.storeId };
  });
  router.post("/tools/call", async (ctx) => {
    const request = toolCallRequest(ctx.state.body);
    ctx.state.log.tool = request.plugin ? `${request.plugin}/${request.name}` : request.name;
    ctx.body = { result: await plugins.callTool(request, ctx.state.abort.signal) };
  });
  return router;
}
