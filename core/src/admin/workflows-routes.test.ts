import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { FakeEngine } from "../engine/fake-engine.js";
import { ShimmyError } from "../errors.js";
import { startTestApp, type TestApp } from "../http/test-app.fixture.js";
import type { InstalledPlugins } from "../plugins/installed-plugins.js";
import { fakePlugins } from "../tools/fake-plugins.fixture.js";

/** The fake plugins' tools, and a `text` step plugin with one `upper` step. */
const tools = fakePlugins();
const stepCalls: { name: string; input: unknown; signal?: AbortSignal }[] = [];
const plugins = {
  ...tools,
  async callStep(request: { name: string; plugin?: string; input: unknown }, options: { signal?: AbortSignal } = {}) {
    stepCalls.push({ name: request.name, input: request.input, ...(options.signal ? { signal: options.signal } : {}) });
    if (request.name !== "upper") throw new ShimmyError("step_not_found", `no step ${request.name}`);
    return { text: String((request.input as { text: string }).text).toUpperCase() };
  },
} as unknown as InstalledPlugins;

/** JSON for requests with a response_format, a call of the first tool when tools are offered, else an echo. */
const engine = new FakeEngine({
  answer: (request) => {
    if (!("turns" in request)) return { text: "" };
    if (request.responseFormat) return { text: '{"topic": "cats", "count": 2}' };
    if (request.tools?.length && request.toolChoice?.mode !== "none") return { toolCalls: [{ name: request.tools[0]!.name, arguments: '{"expression": "6*7"}' }] };
    return { text: `You said: ${request.turns.at(-1)!.text}` };
  },
});
const slowEngine = new FakeEngine({ tokenDelayMs: 200 });
let app: TestApp;
let slowApp: TestApp;

beforeAll(async () => {
  app = await startTestApp({ engine, plugins });
  slowApp = await startTestApp({ engine: slowEngine, plugins });
});
afterAll(async () => {
  await app?.close();
  await slowApp?.close();
});

const FIVE_STEPS = {
  name: "digest",
  description: "Five kinds of work",
  input: { type: "object", required: ["text"], properties: { text: { type: "string" } } },
  steps: [
    {
      id: "classify", uses: "llm",
      with: {
        model: "fake-chat", messages: [{ role: "user", content: "Classify: ${{ input.text }}" }],
        response_format: { type: "json_schema", json_schema: { name: "c", schema: { type: "object", properties: { topic: { type: "string" }, count: { type: "integer" } }, required: ["topic", "count"] } } },
      },
    },
    { id: "calc", uses: "tool", with: { name: "calculate", arguments: { expression: "6*7" } } },
    { id: "shout", uses: "step", with: { name: "upper", input: { text: "${{ steps.classify.output.json.topic }}" } } },
    { id: "each", uses: "llm", foreach: "${{ [1..steps.classify.output.json.count] }}", concurrency: 2, with: { model: "fake-chat", messages: [{ role: "user", content: "item ${{ item }} of ${{ steps.shout.output.text }}" }] } },
    { id: "vec", uses: "embed", with: { model: "fake-embed", input: "${{ steps.calc.output.result }}" } },
  ],
  output: {
    topic: "${{ steps.shout.output.text }}", answer: "${{ steps.calc.output.result }}", items: "${{ steps.each.output.text }}", dims: "${{ steps.vec.output.dimensions }}",
  },
};

/** Reads a server-sent event stream to its end: the JSON events before `[DONE]`. */
async function sseEvents(response: Response): Promise<Record<string, unknown>[]> {
  const text = await response.text();
  const data = text.split("\n\n").filter((chunk) => chunk.startsWith("data: ")).map((chunk) => chunk.slice("data: ".length));
  expect(data.at(-1)).toBe("[DONE]");
  return data.slice(0, -1).map((line) => JSON.parse(line) as Record<string, unknown>);
}

