/**
 * `uses: workflow`: a saved workflow (`name`, optional `version`, `input`) run as a child run, with
 * its own journal; after a restart the re-run step joins the child its first attempt started rather
 * than starting another. Nesting is bounded. The output is the child run's output.
 */
import { ShimmyError } from "../../errors.js";
import type { StepAdapter } from "../step-adapter.js";
import type { ChildRunRequest } from "../workflow-runs.js";

/** The `workflow` adapter: `runChild` is `WorkflowRuns.runChild`. */
export function workflowStep(runChild: (request: ChildRunRequest) => Promise<unknown>): StepAdapter {
  return {
    async run(input, context) {
      const { name, version, input: childInput = {} } = input as { name: unknown; version?: unknown; input?: unknown };
      if (typeof name !== "string" || name === "") throw new ShimmyError("invalid_parameter", "with.name must be a saved workflow's name", { param: "with.name" });
      if (version !== undefined && !(Number.isInteger(version) && (version as number) >= 1)) {
        throw new ShimmyError("invalid_parameter", "with.version must be a version number (1, 2, …)", { param: "with.version" });
      }
      const output = await runChild({
        name, ...(version === undefined ? {} : { version: version as number }), input: childInput,
        parentRunId: context.runId, stepId: context.stepId, index: context.index, depth: context.depth, signal: context.signal,
      });
      return { output };
    },
  };
}
