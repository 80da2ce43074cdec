/**
 * The HTTP face of a failed plugin call: each {@link PluginCallError} code becomes the catalog
 * error a client of `/api/tools/call` (or a chat request's tool loop) sees, with its status.
 */
import { ShimmyError } from "../errors.js";
import { PluginCallError } from "./plugin-call-error.js";

/**
 * The {@link ShimmyError} for a failure of `plugin`'s `tool`; anything but a {@link PluginCallError}
 * is returned as it is (the error middleware hides it as a 500).
 *
 * @example
 * try { return await host.callTool(tool, args); } catch (error) { throw toolCallError(error, plugin, tool); }
 */
export function toolCallError(error: unknown, plugin: string, tool: string): unknown {
  if (!(error instanceof PluginCallError)) return error;
  switch (error.code) {
    case "invalid_input":
    case "payload_too_large":
      return new ShimmyError("invalid_parameter", error.message, { param: "arguments", cause: error });
    case "unknown_tool":
      return new ShimmyError("tool_not_found", error.message, { cause: error });
    case "timeout":
      return new ShimmyError("tool_timeout", `${plugin} ${tool}: ${error.message}`, { cause: error });
    case "closed":
      return new ShimmyError("plugin_unavailable", `${plugin} was reloaded or removed during the call; call it again`, { cause: error });
    case "busy":
      return new ShimmyError("plugin_busy", `${plugin} ${tool}: ${error.message}`, { headers: { "Retry-After": "1" }, cause: error });
    case "start_failed":
      return new ShimmyError("plugin_unavailable", `${plugin} could not start an instance for ${tool}: ${error.message}`, { cause: error });
    default:
      return new ShimmyError("tool_failed", error.message.startsWith(plugin) ? error.message : `${plugin} ${tool}: ${error.message}`, { cause: error });
  }
}
