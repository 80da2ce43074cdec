/**
 * Workflows end to end: the real server on the demo model (stories260K) with the real calculator
 * and text plugins, runs through `/api/workflows` and `/api/workflow-runs`: five steps in one call (an
 * LLM step with a JSON schema, a tool step, a plugin step, a foreach over its result, a final LLM
 * step), an `Idempotency-Key` sent twice, a cancel mid-run, `kill -9` of the server mid-run and a
 * restart that finishes the run with each finished step run exactly once (the journal's attempt
 * counts prove it), and 50 runs at once.
 */
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { packedPlugin } from "../scripts/first-party-plugins.js";
import { pluginCli } from "./helpers/plugin-cli.js";
import { waitForPlugins } from "./helpers/plugins-api.js";
import { ROOT, startShimmy, type ShimmyProcess } from "./helpers/shimmy-process.js";

const DEMO = path.join(ROOT, "models/stories260K.gguf");
let work: string;
let home: string;
let shimmy: ShimmyProcess;

/** Starts the server on the shared home (its plugins and shimmy.db survive a restart). */
const start = () =>
  startShimmy({ args: ["--model", DEMO, "--no-discovery", "--parallel", "2"], home });

async function api(method: string, pathname: string, body?: unknown, headers: Record<string, string> = {}): Promise<{ status: number; json: any; headers: Headers }> {
  const response = await fetch(`${shimmy.url}${pathname}`, {
    method, headers: { ...(body === undefined ? {} : { "content-type": "application/json" }), ...headers }, ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  return { status: response.status, json: await response.json(), headers: response.headers };
}

/** Polls a run until `done` says so (at most `timeoutMs`); the run as last read. */
async function pollRun(id: string, done: (run: any) => boolean, timeoutMs = 60_000): Promise<any> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const { json } = await api("GET", `/api/workflow-runs/${id}`);
    if (done(json)) return json;
    if (Date.now() > deadline) throw new Error(`run ${id} did not get there: ${JSON.stringify(json).slice(0, 500)}`);
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

const say = (content: string, maxTokens: number, extra: Record<string, unknown> = {}) => ({ model: "stories260K", messages: [{ role: "user", content }], max_tokens: maxTokens, seed: 7, ...extra });

/** A long list of short stories: many LLM attempts, one after another. */
const longRun = (items: number, maxTokens = 200) => ({
  name: "long",
  steps: [
    { id: "calc", uses: "tool", with: { name: "calculate", arguments: { expression: "6*7" } } },
    { id: "stories", uses: "llm", foreach: `\${{ [1..${items}] }}`, concurrency: 1, with: say("Story ${{ item }} about ${{ steps.calc.output.result }} cats", maxTokens) },
    { id: "end", uses: "llm", with: say("The end of ${{ $count(steps.stories.output) }} stories", 8) },
  ],
  output: { count: "${{ $count(steps.stories.output) }}", answer: "${{ steps.calc.output.result }}" },
});

beforeAll(async () => {
  work = fs.mkdtempSync(path.join(os.tmpdir(), "shimmy-workflows-"));
  home = path.join(work, "home");
  fs.mkdirSync(path.join(home, ".shimmy"), { recursive: true });
  shimmy = await start();
  for (const name of ["calculator", "text"]) {
    const run = await pluginCli(home, ["install", packedPlugin(inject("firstPartyPlugins"), name).tgz, "--yes"]);
    expect(run.code, run.stderr).toBe(0);
  }
  await waitForPlugins(shimmy.url, (plugins) => plugins.filter((p) => p.status === "ready").length === 2);
}, 180_000);

afterAll(async () => {
  await shimmy?.stop();
  if (work) fs.rmSync(work, { recursive: true, force: true });
});

describe("workflows on the real server", () => {
  it("runs five steps in one call: an LLM step with a JSON schema, a tool, a plugin step, a foreach over its result, a final LLM step", async () => {
    const workflow = {
      name: "digest",
      input: { type: "object", required: ["animals"], properties: { animals: { type: "string" } } },
      steps: [
        { id: "mood", uses: "llm", with: say("How do cats feel?", 40, { response_format: { type: "json_schema", json_schema: { name: "mood", schema: { type: "object", properties: { mood: { enum: ["happy", "sad"] } }, required: ["mood"], additionalProperties: false } } } }) },
        { id: "calc", uses: "tool", with: { name: "calculate", arguments: { expression: "6*7" } } },
        { id: "split", uses: "step", with: { name: "split", plugin: "text", input: { text: "${{ input.animals }}", separator: ",", trim: true } } },
        { id: "each", uses: "llm", foreach: "${{ steps.split.output.pieces }}", concurrency: 2, with: say("A ${{ steps.mood.output.json.mood }} ${{ item }} saw ${{ steps.calc.output.result }} birds", 12) },
        { id: "final", uses: "llm", with: say("Once upon a time ${{ $join(steps.each.output.text, ' ') }}", 16) },
      ],
      output: { mood: "${{ steps.mood.output.json.mood }}", answer: "${{ steps.calc.output.result }}", stories: "${{ $count(steps.each.output) }}", end: "${{ steps.final.output.text }}" },
    };
    expect((await api("POST", "/api/workflows", workflow)).status).toBe(201);
    const { status, json: run } = await api("POST", "/api/workflows/digest/runs", { input: { animals: "cat, dog ,fox" }, wait: true });
    expect(status).toBe(200);
    expect(run.status, JSON.stringify(run.error)).toBe("succeeded");
    expect(["happy", "sad"]).toContain(run.output.mood);
    expect(run.output).toMatchObject({ answer: "42", stories: 3 });
    expect(run.output.end.length).toBeGreaterThan(0);
    expect(run.steps.map((s: any) => [s.id, s.status, s.attempts])).toEqual([["mood", "succeeded", 1], ["calc", "succeeded", 1], ["split", "succeeded", 1], ["each", "succeeded", 3], ["final", "succeeded", 1]]);
    expect(run.steps[2].output).toEqual({ pieces: ["cat", "dog", "fox"], count: 3 });
    // The calculator declares idempotentHint: re-running it after a restart (at-least-once) is harmless.
    expect(run.steps[1].idempotent).toBe(true);
    expect(run.steps[3].items.every((item: any) => item.usage.completion_tokens > 0)).toBe(true);
    expect(run.usage.prompt_tokens).toBeGreaterThan(0);
  }, 120_000);

  it("returns the same run for an Idempotency-Key sent twice", async () => {
    const body = { workflow: { name: "once", steps: [{ id: "calc", uses: "tool", with: { name: "calculate", arguments: { expression: "1+2" } } }] }, wait: true };
    const first = await api("POST", "/api/workflow-runs", body, { "Idempotency-Key": "e2e-key" });
    const second = await api("POST", "/api/workflow-runs", body, { "Idempotency-Key": "e2e-key" });
    expect(first.json.status).toBe("succeeded");
    expect(second.json.id).toBe(first.json.id);
    expect(second.headers.get("idempotent-replayed")).toBe("true");
    const runs = (await api("GET", "/api/workflow-runs?workflow=once")).json.data;
    expect(runs).toHaveLength(1);
    expect(runs[0].id).toBe(first.json.id);
  });

  it("cancels a run mid-way: the step in flight stops, and nothing more starts", async () => {
    const { status, json } = await api("POST", "/api/workflow-runs", { workflow: longRun(200) });
    expect(status).toBe(202);
    await pollRun(json.id, (run) => run.steps[1].items?.some((item: any) => item.status === "succeeded"));
    const cancelled = (await api("POST", `/api/workflow-runs/${json.id}/cancel`)).json;
    expect(cancelled.status).toBe("cancelled");
    expect(cancelled.steps[2].status).toBe("pending");
    const attempts = cancelled.steps[1].attempts;
    await new Promise((resolve) => setTimeout(resolve, 500));
    expect((await api("GET", `/api/workflow-runs/${json.id}`)).json.steps[1].attempts).toBe(attempts);
    // The engine is free for other work at once.
    const quick = (await api("POST", "/api/workflow-runs", { workflow: { name: "quick", steps: [{ id: "s", uses: "llm", with: say("Hi", 4) }] }, wait: true })).json;
    expect(quick.status).toBe("succeeded");
  }, 120_000);

  it("survives kill -9 mid-run: after a restart the run completes, and each finished step ran exactly once", async () => {
    const items = 30;
    const { json } = await api("POST", "/api/workflow-runs", { workflow: longRun(items, 120) });
    const before = await pollRun(json.id, (run) => run.steps[1].items?.filter((item: any) => item.status === "succeeded").length >= 3);
    shimmy.child.kill("SIGKILL");
    await new Promise((resolve) => shimmy.child.once("exit", resolve));
    await shimmy.stop();
    const finishedBefore: number[] = before.steps[1].items.filter((item: any) => item.status === "succeeded").map((item: any) => item.index);

    const restartedAt = Date.now();
    shimmy = await start();
    const readyAt = Date.now();
    await pollRun(json.id, (run) => run.status !== "running", 120_000);
    const done = (await api("GET", `/api/workflow-runs/${json.id}?include=attempts`)).json;
    expect(done.status, JSON.stringify(done.error)).toBe("succeeded");
    expect(done.output).toEqual({ count: items, answer: "42" });
    // The journal: every unit of work succeeded exactly once; the only other attempt is the one the kill interrupted.
    const units = new Map<string, string[]>();
    for (const attempt of done.attempts) units.set(`${attempt.step}/${attempt.index}`, [...(units.get(`${attempt.step}/${attempt.index}`) ?? []), attempt.status]);
    expect(units.size).toBe(items + 2);
    for (const statuses of units.values()) expect(statuses.filter((s) => s === "succeeded")).toHaveLength(1);
    const others = done.attempts.filter((a: any) => a.status !== "succeeded");
    expect(others.length).toBeLessThanOrEqual(1);
    for (const other of others) expect(other).toMatchObject({ step: "stories", status: "interrupted" });
    for (const index of finishedBefore) expect(units.get(`stories/${index}`)).toEqual(["succeeded"]);
    expect(units.get("calc/null")).toEqual(["succeeded"]);
    const resumedAt = Math.min(...done.attempts.filter((a: any) => a.started_at >= restartedAt).map((a: any) => a.started_at));
    console.info(`workflow resume: the next step started ${resumedAt - restartedAt} ms after the restart began, ${resumedAt - readyAt} ms after the server was listening`);
  }, 240_000);

  it("runs 50 runs at once", async () => {
    const workflow = { name: "small", steps: [{ id: "calc", uses: "tool", with: { name: "calculate", arguments: { expression: "2*21" } } }, { id: "say", uses: "llm", with: say("${{ steps.calc.output.result }} cats", 8) }] };
    expect((await api("POST", "/api/workflows", workflow)).status).toBe(201);
    const runs = await Promise.all(Array.from({ length: 50 }, (_, i) => api("POST", "/api/workflows/small/runs", { input: { i }, wait: true })));
    expect(runs.map((r) => r.json.status)).toEqual(Array(50).fill("succeeded"));
    expect(new Set(runs.map((r) => r.json.id)).size).toBe(50);
    expect(runs.every((r) => r.json.steps[0].output.result === "42")).toBe(true);
  }, 180_000);
});