const waitForEnd = async (test: TestApp, id: string) => {
  for (;;) {
    const run = (await test.request("GET", `/api/workflow-runs/${id}`)).json();
    if (!["pending", "running"].includes(run.status)) return run;
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
};

describe("/api/workflows", () => {
  it("saves versions, answers a repeat unchanged, and refuses another document for a saved version", async () => {
    const first = await app.request("POST", "/api/workflows", FIVE_STEPS);
    expect(first.status).toBe(201);
    expect(first.json()).toMatchObject({ object: "workflow", name: "digest", version: 1, description: "Five kinds of work", document: { version: 1 } });
    expect((await app.request("POST", "/api/workflows", { ...FIVE_STEPS, version: 1 })).status).toBe(200);
    const conflict = await app.request("POST", "/api/workflows", { ...FIVE_STEPS, version: 1, description: "changed" });
    expect(conflict.status).toBe(409);
    expect(conflict.json().error).toMatchObject({ code: "workflow_version_exists", param: "version" });
    expect((await app.request("POST", "/api/workflows", { ...FIVE_STEPS, description: "v2" })).json().version).toBe(2);
  });

  it("lists workflows, reads one by version, deletes every version", async () => {
    await app.request("POST", "/api/workflows", { name: "gone", steps: [{ id: "a", uses: "tool", with: { name: "now" } }] });
    const list = (await app.request("GET", "/api/workflows")).json();
    expect(list.data.map((w: { name: string; version: number; versions: number }) => [w.name, w.version, w.versions])).toEqual([["digest", 2, 2], ["gone", 1, 1]]);
    expect((await app.request("GET", "/api/workflows/digest?version=1")).json()).toMatchObject({ version: 1, versions: [1, 2], description: "Five kinds of work" });
    expect((await app.request("GET", "/api/workflows/digest?version=9")).json().error).toMatchObject({ code: "workflow_not_found", param: "version" });
    expect((await app.request("DELETE", "/api/workflows/gone")).json()).toEqual({ object: "workflow", name: "gone", deleted: true, versions: 1 });
    expect((await app.request("GET", "/api/workflows/gone")).status).toBe(404);
    expect((await app.request("DELETE", "/api/workflows/gone")).json().error.code).toBe("workflow_not_found");
  });

  it("refuses a bad document with a 400 naming its JSON path", async () => {
    const bad = await app.request("POST", "/api/workflows", { name: "bad", steps: [{ id: "a", uses: "tool", with: { name: "${{ steps.b.output }}" } }] });
    expect(bad.status).toBe(400);
    expect(bad.json().error).toMatchObject({ code: "workflow_invalid", type: "invalid_request_error", param: "steps.0.with.name" });
  });
});

describe("running workflows", () => {
  it("runs a saved workflow of five kinds of step with wait: true and answers its output, steps and tokens", async () => {
    const answer = await app.request("POST", "/api/workflows/digest/runs", { input: { text: "a cat sat" }, wait: true, version: 1 });
    expect(answer.status).toBe(200);
    const run = answer.json();
    expect(run).toMatchObject({
      object: "workflow.run", workflow: { name: "digest", version: 1 }, status: "succeeded", error: null,
      output: { topic: "CATS", answer: "42", items: ["You said: item 1 of CATS", "You said: item 2 of CATS"], dims: 8 },
    });
    expect(run.steps.map((s: { id: string; status: string; attempts: number }) => [s.id, s.status, s.attempts])).toEqual([
      ["classify", "succeeded", 1], ["calc", "succeeded", 1], ["shout", "succeeded", 1], ["each", "succeeded", 2], ["vec", "succeeded", 1],
    ]);
    expect(run.steps[0].output.json).toEqual({ topic: "cats", count: 2 });
    expect(run.steps[3].items.map((item: { index: number }) => item.index)).toEqual([0, 1]);
    expect(run.usage.prompt_tokens).toBeGreaterThan(0);
    expect(run.usage.completion_tokens).toBeGreaterThan(0);
    expect(run.started_at).toBeGreaterThanOrEqual(run.created_at);
    expect(run.finished_at).toBeGreaterThanOrEqual(run.started_at);
  });

  it("answers 202 with the run id, which GET then reads to its end, and lists runs by workflow and status", async () => {
    const accepted = await app.request("POST", "/api/workflows/digest/runs", { input: { text: "x" } });
    expect(accepted.status).toBe(202);
    const { id } = accepted.json();
    expect(accepted.headers.get("location")).toBe(`/api/workflow-runs/${id}`);
    expect((await waitForEnd(app, id)).status).toBe("succeeded");
    const list = (await app.request("GET", "/api/workflow-runs?workflow=digest&status=succeeded&limit=1")).json();
    expect(list).toMatchObject({ object: "list", first_id: id, has_more: true });
    expect(list.data[0].steps).toBeUndefined();
    const next = (await app.request("GET", `/api/workflow-runs?workflow=digest&limit=10&after=${id}`)).json();
    expect(next.data.every((run: { workflow: { name: string } }) => run.workflow.name === "digest")).toBe(true);
    expect((await app.request("GET", "/api/workflow-runs?status=done")).json().error.param).toBe("status");
  });

  it("streams events per step and the ended run", async () => {
    const response = await fetch(`${app.base}/api/workflow-runs`, {
      method: "POST", headers: { "content-type": "application/json" },
      body: JSON.stringify({ workflow: { name: "inline", steps: [{ id: "a", uses: "tool", with: { name: "calculate", arguments: { expression: "6*7" } } }, { id: "b", uses: "tool", with: { name: "now" }, needs: ["a"] }] }, stream: true }),
    });
    expect(response.headers.get("content-type")).toMatch(/text\/event-stream/);
    const events = await sseEvents(response);
    expect(events.map((e) => [e.type, e.step ?? null])).toEqual([
      ["run.started", null], ["step.started", "a"], ["step.output", "a"], ["step.started", "b"], ["step.output", "b"], ["run.finished", null], ["run", null],
    ]);
    expect(events.at(-1)).toMatchObject({ type: "run", run: { status: "succeeded", workflow: { name: "inline", version: null } } });
  });

  it("refuses an inline document's faults with paths under workflow, and input that breaks the input schema", async () => {
    const bad = await app.request("POST", "/api/workflow-runs", { workflow: { name: "x", steps: [{ id: "a", uses: "nope" }] } });
    expect(bad.json().error).toMatchObject({ code: "workflow_invalid", param: "workflow.steps.0.uses" });
    const missing = await app.request("POST", "/api/workflow-runs", { input: {} });
    expect(missing.json().error).toMatchObject({ code: "invalid_parameter", param: "workflow" });
    const input = await app.request("POST", "/api/workflows/digest/runs", { input: { text: 5 } });
    expect(input.status).toBe(400);
    expect(input.json().error).toMatchObject({ code: "invalid_parameter", param: "input.text" });
    expect((await app.request("POST", "/api/workflows/none/runs", {})).json().error.code).toBe("workflow_not_found");
  });

  it("returns the same run for the same Idempotency-Key, and a 409 for the key with another input", async () => {
    const body = { input: { text: "same" }, wait: true };
    const first = await app.request("POST", "/api/workflows/digest/runs", body, { "idempotency-key": "key-1" });
    const again = await app.request("POST", "/api/workflows/digest/runs", body, { "idempotency-key": "key-1" });
    expect(again.json().id).toBe(first.json().id);
    expect(again.headers.get("idempotent-replayed")).toBe("true");
    expect(again.json().idempotency_key).toBe("key-1");
    const other = await app.request("POST", "/api/workflows/digest/runs", { input: { text: "other" } }, { "idempotency-key": "key-1" });
    expect(other.status).toBe(409);
    expect(other.json().error.code).toBe("idempotency_key_reused");
  });

  it("gives an llm step plugin tools through the server's tool loop", async () => {
    const run = (await app.request("POST", "/api/workflow-runs", {
      workflow: { name: "tools", steps: [{ id: "ask", uses: "llm", with: { model: "fake-chat", messages: [{ role: "user", content: "6*7?" }], plugins: ["calculator"], max_tool_rounds: 1 } }] },
      wait: true,
    })).json();
    expect(run.status).toBe("succeeded");
    const calls = tools.calls.filter((c) => c.options.requestId === `${run.id}/ask`);
    expect(calls.map((c) => [c.plugin, c.name, c.arguments])).toEqual([["calculator", "calculate", { expression: "6*7" }]]);
    expect(run.steps[0].output.text).toMatch(/^You said: /);
    expect(run.steps[0].output.finish_reason).toBe("stop");
  });

  it("answers a failed run with the step that failed and why", async () => {
    const run = (await app.request("POST", "/api/workflow-runs", { workflow: { name: "broken", steps: [{ id: "boom", uses: "tool", with: { name: "trap" } }] }, wait: true })).json();
    expect(run.status).toBe("failed");
    expect(run.error).toEqual({ step: "boom", code: "tool_failed", message: "bomb trap: the plugin trapped (unreachable)" });
    expect(run.steps[0]).toMatchObject({ status: "failed", attempts: 1, error: { code: "tool_failed" } });
  });

  it("cancels a run mid-generation: the LLM step aborts and its slot is free again", async () => {
    const accepted = await slowApp.request("POST", "/api/workflow-runs", {
      workflow: { name: "slow", steps: [{ id: "talk", uses: "llm", with: { model: "fake-chat", messages: [{ role: "user", content: "one two three four five six seven eight" }] } }] },
    });
    const { id } = accepted.json();
    while (slowEngine.slotStatus().every((slot) => slot.busy === 0)) await new Promise((resolve) => setTimeout(resolve, 10));
    const cancelled = await slowApp.request("POST", `/api/workflow-runs/${id}/cancel`);
    expect(cancelled.json()).toMatchObject({ id, status: "cancelled", steps: [{ id: "talk", status: "cancelled" }] });
    expect(slowEngine.slotStatus().every((slot) => slot.busy === 0)).toBe(true);
    expect((await slowApp.request("POST", `/api/workflow-runs/${id}/cancel`)).json().status).toBe("cancelled");
    expect((await slowApp.request("POST", "/api/workflow-runs/wfrun_nope/cancel")).json().error.code).toBe("workflow_run_not_found");
    expect((await slowApp.request("GET", "/api/workflow-runs/wfrun_nope")).status).toBe(404);
  });
});
