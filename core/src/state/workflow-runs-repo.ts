/**
 * The journal of workflow runs: each run (its document, input, status, output or error) and every
 * step attempt (input, output or error, timings, tokens), written as they happen so a run can be
 * resumed after the process dies. A step's output is checkpointed by the one statement that ends
 * its attempt. Plain portable SQL, as in `responses-repo.ts`.
 */
import type { Database, Statement } from "better-sqlite3";
import { pageClause, toPage, type Awaitable, type Page, type PageQuery } from "./page.js";

/** Where a run stands. */
export type RunStatus = "pending" | "running" | "succeeded" | "failed" | "cancelled";

/** Where one attempt stands; `interrupted`: the server stopped (or died) during it, and it runs again. */
export type AttemptStatus = "running" | "succeeded" | "failed" | "interrupted" | "cancelled" | "skipped";

/** Why a run or an attempt failed. */
export interface RunError {
  /** The step that failed; null for the run itself (its timeout, its output expression). */
  step: string | null;
  /** The `foreach` item, when the step has one. */
  index?: number;
  code: string;
  message: string;
}

/** A run to create. */
export interface NewRun {
  id: string;
  /** The saved workflow's name, or the inline document's. */
  workflowName: string;
  /** The saved version; null for an inline document. */
  workflowVersion: number | null;
  document: Record<string, unknown>;
  input: unknown;
  idempotencyKey: string | null;
  /** A digest of what the run was asked for, to tell a reused idempotency key from a repeated request. */
  requestHash: string | null;
  parentRunId: string | null;
  /** 0 for a run a client started; a `workflow` step's run is its parent's depth + 1. */
  depth: number;
  /** Milliseconds since the epoch. */
  createdAt: number;
}

/** A run as stored. */
export interface StoredRun extends NewRun {
  status: RunStatus;
  output: unknown;
  error: RunError | null;
  startedAt: number | null;
  finishedAt: number | null;
}

/** Which attempt: a step, its `foreach` item (null without one), its number from 1. */
export interface AttemptKey {
  runId: string;
  stepId: string;
  index: number | null;
  attempt: number;
}

/** One attempt as stored. */
export interface StoredAttempt extends AttemptKey {
  status: AttemptStatus;
  input: unknown;
  output: unknown;
  error: RunError | null;
  startedAt: number;
  finishedAt: number | null;
  promptTokens: number | null;
  completionTokens: number | null;
}

/** How an attempt ended. */
export interface AttemptEnd {
  status: Exclude<AttemptStatus, "running">;
  output?: unknown;
  error?: RunError | null;
  finishedAt: number;
  promptTokens?: number | null;
  completionTokens?: number | null;
}

/** Which runs a list shows. */
export interface RunFilter {
  workflow?: string;
  status?: RunStatus;
}

/** What the workflow executor and routes need of a database; SQLite's is {@link SqliteWorkflowRunStore}. */
export interface WorkflowRunStore {
  /**
   * Creates a run as `pending`. When its idempotency key is taken, creates nothing and returns that
   * key's run with `created: false`.
   */
  create(run: NewRun): Awaitable<{ run: StoredRun; created: boolean }>;
  get(id: string): Awaitable<StoredRun | null>;
  /** The run an idempotency key created, or null. */
  byIdempotencyKey(key: string): Awaitable<StoredRun | null>;
  /** A page of runs, newest first unless `order` says; null when `after`/`before` names no run. */
  list(filter: RunFilter, query: PageQuery): Awaitable<Page<StoredRun> | null>;
  /** Marks a run `running`, keeping its first start time. */
  markRunning(id: string, startedAt: number): Awaitable<void>;
  /** Ends a run that has not ended; false when it already had. */
  finish(id: string, end: { status: Exclude<RunStatus, "pending" | "running">; output?: unknown; error?: RunError | null; finishedAt: number }): Awaitable<boolean>;
  /** Runs a previous process left `pending` or `running`, oldest first. */
  unfinished(): Awaitable<StoredRun[]>;
  /** Every attempt of a run, in the order they started. */
  attempts(runId: string): Awaitable<StoredAttempt[]>;
  /** Journals an attempt as `running` before it starts. */
  startAttempt(key: AttemptKey, input: unknown, startedAt: number): Awaitable<void>;
  /** Ends an attempt (its output checkpointed with it). */
  finishAttempt(key: AttemptKey, end: AttemptEnd): Awaitable<void>;
  /** Marks a run's `running` attempts `interrupted` (before it resumes); returns how many. */
  interruptAttempts(runId: string, finishedAt: number): Awaitable<number>;
}

