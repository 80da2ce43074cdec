import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { ShimmyError } from "../errors.js";
import { openStateDb, type StateDb } from "../state/state-db.js";
import { SqliteWorkflowRunStore, type StoredRun } from "../state/workflow-runs-repo.js";
import { workflowStep } from "./adapters/workflow-step.js";
import { planWorkflow } from "./planner.js";
import type { RunEvent } from "./run-events.js";
import type { StepAdapter, StepContext, StepResult } from "./step-adapter.js";
import { WorkflowRuns, type LoadedWorkflow, type WorkflowRunsOptions } from "./workflow-runs.js";

/** A fake `tool` adapter: `with.name` picks a behaviour of `behaviours`, `with.arguments` is its input. */
type Behaviour = (args: Record<string, unknown>, context: StepContext) => Promise<unknown>;

let state: StateDb;
let store: SqliteWorkflowRunStore;
let managers: WorkflowRuns[];
/** Every call of the fake adapter, in order. */
let calls: { step: string; index: number | null; args: Record<string, unknown>; startedAt: number; endedAt?: number }[];
let running: number;
let maxRunning: number;

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
/** Resolves when `signal` aborts, rejecting with its reason (as an adapter that honours it). */
const untilAborted = (signal: AbortSignal) => new Promise<never>((_, reject) => signal.addEventListener("abort", () => reject(signal.reason), { once: true }));

const behaviours: Record<string, Behaviour> = {
  echo: async (args) => args.value ?? null,
  wait: async (args, context) => {
    await Promise.race([sleep(Number(args.ms ?? 20)), untilAborted(context.signal)]);
    return args.value ?? null;
  },
  block: (_args, context) => untilAborted(context.signal),
  fail: async () => {
    throw new ShimmyError("tool_failed", "the tool broke");
  },
};

function fakeTool(): StepAdapter {
  return {
    async run(input, context): Promise<StepResult> {
      const args = (input.arguments ?? {}) as Record<string, unknown>;
      const call = { step: context.stepId, index: context.index, args, startedAt: performance.now() } as (typeof calls)[number];
      calls.push(call);
      running++;
      maxRunning = Math.max(maxRunning, running);
      try {
        const behaviour = behaviours[String(input.name)];
        if (!behaviour) throw new ShimmyError("tool_not_found", `no tool ${String(input.name)}`);
        return { output: await behaviour(args, context), usage: { promptTokens: 2, completionTokens: 1 } };
      } finally {
        running--;
        call.endedAt = performance.now();
      }
    },
  };
}

const step = (id: string, name: string, args: Record<string, unknown> = {}, extra: Record<string, unknown> = {}) => ({ id, uses: "tool", with: { name, arguments: args }, ...extra });
const doc = (steps: unknown[], extra: Record<string, unknown> = {}) => ({ name: "test", steps, ...extra });

function manager(options: Partial<WorkflowRunsOptions> = {}, saved: Record<string, unknown> = {}): WorkflowRuns {
  const runs: WorkflowRuns = new WorkflowRuns({
    store,
    adapters: { tool: fakeTool(), workflow: workflowStep((request) => runs.runChild(request)) },
    loadWorkflow: async (name) => (saved[name] ? ({ name, version: 1, plan: planWorkflow(saved[name]) } satisfies LoadedWorkflow) : null),
    ...options,
  });
  managers.push(runs);
  return runs;
}

/** Starts `document` and waits for its end; the run and its events. */
async function run(document: unknown, options: { input?: unknown; runs?: WorkflowRuns; key?: string } = {}): Promise<{ run: StoredRun; events: RunEvent[] }> {
  const runs = options.runs ?? manager();
  const events: RunEvent[] = [];
  const { run: started } = await runs.start({ plan: planWorkflow(document), version: null, input: options.input ?? {}, idempotencyKey: options.key ?? null, onEvent: (e) => events.push(e) });
  return { run: (await runs.wait(started.id))!, events };
}

const attemptsOf = (runId: string, stepId?: string) => store.attempts(runId).filter((a) => stepId === undefined || a.stepId === stepId);

