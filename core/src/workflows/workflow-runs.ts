/**
 * The workflow runs of one server: it creates runs (once per `Idempotency-Key`), runs each as a
 * {@link RunExecution} under the server's bound on steps running at once, lets clients follow,
 * wait for and cancel them, runs a `workflow` step's child run, resumes at start the runs a
 * previous process left unfinished, and at shutdown stops its runs without ending them, so the next
 * start resumes them.
 */
import { createHash } from "node:crypto";
import { ERROR_CATALOG, ShimmyError, retryLater, type ErrorCode } from "../errors.js";
import { randomId } from "../ids.js";
import type { Logger } from "../logger.js";
import type { StoredRun, WorkflowRunStore } from "../state/workflow-runs-repo.js";
import { planWorkflow, type WorkflowPlan } from "./planner.js";
import type { RunEvent } from "./run-events.js";
import { RunExecution, RunStop, type RunOutcome } from "./run-execution.js";
import { Semaphore } from "./semaphore.js";
import type { StepAdapters } from "./step-adapter.js";

/** Steps running at once on one server, unless {@link WorkflowRunsOptions.maxConcurrentSteps} says otherwise. */
export const DEFAULT_MAX_CONCURRENT_STEPS = 32;
/** Runs in progress at once (child runs aside), unless {@link WorkflowRunsOptions.maxActiveRuns} says otherwise. */
export const DEFAULT_MAX_ACTIVE_RUNS = 256;
/** How deep `workflow` steps nest, unless {@link WorkflowRunsOptions.maxDepth} says otherwise. */
export const DEFAULT_MAX_DEPTH = 4;

/** A saved workflow, planned, as a `workflow` step and the routes load it. */
export interface LoadedWorkflow {
  name: string;
  version: number;
  plan: WorkflowPlan;
}

/** Options of {@link WorkflowRuns}. */
export interface WorkflowRunsOptions {
  store: WorkflowRunStore;
  /** The adapters of each kind of step; the `workflow` adapter is given this object's {@link WorkflowRuns.runChild}. */
  adapters: StepAdapters;
  /** Loads a saved workflow (the latest version when `version` is absent); null when there is none. */
  loadWorkflow(name: string, version?: number): Promise<LoadedWorkflow | null>;
  /** Steps running at once on this server. @default DEFAULT_MAX_CONCURRENT_STEPS */
  maxConcurrentSteps?: number;
  /** Runs in progress at once; one more is a 503. @default DEFAULT_MAX_ACTIVE_RUNS */
  maxActiveRuns?: number;
  /** Deepest nesting of `workflow` steps. @default DEFAULT_MAX_DEPTH */
  maxDepth?: number;
  logger?: Pick<Logger, "warn" | "error" | "info">;
  /** The clock, in ms since the epoch. @default Date.now */
  now?: () => number;
}

/** A run to start. */
export interface StartRunRequest {
  plan: WorkflowPlan;
  /** The saved workflow's version; null for an inline document. */
  version: number | null;
  input: unknown;
  idempotencyKey?: string | null;
  /** Told every event of the run from its first (when this request creates it or it is running). */
  onEvent?: (event: RunEvent) => void;
}

/** A child run for a `workflow` step. */
export interface ChildRunRequest {
  name: string;
  version?: number;
  input: unknown;
  parentRunId: string;
  stepId: string;
  index: number | null;
  /** The parent's depth. */
  depth: number;
  /** Cancels the child run when it aborts. */
  signal: AbortSignal;
}

interface ActiveRun {
  controller: AbortController;
  listeners: Set<(event: RunEvent) => void>;
  done: Promise<RunOutcome>;
  child: boolean;
}

/** The workflow runs of one server; see the module comment. */
export class WorkflowRuns {
  private readonly options: WorkflowRunsOptions;
  private readonly active = new Map<string, ActiveRun>();
  private readonly serverSlots: Semaphore;
  private readonly now: () => number;
  private disposed = false;

  constructor(options: WorkflowRunsOptions) {
    this.options = options;
    this.serverSlots = new Semaphore(options.maxConcurrentSteps ?? DEFAULT_MAX_CONCURRENT_STEPS);
    this.now = options.now ?? Date.now;
  }

  /**
   * Creates a run and starts it; with an idempotency key already used, returns that key's run instead
   * (`created: false`), resuming it when it is unfinished and nothing here runs it.
   * @throws ShimmyError `idempotency_key_reused` (409) when the key was used for another workflow or
   *   input; `server_overloaded` (503) when `maxActiveRuns` runs are in progress.
   */
  async start(request: StartRunRequest): Promise<{ run: StoredRun; created: boolean }> {
    return this.startRun(request, null);
  }

