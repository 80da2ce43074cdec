/**
 * One run of a planned workflow, from its journal to its end: steps start as soon as the steps they
 * depend on have finished (independent ones side by side, within the run's bound and the server's),
 * each attempt is journaled before it starts and its output checkpointed by the statement that ends
 * it, before any dependant starts. A resumed run reads its journal first: finished steps (and
 * `foreach` items) are not run again; an attempt the last process left running runs again.
 *
 * How a run ends: every step done (then `output` is resolved), a step out of attempts (the run
 * fails naming it, its other steps are stopped), its `timeoutMs`, a cancel, or the server stopping
 * (the run stays `running`, for the next start to resume).
 */
import { setMaxListeners } from "node:events";
import { ShimmyError, toErrorResponse } from "../errors.js";
import type { AttemptKey, RunError, RunStatus, StoredAttempt, WorkflowRunStore } from "../state/workflow-runs-repo.js";
import { isTruthy, resolveValue, type CompiledValue } from "./compiled-value.js";
import { ExpressionError } from "./expression.js";
import type { PlannedStep, WorkflowPlan } from "./planner.js";
import type { RunEvent } from "./run-events.js";
import { Semaphore, type Release } from "./semaphore.js";
import type { StepAdapters, StepResult } from "./step-adapter.js";

/** Why a run was stopped from outside its steps: the abort reason of its signal. */
export class RunStop extends Error {
  constructor(readonly why: "cancelled" | "shutdown") {
    super(why === "cancelled" ? "the run was cancelled" : "the server is stopping");
    this.name = "RunStop";
  }
}

/** How a run ended; `interrupted`: the server stopped it, and it stays `running` to be resumed. */
export type RunOutcome =
  | { status: Exclude<RunStatus, "pending" | "running">; output: unknown; error: RunError | null }
  | { status: "interrupted" };

/** Options of {@link RunExecution}. */
export interface RunExecutionOptions {
  run: { id: string; input: unknown; depth: number };
  plan: WorkflowPlan;
  store: WorkflowRunStore;
  adapters: StepAdapters;
  /** The server's bound on steps running at once (`workflow` steps, which only wait, take none). */
  serverSlots: Semaphore;
  /** The run's journal so far: empty for a new run. */
  journal: readonly StoredAttempt[];
  /** Aborted with a {@link RunStop} to cancel the run or stop it for a shutdown. */
  signal: AbortSignal;
  /** Told every {@link RunEvent}, synchronously; must not throw. */
  onEvent(event: RunEvent): void;
  /** Told of failures whose message is not for the client (5xx), with the full error. */
  onHiddenError?(error: unknown, step: string): void;
  /** The clock, in ms since the epoch. @default Date.now */
  now?: () => number;
}

/** A step out of attempts (or whose arguments could not be resolved): the run fails with `error`. */
class StepFailure extends Error {
  constructor(readonly error: RunError) {
    super(error.message);
  }
}

const unitKey = (step: string, index: number | null) => `${step}\u0000${index ?? ""}`;

/** What the journal says of each step (and item) of a resumed run. */
class JournalIndex {
  readonly outputs = new Map<string, unknown>();
  readonly skipped = new Set<string>();
  readonly lastAttempt = new Map<string, number>();
  readonly failures = new Map<string, number>();

  constructor(attempts: readonly StoredAttempt[]) {
    for (const attempt of attempts) {
      const key = unitKey(attempt.stepId, attempt.index);
      this.lastAttempt.set(key, Math.max(this.lastAttempt.get(key) ?? 0, attempt.attempt));
      if (attempt.status === "succeeded") this.outputs.set(key, attempt.output);
      if (attempt.status === "skipped") this.skipped.add(attempt.stepId);
      if (attempt.status === "failed") this.failures.set(key, (this.failures.get(key) ?? 0) + 1);
    }
  }
}

/** Runs one run to its end; see the module comment. Use once. */
export class RunExecution {
  private readonly options: RunExecutionOptions;
  private readonly now: () => number;
  private readonly journal: JournalIndex;
  private readonly outputs = new Map<string, unknown>();
  private readonly runSlots: Semaphore;
  /** Aborted by the run's signal, its timeout, or the first step failure. */
  private readonly stop = new AbortController();
  private failure: StepFailure | null = null;
  private timedOut = false;

