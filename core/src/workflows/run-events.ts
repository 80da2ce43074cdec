/**
 * What a run reports as it goes: `stream: true` sends each as a server-sent event, and the
 * executor's tests read them. Field names are the wire's (snake_case).
 */
import type { RunError, RunStatus } from "../state/workflow-runs-repo.js";

/** One event of a run. `index` is the `foreach` item, or null. */
export type RunEvent =
  | { type: "run.started"; run_id: string; resumed: boolean }
  | { type: "step.started"; run_id: string; step: string; index: number | null; attempt: number }
  /** An attempt's output (a `foreach` item's, with its index), then the whole step's (index null). */
  | { type: "step.output"; run_id: string; step: string; index: number | null; output: unknown }
  | { type: "step.skipped"; run_id: string; step: string }
  /** An attempt failed and another follows after `delay_ms`. */
  | { type: "step.retried"; run_id: string; step: string; index: number | null; attempt: number; error: RunError; delay_ms: number }
  /** The step's last attempt failed: the run fails. */
  | { type: "step.failed"; run_id: string; step: string; index: number | null; attempt: number; error: RunError }
  | { type: "run.finished"; run_id: string; status: Exclude<RunStatus, "pending" | "running">; output: unknown; error: RunError | null };