beforeEach(() => {
  state = openStateDb({ file: ":memory:" });
  store = new SqliteWorkflowRunStore(state.db);
  managers = [];
  calls = [];
  running = 0;
  maxRunning = 0;
});

afterEach(async () => {
  await Promise.all(managers.map((m) => m.dispose()));
  state.dispose();
});

describe("WorkflowRuns: the DAG", () => {
  it("runs independent steps side by side, and a dependant after its steps' outputs are checkpointed", async () => {
    let seenAtStart: unknown;
    behaviours.check = async (_args, context) => {
      seenAtStart = attemptsOf(context.runId).filter((a) => a.status === "succeeded").map((a) => [a.stepId, a.output]);
      return "checked";
    };
    const { run: done } = await run(
      doc([
        step("a", "wait", { ms: 40, value: 1 }),
        step("b", "wait", { ms: 40, value: 2 }),
        step("sum", "check", { total: "${{ steps.a.output + steps.b.output }}" }),
      ], { output: { total: "${{ steps.a.output + steps.b.output }}", last: "${{ steps.sum.output }}" } }),
    );
    expect(done.status).toBe("succeeded");
    expect(done.output).toEqual({ total: 3, last: "checked" });
    expect(maxRunning).toBe(2);
    const [a, b, sum] = ["a", "b", "sum"].map((id) => calls.find((c) => c.step === id)!);
    expect(sum!.startedAt).toBeGreaterThanOrEqual(Math.max(a!.endedAt!, b!.endedAt!));
    expect(sum!.args).toEqual({ total: 3 });
    expect(seenAtStart).toEqual(expect.arrayContaining([["a", 1], ["b", 2]]));
  });

  it("skips a step whose if is false (output null), and runs its dependants", async () => {
    const { run: done, events } = await run(
      doc([step("maybe", "echo", { value: 1 }, { if: "${{ input.go }}" }), step("after", "echo", { value: "${{ steps.maybe.output }}" })], { output: "${{ steps.after.output }}" }),
      { input: { go: false } },
    );
    expect(done.status).toBe("succeeded");
    expect(done.output).toBeNull();
    expect(calls.map((c) => c.step)).toEqual(["after"]);
    expect(events.filter((e) => e.type === "step.skipped")).toEqual([{ type: "step.skipped", run_id: done.id, step: "maybe" }]);
    expect(attemptsOf(done.id, "maybe").map((a) => a.status)).toEqual(["skipped"]);
  });

  it("returns every step's output by id when the document names no output", async () => {
    const { run: done } = await run(doc([step("a", "echo", { value: 1 }), step("b", "echo", { value: "x" })]));
    expect(done.output).toEqual({ a: 1, b: "x" });
  });

  it("keeps the run's bound of steps at once, and the server's across runs", async () => {
    const four = (extra = {}) => doc(["a", "b", "c", "d"].map((id) => step(id, "wait", { ms: 30 })), extra);
    await run(four({ concurrency: 2 }));
    expect(maxRunning).toBe(2);
    maxRunning = 0;
    const runs = manager({ maxConcurrentSteps: 3 });
    await Promise.all([run(four(), { runs }), run(four(), { runs })]);
    expect(maxRunning).toBe(3);
  });
});

describe("WorkflowRuns: foreach", () => {
  it("runs the step once per item, at most concurrency at once, and returns the outputs in item order", async () => {
    const { run: done, events } = await run(
      doc([step("each", "wait", { ms: "${{ 50 - index * 10 }}", value: "${{ item & '!' & index }}" }, { foreach: "${{ input.words }}", concurrency: 2 })], { output: "${{ steps.each.output }}" }),
      { input: { words: ["a", "b", "c", "d", "e"] } },
    );
    expect(done.output).toEqual(["a!0", "b!1", "c!2", "d!3", "e!4"]);
    expect(maxRunning).toBe(2);
    expect(attemptsOf(done.id, "each").map((a) => a.index).sort()).toEqual([0, 1, 2, 3, 4]);
    expect(events.filter((e) => e.type === "step.output").map((e) => (e as { index: number | null }).index)).toContain(null);
  });

  it("fails the run when foreach does not yield a list", async () => {
    const { run: done } = await run(doc([step("each", "echo", {}, { foreach: "${{ input.n }}" })]), { input: { n: 3 } });
    expect(done.status).toBe("failed");
    expect(done.error).toMatchObject({ step: "each", code: "workflow_expression_failed", message: expect.stringMatching(/foreach must yield a list; it yielded a number/) });
  });

  it("runs an empty list as no attempt, with an empty output", async () => {
    const { run: done } = await run(doc([step("each", "echo", {}, { foreach: [] })], { output: "${{ steps.each.output }}" }));
    expect(done).toMatchObject({ status: "succeeded", output: [] });
    expect(calls).toEqual([]);
  });
});

