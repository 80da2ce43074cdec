/**
 * `/api/plugins` and `/api/tools/call`: the installed plugins as the running server has loaded
 * them, and calling their tools. Thin handlers over {@link InstalledPlugins}; installing, removing
 * and configuring is the CLI's (it writes the store; the server follows).
 */
import Router from "@koa/router";
import type { ShimmyState } from "../http/request-context.js";
import { MESSAGE_KEYWORD, checkBody, compileBodySchema } from "../http/validate-body.js";
import type { InstalledPlugins, ToolCallRequest } from "../plugins/installed-plugins.js";

const NAME_MESSAGE = "Missing required parameter: name (the tool's name)";

/** The body of `POST /api/tools/call`; `arguments` may be left out (or null) for a tool that takes none. */
const validateToolCall = compileBodySchema({
  type: "object",
  required: ["name"],
  additionalProperties: false,
  [MESSAGE_KEYWORD]: { required: NAME_MESSAGE },
  properties: {
    name: { type: "string", minLength: 1, [MESSAGE_KEYWORD]: { type: NAME_MESSAGE, minLength: NAME_MESSAGE } },
    plugin: { type: "string", minLength: 1, [MESSAGE_KEYWORD]: { type: "plugin must be a plugin's name", minLength: "plugin must be a plugin's name" } },
    arguments: { type: ["object", "null"], [MESSAGE_KEYWORD]: { type: "arguments must be a JSON object" } },
  },
});

/** Checks the body of `POST /api/tools/call`. */
function toolCallRequest(body: unknown): ToolCallRequest {
  const { name, plugin, arguments: args } = checkBody<{ name: string; plugin?: string; arguments?: Record<string, unknown> | null }>(validateToolCall, body);
  return { name, ...(plugin !== undefined ? { plugin } : {}), arguments: args ?? {} };
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
    ctx.body = { result: await plugins.callTool(request, { signal: ctx.state.abort.signal, requestId: ctx.state.requestId }) };
  });
  return router;
}
