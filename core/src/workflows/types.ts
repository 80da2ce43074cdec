/**
 * The workflow document as its JSON Schema (`workflow-schema.ts`) admits it: what a client saves
 * with `POST /api/workflows` or sends inline with `POST /api/workflow-runs`. Values anywhere under
 * `with`, `if`, `foreach` and `output` may hold `${{ … }}` expressions (`expression.ts`).
 */

/** What a step runs. */
export type StepKind = "llm" | "tool" | "step" | "embed" | "workflow";

/** Every {@link StepKind}, in the order the docs list them. */
export const STEP_KINDS: readonly StepKind[] = ["llm", "tool", "step", "embed", "workflow"];

/** How a failed step is tried again: `limit` more attempts, waiting `backoff` ms, doubled each time. */
export interface RetryPolicy {
  /** Attempts after the first. @default 0 */
  limit?: number;
  /** Wait before the first retry, in ms; each later wait doubles. @default 1000 */
  backoff?: number;
}

/** One step of a workflow. */
export interface WorkflowStep {
  /** Unique in the document; expressions read its result as `steps.ID.output`. */
  id: string;
  uses: StepKind;
  description?: string;
  /** The step's arguments, as its kind takes them; expressions allowed anywhere. */
  with?: Record<string, unknown>;
  /** Steps it waits for besides those its expressions reference. */
  needs?: string[];
  /** Run only when this is truthy; a skipped step's output is null. */
  if?: string | boolean;
  retry?: RetryPolicy;
  /** One attempt's longest run, in ms (each item's, with `foreach`). */
  timeoutMs?: number;
  /** Run once per item of this list (`item` and `index` in expressions); the output is the list of results. */
  foreach?: string | unknown[];
  /** Items of a `foreach` run at once. @default as many as the run's `concurrency` allows */
  concurrency?: number;
}

/** A workflow document. */
export interface WorkflowDocument {
  $schema?: string;
  name: string;
  /** Set by the document or, when absent, by the server on save (the next number). */
  version?: number;
  description?: string;
  /** A JSON Schema the run's input must match. @default anything */
  input?: Record<string, unknown> | boolean;
  /** What the run returns; expressions allowed anywhere. @default every step's output, by id */
  output?: unknown;
  /** Steps of one run running at once. @default DEFAULT_RUN_CONCURRENCY */
  concurrency?: number;
  /** The run's longest run, in ms, counted from when this server (re)started it. */
  timeoutMs?: number;
  steps: WorkflowStep[];
}