describe("WorkflowRuns: failures, retries and timeouts", () => {
  it("retries with exponential backoff, journaling each attempt", async () => {
    let failuresLeft = 2;
    behaviours.flaky = async () => {
      if (failuresLeft-- > 0) throw new ShimmyError("tool_failed", "not yet");
      return "ok";
    };
    const { run: done, events } = await run(doc([step("f", "flaky", {}, { retry: { limit: 3, backoff: 30 } })]));
    expect(done.status).toBe("succeeded");
    const attempts = attemptsOf(done.id, "f");
    expect(attempts.map((a) => [a.attempt, a.status])).toEqual([[1, "failed"], [2, "failed"], [3, "succeeded"]]);
    expect(attempts[0]!.error).toEqual({ step: "f", code: "tool_failed", message: "not yet" });
    expect(attempts[1]!.startedAt - attempts[0]!.finishedAt!).toBeGreaterThanOrEqual(29);
    expect(attempts[2]!.startedAt - attempts[1]!.finishedAt!).toBeGreaterThanOrEqual(59);
    expect(events.filter((e) => e.type === "step.retried").map((e) => (e as { delay_ms: number }).delay_ms)).toEqual([30, 60]);
  });

  it("fails the run naming the step and why once its attempts are spent, and stops its other steps", async () => {
    const { run: done, events } = await run(doc([step("slow", "block"), step("broken", "fail", {}, { retry: { limit: 1, backoff: 1 } })]));
    expect(done.status).toBe("failed");
    expect(done.error).toEqual({ step: "broken", code: "tool_failed", message: "the tool broke" });
    expect(attemptsOf(done.id, "broken").map((a) => a.status)).toEqual(["failed", "failed"]);
    expect(attemptsOf(done.id, "slow").map((a) => a.status)).toEqual(["cancelled"]);
    expect(events.at(-1)).toEqual({ type: "run.finished", run_id: done.id, status: "failed", output: null, error: done.error });
    expect(events.some((e) => e.type === "step.failed" && e.step === "broken")).toBe(true);
  });

  it("does not retry an expression that fails at run time", async () => {
    const { run: done } = await run(doc([step("a", "echo", { v: "${{ $number('not a number') }}" }, { retry: { limit: 3, backoff: 1 } })]));
    expect(done.status).toBe("failed");
    expect(done.error).toMatchObject({ step: "a", code: "workflow_expression_failed" });
    expect(calls).toEqual([]);
  });

  it("stops an attempt past its timeoutMs (the adapter sees the abort) and retries it", async () => {
    const signals: AbortSignal[] = [];
    behaviours.hang = (_args, context) => {
      signals.push(context.signal);
      return untilAborted(context.signal);
    };
    const started = performance.now();
    const { run: done } = await run(doc([step("h", "hang", {}, { timeoutMs: 40, retry: { limit: 1, backoff: 1 } })]));
    expect(performance.now() - started).toBeLessThan(1000);
    expect(done.error).toMatchObject({ step: "h", code: "workflow_step_timeout", message: expect.stringMatching(/timeoutMs of 40 ms/) });
    expect(signals).toHaveLength(2);
    expect(signals.every((s) => s.aborted)).toBe(true);
  });

  it("fails a run past its own timeoutMs", async () => {
    const { run: done } = await run(doc([step("b", "block")], { timeoutMs: 50 }));
    expect(done).toMatchObject({ status: "failed", error: { step: null, code: "workflow_timeout" } });
    expect(attemptsOf(done.id, "b").map((a) => a.status)).toEqual(["cancelled"]);
  });

  it("fails a step whose kind has no adapter", async () => {
    const { run: done } = await run(doc([{ id: "e", uses: "embed", with: { model: "m", input: "x" } }]));
    expect(done.error).toMatchObject({ step: "e", code: "invalid_parameter", message: "this server cannot run steps of kind embed" });
  });
});

