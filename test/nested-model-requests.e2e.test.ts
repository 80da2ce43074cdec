/**
 * Nested model requests (issue 26) at `--max-loaded-models 1` and `--parallel 1`: a chat whose tool
 * loop runs a plugin tool that itself asks a model (`shimmy_chat`), another one or the same one. The
 * session holds its model and slot only while a round generates, so the tool's request can take the
 * model's place, or its one slot, while the tool runs, and the next round takes them back. One real
 * server, two copies of the tiny ChatML fixture, one thread, a real compiled test plugin
 * (`core/test-plugins/ask-model.ts`).
 */
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import type OpenAI from "openai";
import type { RoundTrace, ToolCallTrace, ToolTraceEntry } from "../core/src/tools/tool-trace.js";
import { pluginCommandHere } from "./helpers/plugin-cli.js";
import { adminApi, waitForPlugins } from "./helpers/plugins-api.js";
import { startShimmy, type ShimmyProcess } from "./helpers/shimmy-process.js";
import { packTestPlugin } from "./helpers/test-plugin-package.js";

type Answer = OpenAI.Chat.Completions.ChatCompletion & { tool_trace?: ToolTraceEntry[] };

let shimmy: ShimmyProcess;
let client: OpenAI;
let work: string;

beforeAll(async () => {
  work = fs.mkdtempSync(path.join(os.tmpdir(), "shimmy-nested-"));
  const models = path.join(work, "models");
  fs.mkdirSync(models);
  // Two ids for the one smallest chat fixture: what matters is that they are two models.
  fs.copyFileSync(inject("fixtureModels").chat, path.join(models, "alpha.gguf"));
  fs.copyFileSync(inject("fixtureModels").chat, path.join(models, "beta.gguf"));
  const home = path.join(work, "home");
  fs.mkdirSync(path.join(home, ".shimmy"), { recursive: true });
  const starting = startShimmy({
    args: ["--models-dir", models, "--max-loaded-models", "1", "--parallel", "1"],
    home,
  });
  let tgz: string;
  try {
    tgz = await packTestPlugin(
      "ask-model",
      {
        name: "ask-model", version: "1.0.0", description: "test plugin", shimmy: "*",
        capabilities: [{
          kind: "tool", name: "ask", export: "ask", description: "Asks another model",
          inputSchema: { type: "object", properties: { model: { enum: ["beta"] } }, required: ["model"], additionalProperties: false },
        }],
        permissions: { models: ["beta"] },
        limits: { memoryMaxPages: 64, timeoutMs: 120_000, maxResponseBytes: 65536 },
      } as { name: string; version: string },
      work,
    );
  } finally {
    shimmy = await starting;
  }
  // The bound on the nested request, generous since three runner starts on the suite's two busy cores
  // took up to 8 s each: a deadlock fails here, before the tool's own timeout could end it.
  client = shimmy.client({ timeout: 90_000 });
  const run = await pluginCommandHere(home, ["install", tgz, "--yes"]);
  expect(run.code, run.stderr).toBe(0);
  await waitForPlugins(shimmy.url, (p) => p.some((x) => x.name === "ask-model" && x.status === "ready"));
}, 180_000);

afterAll(async () => {
  await shimmy?.stop();
  if (work) fs.rmSync(work, { recursive: true, force: true });
});

/**
 * Asks `model` with the `ask` tool forced once, while polling `/api/models`: the answer, its trace,
 * and the most models loaded at one sample.
 */
async function askThroughTool(model: string): Promise<{ answer: Answer; calls: ToolCallTrace[]; rounds: RoundTrace[]; mostLoaded: number; polls: number }> {
  let polling = true;
  let mostLoaded = 0;
  let polls = 0;
  const poller = (async () => {
    while (polling) {
      const { json } = await adminApi(shimmy.url, "/api/models");
      mostLoaded = Math.max(mostLoaded, (json.models as { loaded: boolean }[]).filter((m) => m.loaded).length);
      polls++;
      await new Promise((r) => setTimeout(r, 25));
    }
  })();
  let answer: Answer;
  try {
    answer = (await client.chat.completions.create({
      model,
      messages: [{ role: "user", content: "Ask beta." }],
      tool_choice: { type: "function", function: { name: "ask-model__ask" } },
      max_tokens: 120,
      seed: 1,
      ...{ plugins: ["ask-model"], max_tool_rounds: 1 },
    } as OpenAI.Chat.Completions.ChatCompletionCreateParamsNonStreaming)) as Answer;
  } finally {
    polling = false;
    await poller;
  }
  const trace = answer.tool_trace ?? [];
  return {
    answer,
    calls: trace.filter((e): e is ToolCallTrace => e.type === "tool_call"),
    rounds: trace.filter((e): e is RoundTrace => e.type === "round"),
    mostLoaded,
    polls,
  };
}

/** The models loaded and unloaded so far, from the server's log. */
const lifecycle = () =>
  shimmy.logs
    .filter((l) => l.event === "model_loaded" || l.event === "model_unloaded")
    .map((l) => `${l.event === "model_loaded" ? "load" : `unload(${String(l.reason)})`} ${String(l.model)}`);

describe("a tool loop whose tool asks a model, at --max-loaded-models 1 and --parallel 1", () => {
  it("completes when the tool asks another model: it takes the first one's place while the tool runs, and at most one is loaded at any time", async () => {
    const { answer, calls, rounds, mostLoaded, polls } = await askThroughTool("alpha");
    expect(calls, JSON.stringify(answer.tool_trace)).toMatchObject([{ name: "ask-model__ask", arguments: { model: "beta" }, result: { text: expect.any(String) } }]);
    expect(rounds.map((r) => r.finish_reason)).toEqual(["tool_calls", expect.stringMatching(/^(stop|length)$/)]);
    // Alpha was unloaded for beta and loaded again: round 2 runs in a fresh runner, its prompt
    // evaluated whole from the messages, none of round 1's cache kept.
    expect(rounds[1]!.prompt_tokens_reused).toBe(0);
    expect(answer.choices[0]!.finish_reason).toMatch(/^(stop|length)$/);
    expect(lifecycle()).toEqual(["load alpha", "unload(evicted) alpha", "load beta", "unload(evicted) beta", "load alpha"]);
    expect(polls).toBeGreaterThan(2);
    expect(mostLoaded).toBe(1);
  }, 100_000);

  it("completes when the tool asks the same model: the round's one slot is free while the tool runs", async () => {
    const before = lifecycle().length;
    const { answer, calls, rounds, mostLoaded } = await askThroughTool("beta");
    expect(calls, JSON.stringify(answer.tool_trace)).toMatchObject([{ arguments: { model: "beta" }, result: { text: expect.any(String) } }]);
    expect(rounds.map((r) => r.finish_reason)).toEqual(["tool_calls", expect.stringMatching(/^(stop|length)$/)]);
    // One load of beta serves both rounds and the tool's request.
    expect(lifecycle().slice(before)).toEqual(["unload(evicted) alpha", "load beta"]);
    expect(mostLoaded).toBe(1);
  }, 100_000);
});