interface RunRow {
  id: string;
  position: number;
  workflow_name: string;
  workflow_version: number | null;
  document: string;
  input: string;
  status: RunStatus;
  output: string | null;
  error: string | null;
  idempotency_key: string | null;
  request_hash: string | null;
  parent_run_id: string | null;
  depth: number;
  created_at: number;
  started_at: number | null;
  finished_at: number | null;
}

interface AttemptRow {
  run_id: string;
  step_id: string;
  item_index: number;
  attempt: number;
  status: AttemptStatus;
  input: string | null;
  output: string | null;
  error: string | null;
  started_at: number;
  finished_at: number | null;
  prompt_tokens: number | null;
  completion_tokens: number | null;
}

/** Stored for an attempt of a step without `foreach` (SQL keys cannot hold null portably). */
const NO_ITEM = -1;

const json = (value: unknown): string => JSON.stringify(value === undefined ? null : value);
const parse = (text: string | null): unknown => (text === null ? null : JSON.parse(text));

function toRun(row: RunRow): StoredRun {
  return {
    id: row.id, workflowName: row.workflow_name, workflowVersion: row.workflow_version, document: JSON.parse(row.document) as Record<string, unknown>,
    input: parse(row.input), idempotencyKey: row.idempotency_key, requestHash: row.request_hash, parentRunId: row.parent_run_id, depth: row.depth,
    createdAt: row.created_at, status: row.status, output: parse(row.output), error: parse(row.error) as RunError | null,
    startedAt: row.started_at, finishedAt: row.finished_at,
  };
}

function toAttempt(row: AttemptRow): StoredAttempt {
  return {
    runId: row.run_id, stepId: row.step_id, index: row.item_index === NO_ITEM ? null : row.item_index, attempt: row.attempt, status: row.status,
    input: parse(row.input), output: parse(row.output), error: parse(row.error) as RunError | null, startedAt: row.started_at, finishedAt: row.finished_at,
    promptTokens: row.prompt_tokens, completionTokens: row.completion_tokens,
  };
}

/** {@link WorkflowRunStore} on the state database. */
export class SqliteWorkflowRunStore implements WorkflowRunStore {
  private readonly insertRun: Statement;
  private readonly getRun: Statement;
  private readonly byKey: Statement;
  private readonly nextPosition: Statement;
  private readonly insertAttempt: Statement;
  private readonly endAttempt: Statement;

  constructor(private readonly db: Database) {
    this.insertRun = db.prepare(
      `INSERT INTO workflow_runs (id, position, workflow_name, workflow_version, document, input, status, idempotency_key, request_hash, parent_run_id, depth, created_at)
       VALUES (?, ?, ?, ?, ?, ?, 'pending', ?, ?, ?, ?, ?)`,
    );
    this.getRun = db.prepare("SELECT * FROM workflow_runs WHERE id = ?");
    this.byKey = db.prepare("SELECT * FROM workflow_runs WHERE idempotency_key = ?");
    this.nextPosition = db.prepare("SELECT COALESCE(MAX(position), 0) + 1 AS next FROM workflow_runs");
    this.insertAttempt = db.prepare(
      "INSERT INTO step_attempts (run_id, step_id, item_index, attempt, status, input, started_at) VALUES (?, ?, ?, ?, 'running', ?, ?)",
    );
    this.endAttempt = db.prepare(
      `UPDATE step_attempts SET status = ?, output = ?, error = ?, finished_at = ?, prompt_tokens = ?, completion_tokens = ?
       WHERE run_id = ? AND step_id = ? AND item_index = ? AND attempt = ?`,
    );
  }

