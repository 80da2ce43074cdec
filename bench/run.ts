/**
 * `npm run bench`: Shimmy against the same generation driven directly through node-llama-cpp and
 * against llama.cpp's own server (built from the llama.cpp node-llama-cpp ships), on the same GGUF
 * (a random model shaped like SmolLM2-135M, Q8_0), threads, slots and context per slot, in one run,
 * at 1 and 4 concurrent streams, and the time to first token at 4 streams on reused slots (each slot
 * first holds another conversation, whose tokens must be erased). The servers also answer whole
 * (unstreamed: their engines without an event per token) and one-token requests (a request's own
 * cost, against llama-server's over the same HTTP). The two servers run side by side, measured in
 * interleaved passes, so that a machine drifting over a round weighs on both alike; direct runs
 * alone after them. It prints the CPU library each side loaded (cpu-backend.ts) and compares
 * Shimmy with the reference only when they match; the targets of issue 26 close the run. Then the
 * time from `shimmy serve` to a first answer on the demo model.
 *
 * Options: --threads LIST (1,2: each thread count is a round of its own) --slots N (4) --ctx N per slot (2048) --max-tokens N (128)
 * --requests N per worker (4) --llama-server PATH (else ../shared/tools/build-llama-server.sh builds it; `none`: no reference)
 * --ref-own-ggml (the reference with its own CPU libraries and --no-repack, not node-llama-cpp's; see processes.ts).
 */
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { parseArgs } from "node:util";
import { compareCpuBackends, describeCpuBackend, nodeLlamaCppCpuBackend, type CpuBackend } from "./cpu-backend.js";
import { runDirectInChild } from "./direct.js";
import { BENCH_MODEL_ID, benchFixture } from "./fixture.js";
import { loadRun, runLoad, type LoadRun } from "./load-generator.js";
import { findLlamaServer, startLlamaServer, startShimmyServer, type LoggedRequest } from "./processes.js";
import { percentile, summarize, type LoadSummary } from "./stats.js";

const ROOT = path.resolve(import.meta.dirname, "..");
const SHIMMY = path.join(ROOT, "core/bin/shimmy.cjs");
const PROMPT = "Write a long story about a robot who learns to paint.";
const MODEL_ID = BENCH_MODEL_ID;

const { values } = parseArgs({
  options: {
    threads: { type: "string", default: "1,2" },
    slots: { type: "string", default: "4" },
    ctx: { type: "string", default: "2048" },
    "max-tokens": { type: "string", default: "128" },
    requests: { type: "string", default: "4" },
    "llama-server": { type: "string" },
    "ref-own-ggml": { type: "boolean", default: false },
  },
});
const threadCounts = values.threads!.split(",").map(Number);
const slots = Number(values.slots);
const ctx = Number(values.ctx);
const maxTokens = Number(values["max-tokens"]);
const requestsPerWorker = Number(values.requests);
const LEVELS = [1, 4];
const TINY_REQUESTS = 30;


/** A server under measurement: its `/v1` base URL and, for Shimmy, its request log. */
interface Measured {
  baseURL: string;
  requestLog?: LoggedRequest[];
}

/** What {@link measureServers} measured of one server. */
interface ServerFigures {
  streamed: Map<number, LoadSummary>;
  whole: Map<number, LoadSummary>;
  reused: LoadSummary;
  tiny: LoadSummary;
  /** The one-token requests' duration inside the server, p50, from its request log (Shimmy's). */
  tinyInsideP50?: number;
}

/**
 * Runs `measure` on every server in turn, in two passes in opposite orders (A B, then B A) that
 * share `total` requests per worker. These machines drift by up to 17 % between runs minutes apart;
 * measured one after the other, one server would get the fast minutes and the other the slow ones.
 * Interleaved, a drift weighs on all alike. Each server's passes are merged into one summary.
 */
async function interleave(servers: readonly Measured[], total: number, measure: (server: Measured, requestsPerWorker: number) => Promise<LoadRun>): Promise<LoadSummary[]> {
  const passes = total >= 2 ? [Math.ceil(total / 2), Math.floor(total / 2)] : [total];
  const runs: LoadRun[][] = servers.map(() => []);
  for (const [pass, count] of passes.entries()) {
    const order = servers.map((_, i) => i);
    if (pass % 2 === 1) order.reverse();
    for (const i of order) runs[i]!.push(await measure(servers[i]!, count));
  }
  return runs.map((parts) => summarize(parts.flatMap((part) => part.samples), parts.reduce((sum, part) => sum + part.wallMs, 0)));
}