  constructor(options: RunExecutionOptions) {
    this.options = options;
    this.now = options.now ?? Date.now;
    this.journal = new JournalIndex(options.journal);
    this.runSlots = new Semaphore(options.plan.concurrency);
    // Every attempt in flight and every step waiting for a permit listens to it: a wide run has thousands.
    setMaxListeners(0, this.stop.signal);
  }

  /**
   * Runs the steps and journals the run's end (unless the server stopped it). Every failure of a step
   * ends in the outcome; it rejects only when the journal itself cannot be written.
   */
  async execute(): Promise<RunOutcome> {
    const { run, plan, store, signal } = this.options;
    const forward = () => this.stop.abort(signal.reason);
    if (signal.aborted) forward();
    else signal.addEventListener("abort", forward, { once: true });
    const timer = plan.timeoutMs === null ? undefined : setTimeout(() => {
      this.timedOut = true;
      this.stop.abort(new ShimmyError("workflow_timeout", `the run ran past its timeoutMs of ${plan.timeoutMs} ms`));
    }, plan.timeoutMs);
    try {
      await store.markRunning(run.id, this.now());
      this.emit({ type: "run.started", run_id: run.id, resumed: this.options.journal.length > 0 });
      await this.runSteps();
      const outcome = await this.outcome();
      if (outcome.status !== "interrupted") {
        await store.finish(run.id, { ...outcome, finishedAt: this.now() });
        this.emit({ type: "run.finished", run_id: run.id, ...outcome });
      }
      return outcome;
    } finally {
      clearTimeout(timer);
      signal.removeEventListener("abort", forward);
    }
  }

  /** How the run ended, once no step runs any more. */
  private async outcome(): Promise<RunOutcome> {
    const reason: unknown = this.stop.signal.reason;
    if (this.failure) return { status: "failed", output: null, error: this.failure.error };
    if (this.timedOut) return { status: "failed", output: null, error: { step: null, code: "workflow_timeout", message: (reason as Error).message } };
    if (reason instanceof RunStop) return reason.why === "cancelled" ? { status: "cancelled", output: null, error: null } : { status: "interrupted" };
    try {
      const output = this.options.plan.output === null ? Object.fromEntries(this.outputs) : await resolveValue(this.options.plan.output, this.context(null));
      return { status: "succeeded", output, error: null };
    } catch (err) {
      return { status: "failed", output: null, error: { step: null, code: "workflow_expression_failed", message: `output: ${(err as Error).message}` } };
    }
  }

  /** Starts the steps without dependencies, and each other step once its last dependency is done. */
  private runSteps(): Promise<void> {
    const { plan } = this.options;
    const waitingFor = new Map(plan.steps.map((step) => [step.id, step.dependsOn.length]));
    return new Promise<void>((resolve) => {
      let running = 0;
      const start = (step: PlannedStep) => {
        running++;
        this.runStep(step)
          .then(
            () => {
              for (const id of step.dependants) {
                const left = waitingFor.get(id)! - 1;
                waitingFor.set(id, left);
                if (left === 0 && !this.stop.signal.aborted) start(plan.byId.get(id)!);
              }
            },
            (err: unknown) => this.fail(err, step),
          )
          .finally(() => {
            if (--running === 0) resolve();
          });
      };
      for (const step of plan.steps) if (step.dependsOn.length === 0) start(step);
      if (running === 0) resolve();
    });
  }

  /** Runs one step (each item of its `foreach`) and keeps its output for its dependants. */
  private async runStep(step: PlannedStep): Promise<void> {
    const { run } = this.options;
    if (this.journal.skipped.has(step.id)) {
      this.outputs.set(step.id, null);
      return;
    }
    if (step.if !== null && !isTruthy(await this.resolve(step, step.if, null, "if"))) {
      const key: AttemptKey = { runId: run.id, stepId: step.id, index: null, attempt: 1 };
      const at = this.now();
      await this.options.store.startAttempt(key, null, at);
      await this.options.store.finishAttempt(key, { status: "skipped", output: null, finishedAt: at });
      this.outputs.set(step.id, null);
      this.emit({ type: "step.skipped", run_id: run.id, step: step.id });
      return;
    }
    let output: unknown;
    if (step.foreach === null) output = await this.runUnit(step, null, undefined);
    else {
      const items = await this.resolve(step, step.foreach, null, "foreach");
      if (!Array.isArray(items)) {
        throw new StepFailure({ step: step.id, code: "workflow_expression_failed", message: `foreach must yield a list; it yielded ${describe(items)}` });
      }
      output = await this.runItems(step, items);
    }
    this.outputs.set(step.id, output);
    this.emit({ type: "step.output", run_id: run.id, step: step.id, index: null, output });
  }

