/**
 * The JSON a client sees of a run (`GET /api/workflow-runs/{id}`, a `wait: true` answer, the last
 * event of a stream): the run's own fields and, step by step, what its journal holds (status,
 * attempts, timings, tokens, output or error, and each `foreach` item). Pure: built from stored rows.
 * Times are milliseconds since the epoch.
 */
import type { AttemptStatus, RunError, StoredAttempt, StoredRun } from "../state/workflow-runs-repo.js";
import type { WorkflowDocument } from "./types.js";

/** Where a step (or one of its items) stands, as the client sees it. */
export type StepStatus = "pending" | "running" | "succeeded" | "failed" | "skipped" | "cancelled" | "interrupted";

/** Token counts. */
export interface Usage {
  prompt_tokens: number;
  completion_tokens: number;
}

/** One unit of work (a step, or an item of its `foreach`) as its attempts left it. */
export interface UnitView {
  status: StepStatus;
  /** Attempts made, the interrupted ones (the server stopped during them) included. */
  attempts: number;
  started_at: number | null;
  finished_at: number | null;
  output: unknown;
  error: RunError | null;
  usage: Usage;
}

/** One step of a run. */
export interface StepView extends UnitView {
  id: string;
  uses: string;
  /** Each item of a `foreach`, by index, as far as the run got. */
  items?: (UnitView & { index: number })[];
  /** The plugin's `idempotentHint` for a `tool` step, when it declares one: whether running it twice (at-least-once, after a restart) is harmless. */
  idempotent?: boolean;
}

/** A run as a client sees it. */
export interface RunView {
  id: string;
  object: "workflow.run";
  workflow: { name: string; version: number | null };
  status: StoredRun["status"];
  input: unknown;
  output: unknown;
  error: RunError | null;
  idempotency_key: string | null;
  parent_run_id: string | null;
  created_at: number;
  started_at: number | null;
  finished_at: number | null;
  /** Tokens of every attempt (not in lists). */
  usage?: Usage;
  steps?: StepView[];
  /** Every attempt of the journal, in the order they started (`?include=attempts`). */
  attempts?: AttemptView[];
}

/** One attempt of the journal. */
export interface AttemptView {
  step: string;
  index: number | null;
  attempt: number;
  status: AttemptStatus;
  started_at: number;
  finished_at: number | null;
  error: RunError | null;
  usage: Usage;
}

/** Options of {@link runView}. */
export interface RunViewOptions {
  /** The tool `idempotentHint`s known, by tool name (`plugin/tool` and the bare name). */
  idempotentHint?: (name: string, plugin?: string) => boolean | undefined;
  /** Whether to list every attempt of the journal. @default false */
  attempts?: boolean;
}

/** The run with its steps, from its row and its journal. */
export function runView(run: StoredRun, attempts: readonly StoredAttempt[], options: RunViewOptions = {}): RunView {
  const document = run.document as unknown as WorkflowDocument;
  const byStep = new Map<string, StoredAttempt[]>();
  for (const attempt of attempts) {
    const list = byStep.get(attempt.stepId) ?? [];
    list.push(attempt);
    byStep.set(attempt.stepId, list);
  }
  const steps = (document.steps ?? []).map((step) => stepView(step.id, step.uses, step.foreach !== undefined, byStep.get(step.id) ?? [], run, toolHint(step, options)));
  return { ...runSummary(run), usage: sumUsage(steps), steps, ...(options.attempts ? { attempts: attempts.map(attemptView) } : {}) };
}

function attemptView(attempt: StoredAttempt): AttemptView {
  return {
    step: attempt.stepId, index: attempt.index, attempt: attempt.attempt, status: attempt.status, started_at: attempt.startedAt, finished_at: attempt.finishedAt,
    error: attempt.error, usage: { prompt_tokens: attempt.promptTokens ?? 0, completion_tokens: attempt.completionTokens ?? 0 },
  };
}

