/**
 * What running a model in its own process (core/src/engine/runner/) costs, in one run:
 *  1. the IPC channel alone, for the two ways considered: `child_process.fork` with
 *     `serialization: "advanced"` (what runners use) and newline-delimited JSON on a dedicated
 *     pipe, per streamed text delta (child → parent) and per 1024-dim Float32Array embedding;
 *  2. the same streamed completions through a runner and directly through node-llama-cpp in this
 *     process (LoadedModel, the class the runner uses): overhead per request (p50) and per token.
 * Usage: npx tsx bench/runner-ipc.ts [MODEL.gguf] [--requests N] [--tokens N] [--threads N]
 * (without a model, the SmolLM2-shaped fixture of bench/fixture.ts is written and used).
 * Targets (issue 26): < 30 µs per streamed token, < 1 ms p50 per request.
 */
import { fork, spawn } from "node:child_process";
import { getLlama, LlamaLogLevel } from "node-llama-cpp";
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";
import { GrammarCache } from "../core/src/engine/grammar-cache.js";
import { LoadedModel } from "../core/src/engine/loaded-model.js";
import { RunnerModel } from "../core/src/engine/runner/runner-model.js";
import { createLogger } from "../core/src/logger.js";
import { benchFixture } from "./fixture.js";

const MESSAGES = 20_000;
const SELF = fileURLToPath(import.meta.url);
const args = process.argv.slice(2);
const option = (name: string, fallback: number) => {
  const at = args.indexOf(`--${name}`);
  return at >= 0 ? Number(args[at + 1]) : fallback;
};

/** µs per message, child → parent, with the given channel. */
async function channelCost(mode: "advanced" | "json", embeddings: boolean, count: number): Promise<number> {
  const started = performance.now();
  const childArgs = ["--child", mode, String(count), embeddings ? "embeddings" : "text"];
  if (mode === "advanced") {
    const child = fork(SELF, childArgs, { serialization: "advanced", execArgv: ["--import", "tsx"] });
    let received = 0;
    let ready = 0;
    await new Promise<void>((resolve) => {
      child.on("message", () => {
        if (received++ === 0) ready = performance.now();
        if (received === count) resolve();
      });
    });
    child.kill();
    return ((performance.now() - ready) * 1000) / (count - 1);
  }
  const child = spawn(process.execPath, ["--import", "tsx", SELF, ...childArgs], { stdio: ["ignore", "pipe", "inherit"] });
  let received = 0;
  let ready = 0;
  await new Promise<void>((resolve) => {
    createInterface({ input: child.stdout }).on("line", (line) => {
      JSON.parse(line);
      if (received++ === 0) ready = performance.now();
      if (received === count) resolve();
    });
  });
  void started;
  return ((performance.now() - ready) * 1000) / (count - 1);
}

const p50 = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;

interface Side {
  complete(onText: (text: string) => void): Promise<{ completionTokens: number }>;
}

/** Per-request latencies (ms) and tokens of `requests` streamed completions, after two warm-ups. */
async function measure(side: Side, requests: number): Promise<{ latencies: number[]; tokens: number; deltas: number }> {
  for (let i = 0; i < 2; i++) await side.complete(() => undefined);
  const latencies: number[] = [];
  let tokens = 0;
  let deltas = 0;
  for (let i = 0; i < requests; i++) {
    const started = performance.now();
    const result = await side.complete(() => deltas++);
    latencies.push(performance.now() - started);
    tokens += result.completionTokens;
  }
  return { latencies, tokens, deltas };
}