  /** Each item of a `foreach`, at most `concurrency` at once; all settle before the step does. */
  private async runItems(step: PlannedStep, items: unknown[]): Promise<unknown[]> {
    const bound = step.concurrency === null ? null : new Semaphore(step.concurrency);
    const settled = await Promise.allSettled(
      items.map(async (item, index) => {
        const release = bound ? await bound.acquire(this.stop.signal) : undefined;
        try {
          return await this.runUnit(step, index, item);
        } catch (err) {
          // The run fails now, not once the other items have settled: they are stopped.
          this.fail(err, step);
          throw err;
        } finally {
          release?.();
        }
      }),
    );
    const failed = settled.find((result) => result.status === "rejected");
    if (failed) throw (failed as PromiseRejectedResult).reason;
    return settled.map((result) => (result as PromiseFulfilledResult<unknown>).value);
  }

  /**
   * Fails the run with the first failure and stops its other steps. Errors after the run was
   * stopped are those steps stopping, and change nothing; an error that is not a step's failure (the
   * journal could not be written) still fails the run, as an internal error.
   */
  private fail(err: unknown, step: PlannedStep): void {
    if (this.stop.signal.aborted) return;
    this.failure = err instanceof StepFailure ? err : new StepFailure(this.runError(err, step, null));
    this.stop.abort(this.failure);
  }

  /** One step, or one item of its `foreach`, through its attempts; resolves to its output. */
  private async runUnit(step: PlannedStep, index: number | null, item: unknown): Promise<unknown> {
    const { run, store } = this.options;
    const key = unitKey(step.id, index);
    if (this.journal.outputs.has(key)) return this.journal.outputs.get(key);
    const input = await this.resolve(step, step.with, index === null ? null : { item, index }, "with");
    let failures = this.journal.failures.get(key) ?? 0;
    let attempt = this.journal.lastAttempt.get(key) ?? 0;
    for (;;) {
      attempt++;
      const attemptKey: AttemptKey = { runId: run.id, stepId: step.id, index, attempt };
      const release = await this.slots(step);
      let result: StepResult;
      try {
        await store.startAttempt(attemptKey, input, this.now());
        this.emit({ type: "step.started", run_id: run.id, step: step.id, index, attempt });
        result = await this.attempt(step, input as Record<string, unknown>, attemptKey, release);
      } catch (err) {
        release();
        if (this.stop.signal.aborted && !(err instanceof ShimmyError && err.code === "workflow_step_timeout")) {
          const why = this.stop.signal.reason instanceof RunStop && this.stop.signal.reason.why === "shutdown" ? "interrupted" : "cancelled";
          await store.finishAttempt(attemptKey, { status: why, finishedAt: this.now() });
          throw err;
        }
        const error = this.runError(err, step, index);
        await store.finishAttempt(attemptKey, { status: "failed", error, finishedAt: this.now() });
        failures++;
        if (failures > step.retry.limit) {
          this.emit({ type: "step.failed", run_id: run.id, step: step.id, index, attempt, error });
          throw new StepFailure(error);
        }
        const delayMs = step.retry.backoffMs * 2 ** (failures - 1);
        this.emit({ type: "step.retried", run_id: run.id, step: step.id, index, attempt, error, delay_ms: delayMs });
        await sleep(delayMs, this.stop.signal);
        continue;
      }
      await store.finishAttempt(attemptKey, {
        status: "succeeded", output: result.output, finishedAt: this.now(),
        ...(result.usage ? { promptTokens: result.usage.promptTokens, completionTokens: result.usage.completionTokens } : {}),
      });
      if (index !== null) this.emit({ type: "step.output", run_id: run.id, step: step.id, index, output: result.output });
      return result.output;
    }
  }