/** The run without its steps, as lists show it. */
export function runSummary(run: StoredRun): RunView {
  return {
    id: run.id,
    object: "workflow.run",
    workflow: { name: run.workflowName, version: run.workflowVersion },
    status: run.status,
    input: run.input,
    output: run.output,
    error: run.error,
    idempotency_key: run.idempotencyKey,
    parent_run_id: run.parentRunId,
    created_at: run.createdAt,
    started_at: run.startedAt,
    finished_at: run.finishedAt,
  };
}

function stepView(id: string, uses: string, foreach: boolean, attempts: StoredAttempt[], run: StoredRun, idempotent: boolean | undefined): StepView {
  const hint = idempotent === undefined ? {} : { idempotent };
  if (!foreach || attempts.some((a) => a.status === "skipped")) return { id, uses, ...unitView(attempts, run), ...hint };
  const byIndex = new Map<number, StoredAttempt[]>();
  for (const attempt of attempts) byIndex.set(attempt.index ?? 0, [...(byIndex.get(attempt.index ?? 0) ?? []), attempt]);
  const items = [...byIndex.entries()].sort(([a], [b]) => a - b).map(([index, list]) => ({ index, ...unitView(list, run) }));
  const whole = unitView(attempts, run);
  const open = run.status === "running" || run.status === "pending";
  const stopped = items.find((item) => item.status === "cancelled" || item.status === "interrupted");
  let status: StepStatus;
  if (run.error?.step === id) status = "failed";
  else if (items.some((item) => item.status === "running")) status = "running";
  else if (run.status === "succeeded") status = "succeeded";
  else if (stopped) status = stopped.status;
  else if (open) status = items.length > 0 ? "running" : "pending";
  // The run ended for another step's sake: items that all succeeded are taken for the whole list.
  else status = items.length > 0 && items.every((item) => item.status === "succeeded") ? "succeeded" : "pending";
  return {
    id, uses, ...whole, status,
    output: status === "succeeded" ? items.map((item) => item.output) : null,
    items,
    ...hint,
  };
}

/** One unit from its attempts: the last attempt's status; counts and sums over all of them. */
function unitView(attempts: StoredAttempt[], run: StoredRun): UnitView {
  const last = attempts.at(-1);
  const usage = { prompt_tokens: 0, completion_tokens: 0 };
  for (const attempt of attempts) {
    usage.prompt_tokens += attempt.promptTokens ?? 0;
    usage.completion_tokens += attempt.completionTokens ?? 0;
  }
  const failed = [...attempts].reverse().find((a) => a.status === "failed");
  return {
    status: last ? unitStatus(last.status, run) : "pending",
    attempts: attempts.filter((a) => a.status !== "skipped").length,
    started_at: attempts[0]?.startedAt ?? null,
    finished_at: last && last.status !== "running" ? last.finishedAt : null,
    output: last?.status === "succeeded" ? last.output : null,
    error: last?.status === "succeeded" ? null : (failed?.error ?? null),
    usage,
  };
}

/** An interrupted attempt of a run still running is one about to run again. */
function unitStatus(status: AttemptStatus, run: StoredRun): StepStatus {
  if (status === "interrupted") return run.status === "running" || run.status === "pending" ? "running" : "interrupted";
  return status;
}

function sumUsage(steps: StepView[]): Usage {
  return steps.reduce((sum, step) => ({ prompt_tokens: sum.prompt_tokens + step.usage.prompt_tokens, completion_tokens: sum.completion_tokens + step.usage.completion_tokens }), { prompt_tokens: 0, completion_tokens: 0 });
}

function toolHint(step: WorkflowDocument["steps"][number], options: RunViewOptions): boolean | undefined {
  if (step.uses !== "tool" || !options.idempotentHint) return undefined;
  const { name, plugin } = (step.with ?? {}) as { name?: unknown; plugin?: unknown };
  if (typeof name !== "string" || name.includes("${{")) return undefined;
  return options.idempotentHint(name, typeof plugin === "string" ? plugin : undefined);
}