  private async startRun(request: StartRunRequest, parent: { runId: string; depth: number } | null): Promise<{ run: StoredRun; created: boolean }> {
    if (this.disposed) throw retryLater("The server is stopping; start the run again once it is back.", { code: "server_overloaded" });
    const { plan, version, input } = request;
    const name = plan.document.name;
    const requestHash = hashOf({ workflow: version === null ? plan.document : `${name}@${version}`, input });
    const key = request.idempotencyKey ?? null;
    const existing = key === null ? null : await this.options.store.byIdempotencyKey(key);
    if (existing) return this.rejoin(existing, request, requestHash, key);
    if (parent === null && this.countTopLevel() >= (this.options.maxActiveRuns ?? DEFAULT_MAX_ACTIVE_RUNS)) {
      throw retryLater(`${this.countTopLevel()} workflow runs are already in progress on this server; retry when one has finished.`);
    }
    const { run, created } = await this.options.store.create({
      id: randomId("wfrun_"), workflowName: name, workflowVersion: version, document: plan.document as unknown as Record<string, unknown>, input,
      idempotencyKey: key, requestHash, parentRunId: parent?.runId ?? null, depth: parent ? parent.depth + 1 : 0, createdAt: this.now(),
    });
    if (!created) return this.rejoin(run, request, requestHash, key);
    await this.launch(run, plan, request.onEvent);
    return { run, created };
  }

  /** The run an idempotency key already names: followed by the request's listener, and resumed when nothing here runs it. */
  private async rejoin(run: StoredRun, request: StartRunRequest, requestHash: string, key: string | null): Promise<{ run: StoredRun; created: false }> {
    checkSameRequest(run, requestHash, key);
    if (request.onEvent) this.active.get(run.id)?.listeners.add(request.onEvent);
    if (!this.active.has(run.id) && (run.status === "pending" || run.status === "running")) await this.launch(run, request.plan, request.onEvent);
    return { run, created: false };
  }

  /**
   * Follows a run in progress: `listener` gets its events from now on. Returns how to stop
   * following, or null when the run is not in progress here.
   */
  follow(id: string, listener: (event: RunEvent) => void): (() => void) | null {
    const run = this.active.get(id);
    if (!run) return null;
    run.listeners.add(listener);
    return () => run.listeners.delete(listener);
  }

  /** The run once it has ended here (or as it stands, when the server stops it first); null for an unknown id. */
  async wait(id: string): Promise<StoredRun | null> {
    await this.active.get(id)?.done;
    return this.options.store.get(id);
  }

  /**
   * Cancels a run: its steps in flight are aborted (LLM generations stop and free their slot, plugin
   * calls are terminated) and it ends `cancelled`.
   * @throws ShimmyError `workflow_run_not_found` (404), `workflow_run_finished` (409).
   */
  async cancel(id: string): Promise<StoredRun> {
    const active = this.active.get(id);
    if (active) {
      active.controller.abort(new RunStop("cancelled"));
      await active.done;
    } else {
      const run = await this.options.store.get(id);
      if (!run) throw runNotFound(id);
      // A run a previous process left unfinished, not resumed (yet): it just ends.
      await this.options.store.finish(id, { status: "cancelled", finishedAt: this.now() });
    }
    const run = (await this.options.store.get(id))!;
    if (run.status !== "cancelled") throw new ShimmyError("workflow_run_finished", `Run ${id} has already finished: it ${run.status}.`, { param: "run_id" });
    return run;
  }

  /**
   * Runs a saved workflow as a `workflow` step's child, or joins the child an earlier attempt of the
   * same step (before a restart) started; resolves to its output.
   * @throws ShimmyError `workflow_depth_exceeded`, `workflow_not_found`, `invalid_parameter` (its
   *   input), or the child's own error when it failed.
   */
  async runChild(request: ChildRunRequest): Promise<unknown> {
    const maxDepth = this.options.maxDepth ?? DEFAULT_MAX_DEPTH;
    if (request.depth + 1 > maxDepth) {
      throw new ShimmyError("workflow_depth_exceeded", `workflow steps nest deeper than ${maxDepth} levels (does a workflow run itself?)`);
    }
    const loaded = await this.options.loadWorkflow(request.name, request.version);
    if (!loaded) throw new ShimmyError("workflow_not_found", `No saved workflow is named ${request.name}${request.version === undefined ? "" : ` with version ${request.version}`}.`, { param: "with.name" });
    loaded.plan.checkInput(request.input, "with.input");
    const idempotencyKey = await this.childKey(`${request.parentRunId}/${request.stepId}/${request.index ?? ""}`);
    const { run } = await this.startRun({ plan: loaded.plan, version: loaded.version, input: request.input, idempotencyKey }, { runId: request.parentRunId, depth: request.depth });
    const cancel = () => void this.cancel(run.id).catch(() => undefined);
    request.signal.addEventListener("abort", cancel, { once: true });
    try {
      const ended = (await this.wait(run.id))!;
      request.signal.throwIfAborted();
      if (ended.status === "succeeded") return ended.output;
      const error = ended.error;
      const code: ErrorCode = error && error.code in ERROR_CATALOG ? (error.code as ErrorCode) : "internal_error";
      const why = error ? `at step ${error.step ?? "(the run)"}: ${error.message}` : `: it was ${ended.status}`;
      throw new ShimmyError(code, `workflow ${request.name} (run ${run.id}) ${ended.status === "cancelled" ? "was cancelled" : `failed ${why}`}`);
    } finally {
      request.signal.removeEventListener("abort", cancel);
    }
  }

