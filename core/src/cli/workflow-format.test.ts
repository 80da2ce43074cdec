import { describe, expect, it } from "vitest";
import type { RunView, StepView } from "./workflow-client.js";
import { formatOutput, formatRun, formatRunsTable, formatSpan, formatWorkflowsTable, runFailure } from "./workflow-format.js";
import { LiveRunView } from "./workflow-live.js";

const T0 = Date.UTC(2026, 0, 2, 15, 4, 5);
const usage = (prompt = 0, completion = 0) => ({ prompt_tokens: prompt, completion_tokens: completion });

function step(id: string, uses: string, fields: Partial<StepView>): StepView {
  return { id, uses, status: "pending", attempts: 0, started_at: null, finished_at: null, output: null, error: null, usage: usage(), ...fields };
}

function runView(fields: Partial<RunView>): RunView {
  return {
    id: "wfrun_1", object: "workflow.run", workflow: { name: "digest", version: 2 }, status: "succeeded", input: {}, output: null, error: null,
    idempotency_key: null, parent_run_id: null, created_at: T0, started_at: T0 + 10, finished_at: T0 + 3210, usage: usage(12, 30), ...fields,
  };
}

const SUCCEEDED = runView({
  output: { summary: "Cats nap." },
  steps: [
    step("mood", "llm", { status: "succeeded", attempts: 1, started_at: T0 + 10, finished_at: T0 + 410, output: { text: '{"mood":"happy"}', json: { mood: "happy" }, finish_reason: "stop", usage: usage(12, 6) }, usage: usage(12, 6) }),
    step("vec", "embed", { status: "succeeded", attempts: 1, started_at: T0 + 10, finished_at: T0 + 15, output: { embeddings: [[0.1, 0.2]], dimensions: 2, usage: { prompt_tokens: 3 } } }),
    step("each", "llm", {
      status: "succeeded", attempts: 3, started_at: T0 + 410, finished_at: T0 + 3200, usage: usage(0, 24),
      output: [{ text: "A" }, { text: "B" }], items: [0, 1].map((index) => ({ index, status: "succeeded" as const, attempts: 1, started_at: T0, finished_at: T0, output: null, error: null, usage: usage() })),
    }),
    step("skip", "tool", { status: "skipped", attempts: 0, started_at: T0 + 3200, finished_at: T0 + 3200 }),
  ],
});

describe("workflow text", () => {
  it("shows a run: its header, one line per step, and its output", () => {
    expect(formatRun(SUCCEEDED, T0 + 5000)).toBe(
      [
        "Run wfrun_1 of digest@2: succeeded in 3.2s",
        "Created 2026-01-02 15:04:05 UTC, tokens 12 prompt, 30 completion",
        "",
        "STEP  USES   STATUS     ATTEMPTS  TIME   TOKENS  RESULT",
        'mood  llm    succeeded  1         400ms  12/6    {"mood":"happy"}',
        "vec   embed  succeeded  1         5ms    -       1 vector of 2 dimensions",
        'each  llm    succeeded  3         2.8s   0/24    ["A","B"]',
        "skip  tool   skipped    -         0ms    -",
        "",
        "Output:",
        "{",
        '  "summary": "Cats nap."',
        "}",
        "",
      ].join("\n"),
    );
  });

  it("says where a run failed, and what a running one is doing", () => {
    const failed = runView({
      status: "failed", workflow: { name: "digest", version: null }, error: { step: "each", index: 1, code: "tool_failed", message: "no" },
      steps: [step("each", "tool", { status: "failed", attempts: 2, started_at: T0, finished_at: T0 + 65_000, error: { step: "each", index: 1, code: "tool_failed", message: "no" } })],
    });
    expect(runFailure(failed)).toBe("run wfrun_1 failed at step each: item 1: tool_failed: no");
    expect(formatRun(failed, T0).split("\n").slice(3)).toEqual([
      "STEP  USES  STATUS  ATTEMPTS  TIME   TOKENS  RESULT", "each  tool  failed  2         1m 5s  -       item 1: tool_failed: no", "", "Run wfrun_1 failed at step each: item 1: tool_failed: no", "",
    ]);
    const running = runView({ status: "running", finished_at: null, steps: [step("each", "llm", { status: "running", attempts: 1, started_at: T0, items: [{ index: 0, status: "succeeded", attempts: 1, started_at: T0, finished_at: T0, output: null, error: null, usage: usage() }] })] });
    expect(formatRun(running, T0 + 1500)).toBe(
      ["Run wfrun_1 of digest@2: running for 1.5s", "Created 2026-01-02 15:04:05 UTC, tokens 12 prompt, 30 completion", "", "STEP  USES  STATUS   ATTEMPTS  TIME  TOKENS  RESULT", "each  llm   running  1         1.5s  -       1 item done", ""].join("\n"),
    );
    expect(runFailure(runView({ status: "cancelled" }))).toBe("run wfrun_1 was cancelled");
  });

  it("lists runs and workflows, and prints an output as text or JSON", () => {
    expect(formatRunsTable([SUCCEEDED, runView({ id: "wfrun_2", status: "pending", started_at: null, finished_at: null, workflow: { name: "x", version: null } })], T0)).toBe(
      ["ID       WORKFLOW    STATUS     CREATED                  TIME  ERROR", "wfrun_1  digest@2    succeeded  2026-01-02 15:04:05 UTC  3.2s", "wfrun_2  x (inline)  pending    2026-01-02 15:04:05 UTC  -", ""].join("\n"),
    );
    expect(formatRunsTable([], T0)).toBe("No workflow runs.\n");
    expect(formatWorkflowsTable([{ name: "digest", version: 2, versions: 2, description: "Two\nlines", created_at: T0 }])).toBe(
      "NAME    LATEST  VERSIONS  SAVED                    DESCRIPTION\ndigest  2       2         2026-01-02 15:04:05 UTC  Two lines\n",
    );
    expect(formatOutput("Once upon a time")).toBe("Once upon a time\n");
    expect(formatOutput(42)).toBe("42\n");
    expect(formatSpan(59_000)).toBe("59.0s");
    expect(formatSpan(61_000)).toBe("1m 1s");
  });
});

