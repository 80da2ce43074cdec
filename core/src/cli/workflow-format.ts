/**
 * Human output of `shimmy workflow`: the step table (one line per step: status, attempts, time,
 * tokens, result) that the live view of `run` and `show` both draw, a run's header, output and
 * error, and the tables of `list` and `runs`. Pure functions of their inputs (the clock is a
 * parameter), so the exact text is unit-tested.
 */
import type { RunError } from "../state/workflow-runs-repo.js";
import type { StepStatus, StepView, Usage } from "../workflows/run-view.js";
import { formatDuration, formatElapsed } from "./format.js";
import { renderTable } from "./table.js";
import type { AttemptView, RunView, WorkflowSummary } from "./workflow-client.js";

/** One line of the step table. */
export interface StepRow {
  id: string;
  uses: string;
  /** `retrying`: an attempt failed and the next waits for its backoff (the live view knows it; the server's view says `running`). */
  status: StepStatus | "retrying";
  attempts: number;
  startedAt: number | null;
  finishedAt: number | null;
  /** The step's output, once it succeeded. */
  output?: unknown;
  error?: RunError | null;
  /** A `foreach`: items finished, of how many (null while the list is not known). */
  items?: { done: number; total: number | null };
  /** While `retrying`: the wait before the next attempt, in ms. */
  retryInMs?: number;
  usage?: Usage;
}

/** Widest result cell, so a line of the table stays readable; `show --json` has everything. */
const RESULT_WIDTH = 72;

const STEP_HEADERS = ["STEP", "USES", "STATUS", "ATTEMPTS", "TIME", "TOKENS", "RESULT"] as const;

/** A step of the server's view as a row. */
export function stepRowOf(step: StepView): StepRow {
  const items = step.items ? { done: step.items.filter((item) => item.status === "succeeded" || item.status === "skipped").length, total: step.status === "succeeded" ? step.items.length : null } : undefined;
  return {
    id: step.id, uses: step.uses, status: step.status, attempts: step.attempts, startedAt: step.started_at, finishedAt: step.finished_at,
    ...(step.status === "succeeded" ? { output: step.output } : {}), error: step.error, usage: step.usage, ...(items ? { items } : {}),
  };
}

/** The step table: one line per step, in the document's order. */
export function formatStepsTable(rows: readonly StepRow[], now: number): string {
  return renderTable(STEP_HEADERS, rows.map((row) => stepCells(row, now)));
}

/** The cells of one step's line. */
export function stepCells(row: StepRow, now: number): string[] {
  const time = row.startedAt === null ? "-" : formatSpan((row.finishedAt ?? now) - row.startedAt);
  const tokens = row.usage && row.usage.prompt_tokens + row.usage.completion_tokens > 0 ? `${row.usage.prompt_tokens}/${row.usage.completion_tokens}` : "-";
  return [row.id, row.uses, row.status, row.attempts === 0 ? "-" : String(row.attempts), time, tokens, resultCell(row)];
}

function resultCell(row: StepRow): string {
  switch (row.status) {
    case "succeeded":
      return clip(oneLine(resultOf(row.uses, row.output)), RESULT_WIDTH);
    case "failed":
      return row.error ? clip(errorText(row.error), RESULT_WIDTH) : "";
    case "retrying": {
      const wait = row.retryInMs === undefined ? "" : ` in ${formatSpan(row.retryInMs)}`;
      return clip(`retrying${wait}${row.error ? ` after ${errorText(row.error)}` : ""}`, RESULT_WIDTH);
    }
    case "running":
      if (!row.items) return "";
      return row.items.total === null ? `${plural(row.items.done, "item")} done` : `${row.items.done}/${row.items.total} items`;
    default:
      return "";
  }
}

/**
 * What a step's result cell shows of its output: an LLM step's answer (its JSON when it asked for
 * JSON, else its text) rather than the usage and finish reason around it, an embedding step's
 * size rather than its vectors; a `foreach` step's list, item by item.
 */
function resultOf(uses: string, output: unknown): unknown {
  if (Array.isArray(output) && (uses === "llm" || uses === "embed")) return output.map((item) => resultOf(uses, item));
  if (typeof output !== "object" || output === null) return output;
  if (uses === "llm" && "text" in output) return "json" in output ? output.json : output.text;
  if (uses === "embed" && "embeddings" in output && Array.isArray(output.embeddings)) {
    return `${plural(output.embeddings.length, "vector")} of ${String((output as { dimensions?: unknown }).dimensions)} dimensions`;
  }
  return output;
}

/** `1 item`, `3 items`. */
function plural(n: number, noun: string): string {
  return `${n} ${noun}${n === 1 ? "" : "s"}`;
}

/** A span of time: `350ms` and `4.2s` below a minute, then `4m 12s`. */
export function formatSpan(ms: number): string {
  return ms < 60_000 ? formatElapsed(Math.max(0, ms)) : formatDuration(ms);
}