  /**
   * The idempotency key of a `workflow` step's child: the step's own, so that its re-run after a
   * restart joins the child its first attempt started (running, or already succeeded); a child that
   * failed or was cancelled is not joined (a retry must start afresh), the next key (`#1`, `#2`…) is taken.
   */
  private async childKey(base: string): Promise<string> {
    for (let n = 0; ; n++) {
      const key = n === 0 ? base : `${base}#${n}`;
      const existing = await this.options.store.byIdempotencyKey(key);
      if (!existing || existing.status === "succeeded" || existing.status === "pending" || existing.status === "running") return key;
    }
  }

  /**
   * Resumes the runs a previous process left `pending` or `running`: their attempts left running are
   * marked `interrupted`, and each run goes on from its journal. A child run resumes with its parent's
   * step; one whose parent has ended is cancelled. Returns the ids resumed.
   */
  async resumeUnfinished(): Promise<string[]> {
    const { store } = this.options;
    const resumed: string[] = [];
    const unfinished = await store.unfinished();
    const open = new Set(unfinished.map((run) => run.id));
    for (const run of unfinished) {
      if (this.active.has(run.id)) continue;
      if (run.parentRunId !== null) {
        if (!open.has(run.parentRunId)) await store.finish(run.id, { status: "cancelled", finishedAt: this.now() });
        continue;
      }
      let plan: WorkflowPlan;
      try {
        plan = planWorkflow(run.document);
      } catch (err) {
        await store.finish(run.id, { status: "failed", error: { step: null, code: "workflow_invalid", message: `the run's document no longer plans: ${(err as Error).message}` }, finishedAt: this.now() });
        continue;
      }
      await this.launch(run, plan);
      resumed.push(run.id);
    }
    if (resumed.length > 0) this.options.logger?.info({ event: "workflow_runs_resumed", runs: resumed }, `resumed ${resumed.length} workflow runs left unfinished by the last run of the server`);
    return resumed;
  }

  /** Stops every run without ending it (each stays `running`, to be resumed at the next start); waits for them to let go. */
  async dispose(): Promise<void> {
    this.disposed = true;
    const runs = [...this.active.values()];
    for (const run of runs) run.controller.abort(new RunStop("shutdown"));
    await Promise.all(runs.map((run) => run.done));
  }

  private countTopLevel(): number {
    let count = 0;
    for (const run of this.active.values()) if (!run.child) count++;
    return count;
  }

  /** Starts executing a stored run (new, or resumed from its journal) in the background. */
  private async launch(run: StoredRun, plan: WorkflowPlan, listener?: (event: RunEvent) => void): Promise<void> {
    const { store, logger } = this.options;
    await store.interruptAttempts(run.id, this.now());
    const journal = await store.attempts(run.id);
    const active: ActiveRun = { controller: new AbortController(), listeners: new Set(listener ? [listener] : []), done: Promise.resolve({ status: "interrupted" }), child: run.parentRunId !== null };
    const execution = new RunExecution({
      run: { id: run.id, input: run.input, depth: run.depth },
      plan,
      store,
      adapters: this.options.adapters,
      serverSlots: this.serverSlots,
      journal,
      signal: active.controller.signal,
      now: this.now,
      onEvent: (event) => {
        for (const listen of active.listeners) {
          try {
            listen(event);
          } catch (err) {
            logger?.warn({ err, runId: run.id }, "a workflow run's event listener failed");
          }
        }
      },
      onHiddenError: (err, step) => logger?.error({ err, runId: run.id, step }, `workflow step ${step} failed`),
    });
    this.active.set(run.id, active);
    active.done = execution
      .execute()
      .catch(async (err: unknown): Promise<RunOutcome> => {
        // The journal itself failed (a closed or full database): the run cannot go on.
        logger?.error({ err, runId: run.id }, "a workflow run stopped: its journal could not be written");
        return { status: "interrupted" };
      })
      .then((outcome) => {
        logger?.info({ event: "workflow_run_ended", runId: run.id, workflow: run.workflowName, status: outcome.status }, `workflow run ${run.id} ${outcome.status}`);
        return outcome;
      })
      .finally(() => this.active.delete(run.id));
  }
}

/** The digest that tells a repeated request (same workflow, same input) from a reused key. */
function hashOf(request: unknown): string {
  return createHash("sha256").update(JSON.stringify(request)).digest("hex");
}

function checkSameRequest(run: StoredRun, requestHash: string, key: string | null): void {
  if (run.requestHash !== requestHash) {
    throw new ShimmyError("idempotency_key_reused", `The Idempotency-Key ${JSON.stringify(key)} was first used to start run ${run.id} of another workflow or input; use a new key for a new run.`, {
      param: "Idempotency-Key",
    });
  }
}

/** The 404 for a run id. */
export function runNotFound(id: string): ShimmyError {
  return new ShimmyError("workflow_run_not_found", `No workflow run has the id '${id}'.`, { param: "run_id" });
}