/**
 * Everything a server is measured on, the same way on every side and interleaved between them:
 * streamed answers, the time to first token on reused slots, whole answers (no event per token to
 * write and parse: the engine alone, as direct runs it) and one-token answers (a request's own
 * cost: HTTP, JSON, queue). Returns the figures in the servers' order.
 */
async function measureServers(servers: readonly Measured[]): Promise<ServerFigures[]> {
  const model = MODEL_ID;
  const streamed = servers.map(() => new Map<number, LoadSummary>());
  const whole = servers.map(() => new Map<number, LoadSummary>());
  let reused: LoadSummary[] = [];
  for (const stream of [true, false]) {
    for (const concurrency of LEVELS) {
      // Warm-up, the same on every side (direct.ts too): one full-length answer on each slot the
      // level uses. Measured after a short one, the first long answers of a fresh server ran up to
      // 20 % slower (pages of the KV cache and compute buffers touched for the first time), which
      // read as overhead.
      for (const { baseURL } of servers) await runLoad({ baseURL, model, concurrency, requestsPerWorker: 1, maxTokens, prompt: PROMPT, stream });
      const summaries = await interleave(servers, requestsPerWorker, ({ baseURL }, count) =>
        loadRun({ baseURL, model, concurrency, requestsPerWorker: count, maxTokens, prompt: PROMPT, stream }),
      );
      summaries.forEach((summary, i) => (stream ? streamed : whole)[i]!.set(concurrency, summary));
    }
    if (stream) reused = await interleave(servers, requestsPerWorker, ({ baseURL }, count) => ttftOnReusedSlots(baseURL, count));
  }
  const inside: number[][] = servers.map(() => []);
  const tiny = await interleave(servers, TINY_REQUESTS, async (server, count) => {
    const logged = server.requestLog?.length ?? 0;
    const run = await loadRun({ baseURL: server.baseURL, model, concurrency: 1, requestsPerWorker: count, maxTokens: 1, prompt: PROMPT });
    const log = server.requestLog;
    if (log) {
      // A request's line is written once its response has ended: the last may come just after.
      for (let wait = 0; log.length < logged + count && wait < 50; wait++) await new Promise((resolve) => setTimeout(resolve, 20));
      inside[servers.indexOf(server)]!.push(...log.slice(logged, logged + count).map((request) => request.durationMs));
    }
    return run;
  });
  return servers.map((server, i) => ({
    streamed: streamed[i]!, whole: whole[i]!, reused: reused[i]!, tiny: tiny[i]!,
    ...(server.requestLog ? { tinyInsideP50: percentile(inside[i]!, 50) } : {}),
  }));
}

const f1 = (n: number) => (Number.isFinite(n) ? n.toFixed(1) : "-");
const ratio = (a: number | undefined, b: number | undefined) => (a && b ? (a / b).toFixed(3) : "-");

/**
 * 4 streams on reused slots: every slot first answers another prompt (concurrently, so each slot
 * gets one), then 4 workers send the benchmark prompt back to back, `requests` each. Each request
 * lands on a slot whose old tokens must be erased while the other slots generate: what a busy
 * server does.
 */
async function ttftOnReusedSlots(baseURL: string, requests: number): Promise<LoadRun> {
  const model = MODEL_ID;
  await Promise.all(
    Array.from({ length: slots }, (_, i) =>
      runLoad({ baseURL, model, concurrency: 1, requestsPerWorker: 1, maxTokens: 8, prompt: `Warm-up conversation number ${i + 1}: name a colour.` }),
    ),
  );
  return loadRun({ baseURL, model, concurrency: 4, requestsPerWorker: requests, maxTokens, prompt: PROMPT });
}

/** What a round measured, for the targets. */
interface RoundFigures {
  threads: number;
  shimmy: Map<number, LoadSummary>;
  reference?: Map<number, LoadSummary>;
  shimmyReused: LoadSummary;
  referenceReused?: LoadSummary;
  referenceBackend?: CpuBackend;
}

