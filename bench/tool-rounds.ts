/**
 * The server-side tool loop over a 10-round conversation (a forced plugin call every round, then a
 * final answer with tools off), two ways:
 * - kept: one slot held for the whole loop (`Engine.chatSession`), so each round evaluates only its
 *   new tokens;
 * - not kept: each round on a fresh session after another conversation used the one slot, as a
 *   stateless server under load would run it.
 * It prints prompt tokens evaluated per round both ways, and the loop's own cost per round beyond the
 * plugin call and the model's generation: with llama.cpp (wall time less generation and calls), and
 * with a fake engine and an instant tool (the loop's bookkeeping alone: argument checks, trace, turns).
 *   npx tsx bench/tool-rounds.ts [--threads 1] [--rounds 10] [--model FILE.gguf]
 */
import path from "node:path";
import { parseArgs } from "node:util";
// From the build: the engine probe-loads each model with its compiled probe-load.js in a child process.
import { LlamaEngine } from "../core/dist/engine/llama-engine.js";
import { FakeEngine } from "../core/src/engine/fake-engine.js";
import type { ChatSession, ChatSessionOptions, Engine } from "../core/src/engine/types.js";
import { createLogger } from "../core/src/logger.js";
import { discoverModels } from "../core/src/models/index.js";
import type { PluginToolSource } from "../core/src/tools/plugin-tool-source.js";
import { selectPluginTools } from "../core/src/tools/select-plugin-tools.js";
import { runToolLoop, type ToolLoopResult } from "../core/src/tools/tool-loop.js";
import type { RoundTrace, ToolCallTrace } from "../core/src/tools/tool-trace.js";
import { benchFixture } from "./fixture.js";
import { percentile } from "./stats.js";

const { values } = parseArgs({ options: { threads: { type: "string", default: "1" }, rounds: { type: "string", default: "10" }, model: { type: "string" } } });
const rounds = Number(values.rounds);

// One tool with a short, enum-bounded argument, so random weights write short calls.
const source: PluginToolSource = {
  list: () => [{
    name: "notes", status: "ready",
    tools: [{ name: "lookup", function_name: "notes__lookup", description: "Looks up a note by key", inputSchema: { type: "object", properties: { key: { enum: ["alpha", "beta", "gamma"] } }, required: ["key"], additionalProperties: false } }],
  }],
  callTool: async (call) => ({ key: call.arguments.key, note: `The note for ${String(call.arguments.key)} says to check the second drawer.` }),
};

/** An engine whose sessions forget: every round opens a new one after another conversation took the slot. */
function forgetful(engine: Engine, model: string): Engine {
  return Object.assign(Object.create(engine) as Engine, {
    chatSession: async (options: ChatSessionOptions): Promise<ChatSession> => ({
      chat: async (round) => {
        await engine.chat({ model, turns: [{ role: "user", text: "Another client's question about something else entirely." }], sampling: { stop: [], maxTokens: 1 }, signal: options.signal });
        const session = await engine.chatSession(options);
        try {
          return await session.chat(round);
        } finally {
          session.release();
        }
      },
      release: () => undefined,
    }),
  });
}

function run(engine: Engine, model: string): Promise<ToolLoopResult> {
  const pluginTools = selectPluginTools(source, { model, requested: ["notes"], clientToolNames: new Set() }, {});
  return runToolLoop({
    engine, source, model, signal: new AbortController().signal, pluginTools, clientTools: [],
    turns: [{ role: "system", text: "You are a careful assistant who checks notes before answering." }, { role: "user", text: "Where should I look for the spare key?" }],
    sampling: { stop: [], maxTokens: 160, seed: 1, temperature: 0 },
    toolChoice: { mode: "required" }, pluginToolChoice: "required", maxRounds: rounds,
  });
}