  /** A permit of the run's bound, then of the server's (a `workflow` step only waits on its child run, so it takes none of the server's). */
  private async slots(step: PlannedStep): Promise<Release> {
    const run = await this.runSlots.acquire(this.stop.signal);
    if (step.uses === "workflow") return run;
    try {
      const server = await this.options.serverSlots.acquire(this.stop.signal);
      return () => {
        server();
        run();
      };
    } catch (err) {
      run();
      throw err;
    }
  }

  /**
   * One attempt: the adapter on a signal that its timeout and the run's stop abort. It settles at
   * once when aborted; the permits go back when the adapter has really let go (`release`).
   */
  private async attempt(step: PlannedStep, input: Record<string, unknown>, key: AttemptKey, release: Release): Promise<StepResult> {
    const adapter = this.options.adapters[step.uses];
    if (!adapter) throw new ShimmyError("invalid_parameter", `this server cannot run steps of kind ${step.uses}`, { param: `${step.path}.uses` });
    const controller = new AbortController();
    const forward = () => controller.abort(this.stop.signal.reason);
    if (this.stop.signal.aborted) forward();
    else this.stop.signal.addEventListener("abort", forward, { once: true });
    const timer = step.timeoutMs === null ? undefined : setTimeout(() => {
      controller.abort(new ShimmyError("workflow_step_timeout", `step ${step.id} ran past its timeoutMs of ${step.timeoutMs} ms and was stopped`));
    }, step.timeoutMs);
    const stopped = new Promise<never>((_, reject) => {
      if (controller.signal.aborted) reject(controller.signal.reason);
      else controller.signal.addEventListener("abort", () => reject(controller.signal.reason), { once: true });
    });
    stopped.catch(() => undefined);
    try {
      const work = adapter.run(input, {
        signal: controller.signal, runId: key.runId, stepId: key.stepId, index: key.index, depth: this.options.run.depth,
        requestId: `${key.runId}/${key.stepId}${key.index === null ? "" : `/${key.index}`}`,
      });
      work.then(release, release);
      return await Promise.race([work, stopped]);
    } finally {
      clearTimeout(timer);
      this.stop.signal.removeEventListener("abort", forward);
    }
  }

  /** Resolves one of a step's values; a failing expression fails the step at once (no retry: it would fail the same way). */
  private async resolve(step: PlannedStep, value: CompiledValue, foreach: { item: unknown; index: number } | null, field: string): Promise<unknown> {
    try {
      return await resolveValue(value, this.context(step, foreach));
    } catch (err) {
      if (!(err instanceof ExpressionError)) throw err;
      throw new StepFailure({
        step: step.id, ...(foreach ? { index: foreach.index } : {}), code: "workflow_expression_failed", message: `${step.path}.${field}: ${err.message}`,
      });
    }
  }

  /** What a step's expressions read: the input, the outputs of the steps it depends on, and its item. */
  private context(step: PlannedStep | null, foreach: { item: unknown; index: number } | null = null): object {
    const steps: Record<string, { output: unknown }> = {};
    const ids = step === null ? [...this.outputs.keys()] : step.dependsOn;
    for (const id of ids) steps[id] = { output: this.outputs.get(id) };
    return { input: this.options.run.input, steps, ...(foreach ?? {}) };
  }

  /** The journal's and the client's view of a failure: 5xx messages not meant for clients are replaced (and reported). */
  private runError(err: unknown, step: PlannedStep, index: number | null): RunError {
    const { code, message } = toErrorResponse(err).body.error;
    if (!(err instanceof ShimmyError) || !err.expose) this.options.onHiddenError?.(err, step.id);
    return { step: step.id, ...(index === null ? {} : { index }), code, message };
  }

  private emit(event: RunEvent): void {
    this.options.onEvent(event);
  }
}

/** Waits `ms`, or rejects with the signal's reason when it aborts first. */
function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal.aborted) return reject(signal.reason);
    const done = () => {
      signal.removeEventListener("abort", abort);
      resolve();
    };
    const timer = setTimeout(done, ms);
    const abort = () => {
      clearTimeout(timer);
      reject(signal.reason);
    };
    signal.addEventListener("abort", abort, { once: true });
  });
}

function describe(value: unknown): string {
  if (value === null) return "null";
  return typeof value === "object" ? "an object" : `a ${typeof value}`;
}