/** Runs every system at one thread count and prints their figures side by side. */
async function round(modelPath: string, llamaServer: string | null, threads: number, nodeBackend: CpuBackend): Promise<RoundFigures> {
  const systems = new Map<string, Map<number, LoadSummary>>();
  // Both servers are up together, their measurements interleaved (measureServers); direct runs
  // after, alone, once they are stopped.
  const shimmyServer = await startShimmyServer(SHIMMY, ["--model", modelPath, "--threads", String(threads), "--parallel", String(slots), "--ctx-size", String(ctx), "--gpu", "off"], ROOT, { requestLog: true });
  let referenceServer: Awaited<ReturnType<typeof startLlamaServer>> | undefined;
  let shimmy: ServerFigures;
  let reference: ServerFigures | undefined;
  try {
    if (llamaServer) referenceServer = await startLlamaServer(llamaServer, ["-m", modelPath, "-t", String(threads), "-np", String(slots), "-c", String(ctx * slots), "--jinja"], values["ref-own-ggml"]);
    const measured = [{ baseURL: `${shimmyServer.url}/v1`, requestLog: shimmyServer.requests }, ...(referenceServer ? [{ baseURL: `${referenceServer.url}/v1` }] : [])];
    [shimmy, reference] = (await measureServers(measured)) as [ServerFigures, ServerFigures | undefined];
  } catch (err) {
    // A reference that fails mid-run says why in its own log.
    const exit = referenceServer && (referenceServer.child.exitCode ?? referenceServer.child.signalCode);
    if (referenceServer && exit !== null) console.error(`llama-server failed (exit ${exit}); its last log lines:\n${referenceServer.logTail()}`);
    throw err;
  } finally {
    await shimmyServer.stop();
    await referenceServer?.stop();
  }
  const referenceBackend = referenceServer?.cpuBackend;
  systems.set("shimmy", shimmy.streamed);
  if (reference) systems.set("llama-server", reference.streamed);

  const directOptions = { modelPath, threads, slots, contextSize: ctx, requestsPerWorker, maxTokens, prompt: PROMPT };
  systems.set("node-llama-cpp direct", runDirectInChild(directOptions, LEVELS, { poolSize: 1 }));
  systems.set("direct, libuv pool of 4", runDirectInChild(directOptions, LEVELS, { poolSize: null }));
  const tinyDirect = runDirectInChild({ ...directOptions, maxTokens: 1, requestsPerWorker: TINY_REQUESTS }, [1], { poolSize: 1 }).get(1)!;
  systems.set("shimmy, whole", shimmy.whole);
  if (reference) systems.set("llama-server, whole", reference.whole);

  console.log(`\nmodel: ${path.basename(modelPath)}  threads: ${threads}  slots: ${slots}  ctx/slot: ${ctx}  max_tokens: ${maxTokens}  requests/worker: ${requestsPerWorker}`);
  console.log("system                   streams  tok/s    ttft p50  ttft p95  lat p50   lat p95   tokens");
  for (const [name, byLevel] of systems) {
    for (const [level, s] of byLevel) {
      console.log(
        `${name.padEnd(25)}${String(level).padEnd(9)}${f1(s.tokensPerSecond).padEnd(9)}${f1(s.ttftP50).padEnd(10)}${f1(s.ttftP95).padEnd(10)}${f1(s.latencyP50).padEnd(10)}${f1(s.latencyP95).padEnd(10)}${s.tokens}`,
      );
    }
  }
  const direct = systems.get("node-llama-cpp direct")!;
  // Shimmy against the reference only on the same CPU kernels.
  const ref = referenceBackend && compareCpuBackends(nodeBackend, referenceBackend).comparable ? reference : undefined;
  console.log(`CPU backend: node-llama-cpp (shimmy, direct) ${describeCpuBackend(nodeBackend)}; llama-server ${referenceBackend ? describeCpuBackend(referenceBackend) : "not run"}`);
  console.log("ratios (tok/s; ttft p50)");
  for (const level of LEVELS) {
    const s = shimmy.streamed.get(level)!;
    const d = direct.get(level)!;
    console.log(
      `  ${level} stream(s): shimmy/direct ${ratio(s.tokensPerSecond, d.tokensPerSecond)}` +
        (ref
          ? `  shimmy/llama-server ${ratio(s.tokensPerSecond, ref.streamed.get(level)?.tokensPerSecond)}, whole answers ${ratio(shimmy.whole.get(level)?.tokensPerSecond, ref.whole.get(level)?.tokensPerSecond)}` +
            `  ttft shimmy/llama-server ${ratio(s.ttftP50, ref.streamed.get(level)?.ttftP50)}`
          : "") +
        `  latency p50 shimmy - direct ${(s.latencyP50 - d.latencyP50).toFixed(2)} ms per request`,
    );
  }
  // llama.cpp's own server pays the same HTTP round trip over an in-process call: its figure says
  // how much of the difference any server pays.
  console.log(
    `overhead per request (${TINY_REQUESTS} one-token requests, latency p50): shimmy ${shimmy.tiny.latencyP50.toFixed(2)} ms, direct ${tinyDirect.latencyP50.toFixed(2)} ms` +
      (reference ? `, llama-server ${reference.tiny.latencyP50.toFixed(2)} ms` : "") +
      `; shimmy - direct ${(shimmy.tiny.latencyP50 - tinyDirect.latencyP50).toFixed(2)} ms` +
      (reference ? `, llama-server - direct ${(reference.tiny.latencyP50 - tinyDirect.latencyP50).toFixed(2)} ms` : ""),
  );
  // The same requests timed inside Shimmy's server (its request log: arrival to response end), so
  // without the client's own cost; the runner and its IPC included.
  if (shimmy.tinyInsideP50 !== undefined) {
    console.log(`  inside shimmy's server (request log duration, p50): ${shimmy.tinyInsideP50.toFixed(2)} ms; minus direct ${(shimmy.tinyInsideP50 - tinyDirect.latencyP50).toFixed(2)} ms`);
  }
  return { threads, shimmy: shimmy.streamed, reference: reference?.streamed, shimmyReused: shimmy.reused, referenceReused: reference?.reused, referenceBackend };
}

