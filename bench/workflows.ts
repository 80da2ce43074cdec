/**
 * The workflow engine's own cost, with trivial steps (an adapter that answers at once) on a real
 * state database file (WAL, synchronous normal, as the server opens it):
 * - overhead per step: in a chain where each step reads the previous one's output, the time from one
 *   step's adapter returning to the next one's adapter being called (checkpointing the output,
 *   scheduling, resolving the next step's `with`, journaling its attempt), p50 and p95;
 * - a 1,000-step run: as a chain, as 1,000 independent steps, and as a foreach of 1,000 items.
 *   npx tsx bench/workflows.ts [--runs 20] [--steps 100]
 */
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { parseArgs } from "node:util";
import { openStateDb } from "../core/src/state/state-db.js";
import { SqliteWorkflowRunStore } from "../core/src/state/workflow-runs-repo.js";
import { planWorkflow } from "../core/src/workflows/planner.js";
import type { StepAdapter } from "../core/src/workflows/step-adapter.js";
import { WorkflowRuns } from "../core/src/workflows/workflow-runs.js";
import { percentile } from "./stats.js";

const { values } = parseArgs({ options: { runs: { type: "string", default: "20" }, steps: { type: "string", default: "100" } } });
const dir = fs.mkdtempSync(path.join(os.tmpdir(), "shimmy-bench-workflows-"));
const state = openStateDb({ file: path.join(dir, "shimmy.db") });
const store = new SqliteWorkflowRunStore(state.db);

/** Adapter calls: when each was called and when it returned (performance.now()). */
let calls: { stepId: string; index: number | null; calledAt: number; returnedAt: number }[] = [];
const trivial: StepAdapter = {
  async run(input, context) {
    const calledAt = performance.now();
    const output = { n: (input.arguments as { n?: number } | undefined)?.n ?? 0 };
    calls.push({ stepId: context.stepId, index: context.index, calledAt, returnedAt: performance.now() });
    return { output };
  },
};
const runs = new WorkflowRuns({ store, adapters: { tool: trivial }, loadWorkflow: async () => null, maxConcurrentSteps: 32 });

const chain = (n: number) => ({
  name: "chain",
  steps: Array.from({ length: n }, (_, i) => ({ id: `s${i}`, uses: "tool", with: { name: "t", arguments: { n: i === 0 ? 0 : `\${{ steps.s${i - 1}.output.n + 1 }}` } } })),
  output: `\${{ steps.s${n - 1}.output.n }}`,
});
const fanOut = (n: number) => ({ name: "fan", concurrency: 32, steps: Array.from({ length: n }, (_, i) => ({ id: `s${i}`, uses: "tool", with: { name: "t", arguments: { n: i } } })) });
const foreach = (n: number) => ({ name: "each", steps: [{ id: "each", uses: "tool", foreach: `\${{ [1..${n}] }}`, concurrency: 32, with: { name: "t", arguments: { n: "${{ item }}" } } }] });

async function run(document: unknown): Promise<{ ms: number; planMs: number; status: string; started: number }> {
  const planning = performance.now();
  const plan = planWorkflow(document);
  const started = performance.now();
  const { run: created } = await runs.start({ plan, version: null, input: {} });
  const ended = (await runs.wait(created.id))!;
  return { ms: performance.now() - started, planMs: started - planning, status: ended.status, started };
}

// Warm up the JIT, the statements and the page cache.
for (let i = 0; i < 3; i++) await run(chain(50));

const gaps: number[] = [];
const firstStep: number[] = [];
for (let r = 0; r < Number(values.runs); r++) {
  calls = [];
  const result = await run(chain(Number(values.steps)));
  if (result.status !== "succeeded") throw new Error(`chain run ${result.status}`);
  firstStep.push(calls[0]!.calledAt - result.started);
  for (let i = 1; i < calls.length; i++) gaps.push(calls[i]!.calledAt - calls[i - 1]!.returnedAt);
}
const f = (ms: number) => `${ms.toFixed(3)} ms`;
console.log(`overhead per step (chain of ${values.steps}, ${gaps.length} steps): p50 ${f(percentile(gaps, 50))}, p95 ${f(percentile(gaps, 95))}, p99 ${f(percentile(gaps, 99))}`);
console.log(`from start() (run created and journaled) to the first step's adapter: p50 ${f(percentile(firstStep, 50))}`);

for (const [label, document] of [["chain", chain(1000)], ["independent", fanOut(1000)], ["foreach", foreach(1000)]] as const) {
  calls = [];
  const result = await run(document);
  if (result.status !== "succeeded") throw new Error(`${label} run ${result.status}`);
  console.log(`1,000-step run, ${label}: ${result.ms.toFixed(0)} ms, ${(1000 / (result.ms / 1000)).toFixed(0)} steps/s (planning the document: ${result.planMs.toFixed(0)} ms)`);
}

await runs.dispose();
state.dispose();
fs.rmSync(dir, { recursive: true, force: true });