async function main(): Promise<void> {
  if (process.env.UV_THREADPOOL_SIZE !== "1") {
    // As a runner is: libuv's pool pinned to one thread before it starts, so this process is relaunched.
    const child = spawn(process.execPath, ["--import", "tsx", SELF, ...args], { stdio: "inherit", env: { ...process.env, UV_THREADPOOL_SIZE: "1" } });
    child.on("exit", (code) => process.exit(code ?? 1));
    return;
  }
  const modelPath = args[0] && !args[0].startsWith("--") ? args[0] : await benchFixture();
  const requests = option("requests", 30);
  const maxTokens = option("tokens", 64);
  const threads = option("threads", 1);

  console.log("1. IPC channel alone, child → parent (µs per message)");
  for (const embeddings of [false, true]) {
    const what = embeddings ? "1024-dim embedding" : "text delta";
    const count = embeddings ? MESSAGES / 10 : MESSAGES;
    const advanced = await channelCost("advanced", embeddings, count);
    const json = await channelCost("json", embeddings, count);
    console.log(`   ${what.padEnd(20)} fork advanced: ${advanced.toFixed(1)} µs   newline JSON pipe: ${json.toFixed(1)} µs`);
  }

  const init = { id: "bench", path: modelPath, contextSize: 2048, parallel: 1, threads, queueSize: 4, gpu: "off" };
  const request = (onText: (text: string) => void) => ({
    model: "bench", prompt: "Once upon a time", sampling: { temperature: 0, maxTokens, stop: [] }, signal: new AbortController().signal, onText,
  });

  const llama = await getLlama({ build: "never", gpu: false, maxThreads: threads, logLevel: LlamaLogLevel.error });
  const direct = await LoadedModel.load(llama, init, new GrammarCache(llama));
  const directRun = await measure({ complete: (onText) => direct.complete(request(onText)) }, requests);
  await direct.dispose();
  await llama.dispose();

  const runner = await RunnerModel.start(init, { logger: createLogger("error"), onCrash: () => undefined });
  const runnerRun = await measure({ complete: (onText) => runner.complete(request(onText)) }, requests);
  await runner.dispose();

  const overheadMs = p50(runnerRun.latencies) - p50(directRun.latencies);
  const perToken = ((runnerRun.latencies.reduce((a, b) => a + b, 0) - directRun.latencies.reduce((a, b) => a + b, 0)) / runnerRun.deltas) * 1000;
  console.log(`2. ${requests} streamed completions of ${maxTokens} tokens, ${threads} thread(s), ${modelPath}`);
  console.log(`   direct node-llama-cpp: p50 ${p50(directRun.latencies).toFixed(2)} ms/request, ${directRun.tokens} tokens, ${directRun.deltas} deltas`);
  console.log(`   runner process:        p50 ${p50(runnerRun.latencies).toFixed(2)} ms/request, ${runnerRun.tokens} tokens, ${runnerRun.deltas} deltas`);
  console.log(`   overhead per request (p50): ${overheadMs.toFixed(3)} ms (target < 1 ms)`);
  console.log(`   overhead per streamed delta (mean): ${perToken.toFixed(1)} µs (target < 30 µs)`);
  process.exit(0);
}

// ---- the echo child of part 1 ----
if (args[0] === "--child") {
  const mode = args[1];
  const text = "token";
  const vector = new Float32Array(1024).map((_, i) => i / 1024);
  const count = Number(args[2]);
  const embeddings = args[3] === "embeddings";
  if (mode === "advanced") {
    let i = 0;
    // Backpressure as the runner does it: no more than 16 messages unacknowledged.
    let pending = 0;
    const pump = () => {
      while (i < count && pending < 16) {
        pending++;
        i++;
        process.send!(embeddings ? { type: "result", id: i, value: { vectors: [vector] } } : { type: "text", id: 1, text }, undefined, undefined, () => {
          pending--;
          if (i < count) pump();
          else if (pending === 0) process.disconnect();
        });
      }
    };
    pump();
  } else {
    // One JSON line per message on stdout; a full pipe waits for 'drain'.
    let i = 0;
    const write = () => {
      while (i < count) {
        i++;
        const line = JSON.stringify(embeddings ? { type: "result", id: i, value: { vectors: [[...vector]] } } : { type: "text", id: 1, text }) + "\n";
        if (!process.stdout.write(line)) return process.stdout.once("drain", write);
      }
      process.stdout.end();
    };
    write();
  }
} else if (process.env.UV_THREADPOOL_SIZE !== "1") {
  // The direct side must run as a runner does, on a one-thread pool (libuv reads the size at its
  // first use, so it is set for a fresh process): with the default pool it is slower, and the
  // runner's overhead would read as negative.
  const again = spawn(process.execPath, [...process.execArgv, SELF, ...args], { stdio: "inherit", env: { ...process.env, UV_THREADPOOL_SIZE: "1" } });
  again.on("exit", (code) => process.exit(code ?? 1));
} else {
  await main();
}