describe("WorkflowRuns: cancel", () => {
  it("aborts the steps in flight, frees their slots, and ends the run cancelled", async () => {
    const runs = manager({ maxConcurrentSteps: 1 });
    const { run: started } = await runs.start({ plan: planWorkflow(doc([step("b", "block")])), version: null, input: {} });
    while (calls.length === 0) await sleep(5);
    const cancelled = await runs.cancel(started.id);
    expect(cancelled.status).toBe("cancelled");
    expect(attemptsOf(started.id).map((a) => a.status)).toEqual(["cancelled"]);
    // The one server slot is free again: another run's step gets it.
    const next = await run(doc([step("e", "echo", { value: 1 })]), { runs });
    expect(next.run.status).toBe("succeeded");
    // Cancelling again answers the cancelled run; a run that ended otherwise cannot be cancelled.
    expect((await runs.cancel(started.id)).status).toBe("cancelled");
    await expect(runs.cancel(next.run.id)).rejects.toMatchObject({ code: "workflow_run_finished", status: 409 });
    await expect(runs.cancel("wfrun_nope")).rejects.toMatchObject({ code: "workflow_run_not_found" });
  });
});

describe("WorkflowRuns: idempotency keys", () => {
  it("returns the same run for the same key and request, and refuses the key for another input", async () => {
    const runs = manager();
    const plan = planWorkflow(doc([step("a", "echo", { value: "${{ input.x }}" })]));
    const first = await runs.start({ plan, version: null, input: { x: 1 }, idempotencyKey: "k1" });
    const second = await runs.start({ plan, version: null, input: { x: 1 }, idempotencyKey: "k1" });
    expect(first.created).toBe(true);
    expect(second).toMatchObject({ created: false, run: { id: first.run.id } });
    await runs.wait(first.run.id);
    await expect(runs.start({ plan, version: null, input: { x: 2 }, idempotencyKey: "k1" })).rejects.toMatchObject({ code: "idempotency_key_reused", status: 409 });
    expect(calls).toHaveLength(1);
  });

  it("refuses more runs than its bound with a 503", async () => {
    const runs = manager({ maxActiveRuns: 1 });
    const plan = planWorkflow(doc([step("b", "block")]));
    await runs.start({ plan, version: null, input: {} });
    await expect(runs.start({ plan, version: null, input: {} })).rejects.toMatchObject({ code: "server_overloaded", status: 503 });
  });
});

