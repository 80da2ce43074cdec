import { afterAll, describe, expect, it } from "vitest";
import { openStateDb } from "./state-db.js";
import { SqliteWorkflowRunStore, type NewRun } from "./workflow-runs-repo.js";
import { SqliteWorkflowStore } from "./workflows-repo.js";

const state = openStateDb({ file: ":memory:" });
afterAll(() => state.dispose());
const workflows = new SqliteWorkflowStore(state.db);
const runs = new SqliteWorkflowRunStore(state.db);

const newRun = (id: string, extra: Partial<NewRun> = {}): NewRun => ({
  id, workflowName: "w", workflowVersion: 1, document: { name: "w", steps: [] }, input: { x: 1 }, idempotencyKey: null, requestHash: "h",
  parentRunId: null, depth: 0, createdAt: 1000, ...extra,
});

describe("SqliteWorkflowStore", () => {
  it("numbers versions, keeps each, tells a repeated save from a conflicting one", () => {
    const first = workflows.save({ name: "w", description: "one", document: { name: "w", steps: [1] }, createdAt: 1 });
    expect(first).toMatchObject({ outcome: "created", workflow: { version: 1, document: { name: "w", steps: [1], version: 1 } } });
    expect(workflows.save({ name: "w", description: "two", document: { name: "w", steps: [2] }, createdAt: 2 }).workflow.version).toBe(2);
    expect(workflows.save({ name: "w", version: 2, description: "two", document: { name: "w", steps: [2], version: 2 }, createdAt: 3 }).outcome).toBe("unchanged");
    expect(workflows.save({ name: "w", version: 2, description: "x", document: { name: "w", steps: [3], version: 2 }, createdAt: 3 }).outcome).toBe("conflict");
    expect(workflows.save({ name: "w", version: 7, description: null, document: { name: "w", steps: [] }, createdAt: 4 }).workflow.version).toBe(7);
    expect(workflows.versions("w")).toEqual([1, 2, 7]);
    expect(workflows.get("w")!.version).toBe(7);
    expect(workflows.get("w", 1)!.description).toBe("one");
    expect(workflows.get("w", 3)).toBeNull();
  });

  it("lists each workflow's latest version with its count, and deletes every version", () => {
    workflows.save({ name: "a", description: null, document: { name: "a", steps: [] }, createdAt: 5 });
    expect(workflows.list().map((w) => [w.name, w.version, w.versions])).toEqual([["a", 1, 1], ["w", 7, 3]]);
    expect(workflows.delete("w")).toBe(3);
    expect(workflows.delete("w")).toBe(0);
    expect(workflows.get("w")).toBeNull();
  });
});

describe("SqliteWorkflowRunStore", () => {
  it("creates a run once per idempotency key", () => {
    expect(runs.create(newRun("r1", { idempotencyKey: "k" }))).toMatchObject({ created: true, run: { id: "r1", status: "pending", input: { x: 1 } } });
    expect(runs.create(newRun("r2", { idempotencyKey: "k" }))).toMatchObject({ created: false, run: { id: "r1" } });
    expect(runs.byIdempotencyKey("k")!.id).toBe("r1");
    expect(runs.get("r2")).toBeNull();
  });

  it("journals attempts with their output, error and tokens, and interrupts those left running", () => {
    runs.markRunning("r1", 2000);
    runs.markRunning("r1", 3000);
    expect(runs.get("r1")).toMatchObject({ status: "running", startedAt: 2000 });
    const a1 = { runId: "r1", stepId: "a", index: null, attempt: 1 };
    runs.startAttempt(a1, { q: 1 }, 2001);
    runs.finishAttempt(a1, { status: "succeeded", output: { text: "hi" }, finishedAt: 2002, promptTokens: 5, completionTokens: 7 });
    const item = { runId: "r1", stepId: "each", index: 0, attempt: 1 };
    runs.startAttempt(item, "x", 2003);
    runs.startAttempt({ ...item, index: 1 }, "y", 2004);
    runs.finishAttempt({ ...item, index: 1 }, { status: "failed", error: { step: "each", index: 1, code: "tool_failed", message: "no" }, finishedAt: 2005 });
    expect(runs.interruptAttempts("r1", 2006)).toBe(1);
    expect(runs.attempts("r1").map((a) => [a.stepId, a.index, a.status, a.output, a.error?.code ?? null, a.promptTokens])).toEqual([
      ["a", null, "succeeded", { text: "hi" }, null, 5],
      ["each", 0, "interrupted", null, null, null],
      ["each", 1, "failed", null, "tool_failed", null],
    ]);
  });

  it("ends a run once, and lists unfinished runs for resuming", () => {
    runs.create(newRun("r3"));
    expect(runs.unfinished().map((r) => r.id)).toEqual(["r1", "r3"]);
    expect(runs.finish("r1", { status: "succeeded", output: [1], finishedAt: 9 })).toBe(true);
    expect(runs.finish("r1", { status: "failed", finishedAt: 10 })).toBe(false);
    expect(runs.get("r1")).toMatchObject({ status: "succeeded", output: [1], finishedAt: 9, error: null });
    expect(runs.unfinished().map((r) => r.id)).toEqual(["r3"]);
  });

  it("pages runs newest first, filtered by workflow and status", () => {
    runs.create(newRun("r4", { workflowName: "other" }));
    runs.create(newRun("r5"));
    expect(runs.list({}, { limit: 2, order: "desc" })).toMatchObject({ data: [{ id: "r5" }, { id: "r4" }], hasMore: true });
    expect(runs.list({}, { limit: 2, order: "desc", after: "r4" })!.data.map((r) => r.id)).toEqual(["r3", "r1"]);
    expect(runs.list({ workflow: "w", status: "pending" }, { limit: 10, order: "asc" })!.data.map((r) => r.id)).toEqual(["r3", "r5"]);
    expect(runs.list({}, { limit: 10, order: "asc", after: "nope" })).toBeNull();
  });

  it("deletes a child run and the journal with its parent", () => {
    runs.create(newRun("child", { parentRunId: "r5", depth: 1 }));
    runs.startAttempt({ runId: "child", stepId: "s", index: null, attempt: 1 }, null, 1);
    state.db.prepare("DELETE FROM workflow_runs WHERE id = 'r5'").run();
    expect(runs.get("child")).toBeNull();
    expect(runs.attempts("child")).toEqual([]);
  });
});