/** `tool_failed: the plugin trapped`, with the item of a `foreach` when there is one. */
export function errorText(error: RunError): string {
  return `${error.index === undefined ? "" : `item ${error.index}: `}${error.code}: ${error.message}`;
}

/** A value on one line: text as it is, anything else as compact JSON. */
function oneLine(value: unknown): string {
  const text = typeof value === "string" ? value : JSON.stringify(value) ?? "null";
  return text.replace(/\s+/g, " ").trim();
}

function clip(text: string, width: number): string {
  return text.length > width ? `${text.slice(0, width - 1)}…` : text;
}

/** What a run returns, for stdout: text as it is, anything else as indented JSON. */
export function formatOutput(output: unknown): string {
  if (typeof output === "string") return output.endsWith("\n") ? output : `${output}\n`;
  return `${JSON.stringify(output, null, 2)}\n`;
}

/** `digest@2`, or `digest (inline)` for a document sent with the run. */
export function workflowLabel(run: RunView): string {
  return run.workflow.version === null ? `${run.workflow.name} (inline)` : `${run.workflow.name}@${run.workflow.version}`;
}

/** `succeeded in 3.2s`, `running for 12s`, `pending`. */
export function runState(run: RunView, now: number): string {
  if (run.started_at === null) return run.status;
  if (run.finished_at === null) return `${run.status} for ${formatSpan(now - run.started_at)}`;
  return `${run.status} in ${formatSpan(run.finished_at - run.started_at)}`;
}

/** Why a run did not succeed, for stderr: `run ID failed at step calc: tool_failed: …`. */
export function runFailure(run: RunView): string {
  if (run.status === "cancelled") return `run ${run.id} was cancelled`;
  if (!run.error) return `run ${run.id} ${run.status}`;
  const where = run.error.step === null ? "" : ` at step ${run.error.step}`;
  return `run ${run.id} ${run.status}${where}: ${errorText(run.error)}`;
}

/** `shimmy workflow show`: the run's header, its step table (and its attempts, when listed), then its output or error. */
export function formatRun(run: RunView, now: number): string {
  const usage = run.usage && run.usage.prompt_tokens + run.usage.completion_tokens > 0 ? `, tokens ${run.usage.prompt_tokens} prompt, ${run.usage.completion_tokens} completion` : "";
  const lines = [`Run ${run.id} of ${workflowLabel(run)}: ${runState(run, now)}`, `Created ${formatTime(run.created_at)}${usage}`, ""];
  let text = lines.join("\n") + "\n" + formatStepsTable((run.steps ?? []).map(stepRowOf), now);
  if (run.attempts) text += `\nAttempts:\n${formatAttempts(run.attempts, now)}`;
  if (run.status === "succeeded") text += `\nOutput:\n${formatOutput(run.output)}`;
  else if (run.status !== "running" && run.status !== "pending") text += `\n${capitalize(runFailure(run))}\n`;
  return text;
}

/** `shimmy workflow show --attempts`: every attempt of the run's journal, in the order they started. */
export function formatAttempts(attempts: readonly AttemptView[], now: number): string {
  return renderTable(
    ["STEP", "ITEM", "ATTEMPT", "STATUS", "STARTED", "TIME", "ERROR"],
    attempts.map((a) => [
      a.step, a.index === null ? "-" : String(a.index), String(a.attempt), a.status, formatTime(a.started_at),
      formatSpan((a.finished_at ?? now) - a.started_at), a.error ? clip(`${a.error.code}: ${a.error.message}`, RESULT_WIDTH) : "",
    ]),
  );
}

/** `shimmy workflow runs`: one line per run. */
export function formatRunsTable(runs: readonly RunView[], now: number): string {
  if (runs.length === 0) return "No workflow runs.\n";
  return renderTable(
    ["ID", "WORKFLOW", "STATUS", "CREATED", "TIME", "ERROR"],
    runs.map((run) => [
      run.id, workflowLabel(run), run.status, formatTime(run.created_at),
      run.started_at === null ? "-" : formatSpan((run.finished_at ?? now) - run.started_at),
      run.error ? clip(`${run.error.step === null ? "" : `${run.error.step}: `}${run.error.code}`, RESULT_WIDTH) : "",
    ]),
  );
}

/** `shimmy workflow list`: each saved workflow's latest version. */
export function formatWorkflowsTable(workflows: readonly WorkflowSummary[]): string {
  if (workflows.length === 0) return "No saved workflows.\n";
  return renderTable(
    ["NAME", "LATEST", "VERSIONS", "SAVED", "DESCRIPTION"],
    workflows.map((w) => [w.name, String(w.version), String(w.versions), formatTime(w.created_at), clip(oneLine(w.description ?? ""), RESULT_WIDTH)]),
  );
}

/** Milliseconds since the epoch as `2026-01-02 15:04:05 UTC`: the same on every machine. */
export function formatTime(ms: number): string {
  return new Date(ms).toISOString().slice(0, 19).replace("T", " ") + " UTC";
}

function capitalize(text: string): string {
  return text.charAt(0).toUpperCase() + text.slice(1);
}