describe("WorkflowRuns: resume", () => {
  it("after a stop, runs again only the step that was running: finished steps are not run twice", async () => {
    const first = manager();
    const document = doc([step("a", "echo", { value: 1 }), step("b", "block", { after: "${{ steps.a.output }}" }), step("c", "echo", { value: "${{ steps.a.output + 1 }}" })], {
      output: "${{ steps.c.output }}",
    });
    const { run: started } = await first.start({ plan: planWorkflow(document), version: null, input: {} });
    while (!calls.some((c) => c.step === "b") || !calls.some((c) => c.step === "c")) await sleep(5);
    await first.dispose();
    expect(store.get(started.id)!.status).toBe("running");
    expect(attemptsOf(started.id, "b").map((a) => a.status)).toEqual(["interrupted"]);

    behaviours.block = async () => "unblocked";
    const second = manager();
    expect(await second.resumeUnfinished()).toEqual([started.id]);
    const done = (await second.wait(started.id))!;
    behaviours.block = (_args, context) => untilAborted(context.signal);
    expect(done).toMatchObject({ status: "succeeded", output: 2 });
    expect(calls.map((c) => c.step).sort()).toEqual(["a", "b", "b", "c"]);
    expect(attemptsOf(started.id, "b").map((a) => [a.attempt, a.status])).toEqual([[1, "interrupted"], [2, "succeeded"]]);
  });

  it("after a crash (an attempt left running), re-runs that attempt and keeps the finished foreach items", async () => {
    const crashed = manager();
    behaviours.item = async (args, context) => (args.n === 2 ? untilAborted(context.signal) : `done ${String(args.n)}`);
    const document = doc([step("each", "item", { n: "${{ item }}" }, { foreach: [0, 1, 2, 3], concurrency: 4 })], { output: "${{ steps.each.output }}" });
    const { run: started } = await crashed.start({ plan: planWorkflow(document), version: null, input: {} });
    while (attemptsOf(started.id).filter((a) => a.status === "succeeded").length < 3) await sleep(5);
    // No dispose: the process "died"; its attempt of item 2 is still `running` in the journal.
    managers.splice(managers.indexOf(crashed), 1);
    expect(attemptsOf(started.id).find((a) => a.index === 2)!.status).toBe("running");

    behaviours.item = async (args) => `done ${String(args.n)}`;
    const resumed = manager();
    await resumed.resumeUnfinished();
    const done = (await resumed.wait(started.id))!;
    expect(done.output).toEqual(["done 0", "done 1", "done 2", "done 3"]);
    const perItem = [0, 1, 2, 3].map((i) => attemptsOf(started.id).filter((a) => a.index === i).map((a) => a.status));
    expect(perItem).toEqual([["succeeded"], ["succeeded"], ["interrupted", "succeeded"], ["succeeded"]]);
  });
});

describe("WorkflowRuns: workflow steps", () => {
  it("runs a saved workflow as a child run and returns its output", async () => {
    const runs = manager({}, { double: doc([step("d", "echo", { value: "${{ input.n * 2 }}" })], { output: "${{ steps.d.output }}" }) });
    const { run: done } = await run(doc([{ id: "child", uses: "workflow", with: { name: "double", input: { n: 21 } } }], { output: "${{ steps.child.output }}" }), { runs });
    expect(done).toMatchObject({ status: "succeeded", output: 42 });
    const children = store.list({}, { limit: 10, order: "asc" })!.data.filter((r) => r.parentRunId === done.id);
    expect(children).toHaveLength(1);
    expect(children[0]).toMatchObject({ depth: 1, status: "succeeded", idempotencyKey: `${done.id}/child/` });
  });

  it("starts a fresh child on a retry of a workflow step whose child failed", async () => {
    let failuresLeft = 1;
    behaviours.flaky = async () => {
      if (failuresLeft-- > 0) throw new ShimmyError("tool_failed", "not yet");
      return "ok";
    };
    const runs = manager({}, { flaky: doc([step("f", "flaky")], { output: "${{ steps.f.output }}" }) });
    const { run: done } = await run(doc([{ id: "child", uses: "workflow", with: { name: "flaky" }, retry: { limit: 1, backoff: 1 } }], { output: "${{ steps.child.output }}" }), { runs });
    expect(done).toMatchObject({ status: "succeeded", output: "ok" });
    const children = store.list({}, { limit: 10, order: "asc" })!.data.filter((r) => r.parentRunId === done.id);
    expect(children.map((c) => [c.idempotencyKey, c.status])).toEqual([[`${done.id}/child/`, "failed"], [`${done.id}/child/#1`, "succeeded"]]);
    expect(attemptsOf(done.id, "child")[0]!.error).toMatchObject({ code: "tool_failed", message: expect.stringMatching(/^workflow flaky \(run wfrun_\w+\) failed at step f: not yet$/) });
  });

  it("bounds the nesting of a workflow that runs itself", async () => {
    const self = doc([{ id: "again", uses: "workflow", with: { name: "self" } }]);
    const runs = manager({ maxDepth: 3 }, { self });
    const { run: done } = await run(self, { runs });
    expect(done.status).toBe("failed");
    expect(done.error).toMatchObject({ step: "again", code: "workflow_depth_exceeded" });
  });
});