const roundsOf = (result: ToolLoopResult) => result.trace.filter((e): e is RoundTrace => e.type === "round");
/** Wall time less each round's generation and its slowest call (calls of a round run at once). */
function loopOverheadMs(result: ToolLoopResult, wallMs: number): number {
  const calls = result.trace.filter((e): e is ToolCallTrace => e.type === "tool_call");
  const callMs = roundsOf(result).reduce((sum, r) => sum + Math.max(0, ...calls.filter((c) => c.round === r.round).map((c) => c.duration_ms)), 0);
  return (wallMs - roundsOf(result).reduce((sum, r) => sum + r.generation_ms, 0) - callMs) / roundsOf(result).length;
}

const modelPath = values.model ? path.resolve(values.model) : await benchFixture();
const { models } = await discoverModels({ modelFiles: [modelPath], modelsDirs: [], discovery: false, env: {}, cwd: process.cwd() });
const model = models[0]!.id;
const engine = await LlamaEngine.create({
  models, threads: Number(values.threads), parallel: 1, contextSize: 4096, queueSize: 4, gpu: "off", maxLoadedModels: 1, memoryBudget: 0,
  keepAlive: null, probeVerdictsFile: null, logger: createLogger("error"),
});
try {
  await engine.loadModel(model);
  const timed = async (e: Engine) => {
    const started = performance.now();
    const result = await run(e, model);
    return { result, wallMs: performance.now() - started };
  };
  await timed(engine); // warm-up: grammar compiled, caches filled
  // Round 1 of each run starts from a slot another conversation used.
  await engine.chat({ model, turns: [{ role: "user", text: "Something else." }], sampling: { stop: [], maxTokens: 1 }, signal: new AbortController().signal });
  const kept = await timed(engine);
  const lost = await timed(forgetful(engine, model));
  console.log(`model ${path.basename(modelPath)}, ${values.threads} thread(s), ${rounds} tool rounds + 1 final round\n`);
  console.log("round | finish | prompt tokens | evaluated (kept cache) | reused | evaluated (not kept) | gen ms kept | gen ms not kept");
  const a = roundsOf(kept.result);
  const b = roundsOf(lost.result);
  for (let i = 0; i < Math.max(a.length, b.length); i++) {
    const k = a[i];
    const l = b[i];
    console.log([k?.round ?? l?.round, k?.finish_reason, k?.prompt_tokens, k?.prompt_tokens_evaluated, k?.prompt_tokens_reused, l?.prompt_tokens_evaluated, k?.generation_ms.toFixed(1), l?.generation_ms.toFixed(1)].map((v) => String(v ?? "-")).join(" | "));
  }
  const sum = (list: RoundTrace[], f: (r: RoundTrace) => number) => list.reduce((s, r) => s + f(r), 0);
  console.log(`\ntotal evaluated: kept ${sum(a, (r) => r.prompt_tokens_evaluated)}, not kept ${sum(b, (r) => r.prompt_tokens_evaluated)}; wall ms: kept ${kept.wallMs.toFixed(0)}, not kept ${lost.wallMs.toFixed(0)}`);
  console.log(`loop overhead per round with llama.cpp (wall - generation - calls): ${loopOverheadMs(kept.result, kept.wallMs).toFixed(3)} ms`);
} finally {
  await engine.dispose();
}

// The loop's bookkeeping alone: a fake engine that answers at once and an instant tool.
const fake = new FakeEngine({ answer: (request) => ("tools" in request && request.tools ? { toolCalls: [{ name: "notes__lookup", arguments: '{"key":"beta"}' }] } : { text: "In the second drawer." }) });
const samples: number[] = [];
for (let i = 0; i < 200; i++) {
  const started = performance.now();
  const result = await run(fake, "fake-chat");
  samples.push(loopOverheadMs(result, performance.now() - started));
}
console.log(`loop overhead per round, fake engine and instant tool (200 runs): p50 ${percentile(samples, 50).toFixed(3)} ms, p95 ${percentile(samples, 95).toFixed(3)} ms`);