/** The targets of issue 26 that the reference answers, side by side with their ratios. */
function printTargets(rounds: readonly RoundFigures[], nodeBackend: CpuBackend) {
  console.log("\ntargets (one run; ratio = shimmy / llama-server)");
  for (const r of rounds) {
    const { comparable, warning } = compareCpuBackends(nodeBackend, r.referenceBackend);
    if (!r.reference) console.log(`  threads ${r.threads}: no reference run`);
    else if (warning) console.log(`  !!! threads ${r.threads}: ${warning}${comparable ? "" : ": ratios withheld"} !!!`);
    const show = (a: number, b: number | undefined) => (comparable && b !== undefined ? ratio(a, b) : "withheld");
    console.log("  threads  streams  measure              shimmy    llama-server  ratio     target");
    for (const level of LEVELS) {
      const s = r.shimmy.get(level)!.tokensPerSecond;
      const ref = r.reference?.get(level)?.tokensPerSecond;
      console.log(`  ${String(r.threads).padEnd(9)}${String(level).padEnd(9)}${"tok/s".padEnd(21)}${f1(s).padEnd(10)}${f1(ref ?? Number.NaN).padEnd(14)}${show(s, ref).padEnd(10)}>= 1.0`);
    }
    const s = r.shimmyReused.ttftP95;
    const ref = r.referenceReused?.ttftP95;
    console.log(`  ${String(r.threads).padEnd(9)}${"4".padEnd(9)}${"ttft p95 reused, ms".padEnd(21)}${f1(s).padEnd(10)}${f1(ref ?? Number.NaN).padEnd(14)}${show(s, ref).padEnd(10)}<= 1.2`);
  }
}

async function main() {
  const modelPath = await benchFixture();
  const llamaServer = findLlamaServer(values["llama-server"]);
  if (!llamaServer) console.error("llama-server: skipped (--llama-server none, or no ../shared/tools/build-llama-server.sh and no --llama-server PATH)");
  const nodeBackend = nodeLlamaCppCpuBackend(modelPath, 1);
  const rounds: RoundFigures[] = [];
  for (const threads of threadCounts) rounds.push(await round(modelPath, llamaServer, threads, nodeBackend));
  printTargets(rounds, nodeBackend);

  // From `shimmy serve` to the first answered request, with the bundled demo model.
  const demo = await startShimmyServer(SHIMMY, [], ROOT);
  try {
    const answered = await runLoad({ baseURL: `${demo.url}/v1`, model: "stories260K", concurrency: 1, requestsPerWorker: 1, maxTokens: 8, prompt: "Hi" });
    const firstAnswerMs = demo.listeningAt - demo.startedAt + answered.latencyP50;
    console.log(`\nshimmy serve (demo model): listening after ${f1(demo.listeningAt - demo.startedAt)} ms, first answer after ${f1(firstAnswerMs)} ms`);
  } finally {
    await demo.stop();
  }
}

await main();
