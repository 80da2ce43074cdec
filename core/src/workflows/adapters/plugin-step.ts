/**
 * `uses: step`: a plugin capability of kind `step` (`name`, optional `plugin`, `input`), called in
 * the plugin's sandbox with its `input` and `output` schemas checked by the host; aborting the step
 * terminates the call. The output is the step's result.
 */
import { ShimmyError } from "../../errors.js";
import type { StepAdapter } from "../step-adapter.js";

/** What the `step` adapter needs of the installed plugins (`InstalledPlugins` has it). */
export interface PluginStepSource {
  /** @throws ShimmyError `step_not_found`, `plugin_not_found`, `ambiguous_step`, `invalid_parameter`, `step_failed`, `step_timeout`, … */
  callStep(request: { name: string; plugin?: string; input: unknown }, options?: { signal?: AbortSignal; requestId?: string }): Promise<unknown>;
}

/** The `step` adapter over the installed plugins. */
export function pluginStep(plugins: PluginStepSource): StepAdapter {
  return {
    async run(input, context) {
      const { name, plugin, input: stepInput = null } = input as { name: unknown; plugin?: unknown; input?: unknown };
      if (typeof name !== "string" || name === "") throw new ShimmyError("invalid_parameter", "with.name must be a workflow step's name", { param: "with.name" });
      if (plugin !== undefined && typeof plugin !== "string") throw new ShimmyError("invalid_parameter", "with.plugin must be a plugin's name", { param: "with.plugin" });
      const output = await plugins.callStep({ name, ...(plugin === undefined ? {} : { plugin }), input: stepInput }, { signal: context.signal, requestId: context.requestId });
      return { output };
    },
  };
}
