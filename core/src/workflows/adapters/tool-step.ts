/**
 * `uses: tool`: one plugin tool, called as `/api/tools/call` calls it (`name`, optional `plugin`,
 * `arguments`), in the plugin's sandbox with its limits; aborting the step terminates the call. The
 * output is the tool's result.
 */
import { ShimmyError } from "../../errors.js";
import type { PluginToolSource } from "../../tools/plugin-tool-source.js";
import type { StepAdapter } from "../step-adapter.js";

/** The `tool` adapter over the installed plugins. */
export function toolStep(plugins: Pick<PluginToolSource, "callTool">): StepAdapter {
  return {
    async run(input, context) {
      const { name, plugin, arguments: args = {} } = input as { name: unknown; plugin?: unknown; arguments?: unknown };
      if (typeof name !== "string" || name === "") throw new ShimmyError("invalid_parameter", "with.name must be a tool's name", { param: "with.name" });
      if (plugin !== undefined && typeof plugin !== "string") throw new ShimmyError("invalid_parameter", "with.plugin must be a plugin's name", { param: "with.plugin" });
      if (typeof args !== "object" || args === null || Array.isArray(args)) throw new ShimmyError("invalid_parameter", "with.arguments must be a JSON object", { param: "with.arguments" });
      const output = await plugins.callTool(
        { name, ...(plugin === undefined ? {} : { plugin }), arguments: args as Record<string, unknown> },
        { signal: context.signal, requestId: context.requestId },
      );
      return { output };
    },
  };
}
