/**
 * The HTTP face of a failed plugin call: each {@link PluginCallError} code becomes the catalog
 * error a client of `/api/tools/call` (or a chat request's tool loop, or a workflow's `step`) sees,
 * with its status.
 */
import { ShimmyError, type ErrorCode } from "../errors.js";
import { PluginCallError } from "./plugin-call-error.js";

/** The catalog codes and the request field of one kind of capability. */
interface KindCodes {
  /** The request field that carried the input. */
  param: string;
  notFound: ErrorCode;
  timeout: ErrorCode;
  failed: ErrorCode;
}

const TOOL: KindCodes = { param: "arguments", notFound: "tool_not_found", timeout: "tool_timeout", failed: "tool_failed" };
const STEP: KindCodes = { param: "input", notFound: "step_not_found", timeout: "step_timeout", failed: "step_failed" };
const EMBEDDER: KindCodes = { param: "input", notFound: "model_not_found", timeout: "embedder_timeout", failed: "embedder_failed" };

/**
 * The {@link ShimmyError} for a failure of `plugin`'s `tool`; anything but a {@link PluginCallError}
 * is returned as it is (the error middleware hides it as a 500).
 *
 * @example
 * try { return await host.callTool(tool, args); } catch (error) { throw toolCallError(error, plugin, tool); }
 */
export function toolCallError(error: unknown, plugin: string, tool: string): unknown {
  return callError(error, plugin, tool, TOOL);
}

/**
 * The {@link ShimmyError} for a failure of `plugin`'s workflow step `step`: as {@link toolCallError},
 * with the step codes (`step_not_found`, `step_timeout`, `step_failed`) and `param` "input".
 *
 * @example
 * try { return await host.callStep(step, input); } catch (error) { throw stepCallError(error, plugin, step); }
 */
export function stepCallError(error: unknown, plugin: string, step: string): unknown {
  return callError(error, plugin, step, STEP);
}

/**
 * The {@link ShimmyError} for a failure of `plugin`'s embedder `embedder` (a `/v1/embeddings` model
 * `PLUGIN/EMBEDDER`): as {@link toolCallError}, with `model_not_found`, `embedder_timeout`,
 * `embedder_failed` (a wrong vector count or length, a non-finite number, a trap…), param "input",
 * and `plugin_unavailable` for an embedder whose size setting is not set.
 *
 * @example
 * try { return await host.callEmbedder(name, texts); } catch (error) { throw embedderCallError(error, plugin, name); }
 */
export function embedderCallError(error: unknown, plugin: string, embedder: string): unknown {
  return callError(error, plugin, embedder, EMBEDDER);
}

function callError(error: unknown, plugin: string, name: string, codes: KindCodes): unknown {
  if (!(error instanceof PluginCallError)) return error;
  switch (error.code) {
    case "invalid_input":
    case "payload_too_large":
      return new ShimmyError("invalid_parameter", error.message, { param: codes.param, cause: error });
    case "unknown_tool":
    case "unknown_step":
    case "unknown_embedder":
      return new ShimmyError(codes.notFound, error.message, { cause: error });
    case "timeout":
      return new ShimmyError(codes.timeout, `${plugin} ${name}: ${error.message}`, { cause: error });
    case "closed":
      return new ShimmyError("plugin_unavailable", `${plugin} was reloaded or removed during the call; call it again`, { cause: error });
    case "busy":
      return new ShimmyError("plugin_busy", `${plugin} ${name}: ${error.message}`, { headers: { "Retry-After": "1" }, cause: error });
    case "not_configured":
      return new ShimmyError("plugin_unavailable", error.message, { cause: error });
    case "start_failed":
      return new ShimmyError("plugin_unavailable", `${plugin} could not start an instance for ${name}: ${error.message}`, { cause: error });
    default:
      return new ShimmyError(codes.failed, error.message.startsWith(plugin) ? error.message : `${plugin} ${name}: ${error.message}`, { cause: error });
  }
}