  create(run: NewRun): { run: StoredRun; created: boolean } {
    return this.db.transaction(() => {
      if (run.idempotencyKey !== null) {
        const existing = this.byKey.get(run.idempotencyKey) as RunRow | undefined;
        if (existing) return { run: toRun(existing), created: false };
      }
      const { next } = this.nextPosition.get() as { next: number };
      this.insertRun.run(
        run.id, next, run.workflowName, run.workflowVersion, JSON.stringify(run.document), json(run.input), run.idempotencyKey, run.requestHash,
        run.parentRunId, run.depth, run.createdAt,
      );
      return { run: toRun(this.getRun.get(run.id) as RunRow), created: true };
    }).immediate();
  }

  get(id: string): StoredRun | null {
    const row = this.getRun.get(id) as RunRow | undefined;
    return row ? toRun(row) : null;
  }

  byIdempotencyKey(key: string): StoredRun | null {
    const row = this.byKey.get(key) as RunRow | undefined;
    return row ? toRun(row) : null;
  }

  list(filter: RunFilter, query: PageQuery): Page<StoredRun> | null {
    const position = (id: string | undefined): number | undefined | null => {
      if (id === undefined) return undefined;
      return (this.db.prepare("SELECT position FROM workflow_runs WHERE id = ?").get(id) as { position: number } | undefined)?.position ?? null;
    };
    const after = position(query.after);
    const before = position(query.before);
    if (after === null || before === null) return null;
    const conditions: string[] = [];
    const params: (string | number)[] = [];
    if (filter.workflow !== undefined) {
      conditions.push("workflow_name = ?");
      params.push(filter.workflow);
    }
    if (filter.status !== undefined) {
      conditions.push("status = ?");
      params.push(filter.status);
    }
    const tail = pageClause(query, after, before);
    const where = conditions.length > 0 ? conditions.join(" AND ") : "1 = 1";
    const rows = this.db.prepare(`SELECT * FROM workflow_runs WHERE ${where}${tail.sql}`).all(...params, ...tail.params) as RunRow[];
    return toPage(rows.map(toRun), query.limit);
  }

  markRunning(id: string, startedAt: number): void {
    this.db.prepare("UPDATE workflow_runs SET status = 'running', started_at = COALESCE(started_at, ?) WHERE id = ?").run(startedAt, id);
  }

  finish(id: string, end: { status: Exclude<RunStatus, "pending" | "running">; output?: unknown; error?: RunError | null; finishedAt: number }): boolean {
    const result = this.db
      .prepare("UPDATE workflow_runs SET status = ?, output = ?, error = ?, finished_at = ? WHERE id = ? AND status IN ('pending', 'running')")
      .run(end.status, json(end.output), end.error ? JSON.stringify(end.error) : null, end.finishedAt, id);
    return result.changes > 0;
  }

  unfinished(): StoredRun[] {
    return (this.db.prepare("SELECT * FROM workflow_runs WHERE status IN ('pending', 'running') ORDER BY position").all() as RunRow[]).map(toRun);
  }

  attempts(runId: string): StoredAttempt[] {
    const rows = this.db.prepare("SELECT * FROM step_attempts WHERE run_id = ? ORDER BY started_at, step_id, item_index, attempt").all(runId) as AttemptRow[];
    return rows.map(toAttempt);
  }

  startAttempt(key: AttemptKey, input: unknown, startedAt: number): void {
    this.insertAttempt.run(key.runId, key.stepId, key.index ?? NO_ITEM, key.attempt, json(input), startedAt);
  }

  finishAttempt(key: AttemptKey, end: AttemptEnd): void {
    this.endAttempt.run(
      end.status, end.output === undefined ? null : json(end.output), end.error ? JSON.stringify(end.error) : null, end.finishedAt,
      end.promptTokens ?? null, end.completionTokens ?? null, key.runId, key.stepId, key.index ?? NO_ITEM, key.attempt,
    );
  }

  interruptAttempts(runId: string, finishedAt: number): number {
    return this.db.prepare("UPDATE step_attempts SET status = 'interrupted', finished_at = ? WHERE run_id = ? AND status = 'running'").run(finishedAt, runId).changes;
  }
}