/** A stream that keeps what is written, and a clock the test moves. */
function capture(tty: boolean, rows?: number) {
  const written: string[] = [];
  const clock = { now: T0 };
  return { written, clock, stream: { write: (text: string) => written.push(text), isTTY: tty, columns: 80, ...(rows === undefined ? {} : { rows }) } };
}

describe("the live view of a run", () => {
  const steps = [{ id: "calc", uses: "tool" }, { id: "each", uses: "llm" }];

  it("writes one line per step event off a terminal, then the table", () => {
    const { written, clock, stream } = capture(false);
    const view = new LiveRunView({ stream, steps, now: () => clock.now });
    view.handle({ type: "run.started", run_id: "wfrun_1", resumed: false });
    view.handle({ type: "step.started", run_id: "wfrun_1", step: "calc", index: null, attempt: 1 });
    view.handle({ type: "step.retried", run_id: "wfrun_1", step: "calc", index: null, attempt: 1, error: { step: "calc", code: "tool_failed", message: "down" }, delay_ms: 1000 });
    view.handle({ type: "step.started", run_id: "wfrun_1", step: "calc", index: null, attempt: 2 });
    clock.now += 250;
    view.handle({ type: "step.output", run_id: "wfrun_1", step: "calc", index: null, output: { result: "42" } });
    for (const index of [0, 1]) view.handle({ type: "step.started", run_id: "wfrun_1", step: "each", index, attempt: 1 });
    view.handle({ type: "step.output", run_id: "wfrun_1", step: "each", index: 0, output: { text: "A" } });
    view.handle({ type: "step.failed", run_id: "wfrun_1", step: "each", index: 1, attempt: 1, error: { step: "each", index: 1, code: "output_invalid", message: "not JSON" } });
    view.note("a note");
    view.finish(null);
    expect(written.join("")).toBe(
      [
        "run wfrun_1 started",
        "calc started",
        "calc attempt 1 failed (tool_failed: down); retrying in 1.0s",
        "calc started (attempt 2)",
        "calc succeeded in 250ms",
        "each[1] failed after 1 attempt: item 1: output_invalid: not JSON",
        "a note",
        "STEP  USES  STATUS     ATTEMPTS  TIME   TOKENS  RESULT",
        'calc  tool  succeeded  2         250ms  -       {"result":"42"}',
        "each  llm   failed     2         0ms    -       item 1: output_invalid: not JSON",
        "run wfrun_1 running for 250ms",
        "",
      ].join("\n"),
    );
  });

  it("redraws in place on a terminal, and sums up the steps a short terminal has no room for", () => {
    const { written, clock, stream } = capture(true, 7);
    const many = Array.from({ length: 6 }, (_, i) => ({ id: `s${i}`, uses: "tool" }));
    const view = new LiveRunView({ stream, steps: many, intervalMs: 0, now: () => clock.now });
    view.handle({ type: "run.started", run_id: "wfrun_1", resumed: true });
    view.handle({ type: "step.started", run_id: "wfrun_1", step: "s5", index: null, attempt: 1 });
    clock.now += 2000;
    view.finish(null);
    expect(written[0]).toBe(["\r\x1b[J" + "STEP  USES  STATUS   ATTEMPTS  TIME  TOKENS  RESULT", "s0    tool  pending  -         -     -", "s1    tool  pending  -         -     -", "s2    tool  pending  -         -     -", "… 3 more steps (3 pending)", "run wfrun_1 running for 0ms", ""].join("\n"));
    // The running step is kept in sight; the pending ones make room.
    expect(written.at(-1)).toBe(["\x1b[6A\r\x1b[J" + "STEP  USES  STATUS   ATTEMPTS  TIME  TOKENS  RESULT", "s0    tool  pending  -         -     -", "s1    tool  pending  -         -     -", "s5    tool  running  1         2.0s  -", "… 3 more steps (3 pending)", "run wfrun_1 running for 2.0s", ""].join("\n"));
  });

  it("draws nothing for a run refused before it started", () => {
    const { written, stream } = capture(true);
    const view = new LiveRunView({ stream, steps });
    view.finish(null);
    expect(written).toEqual([]);
  });
});
