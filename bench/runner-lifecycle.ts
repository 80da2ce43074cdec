/**
 * Issue 26's runner-lifecycle targets, in one run against a real `shimmy serve` (two tiny chat
 * fixtures, one thread, one slot each, CPU):
 *  1. A runner SIGKILLed mid-stream: with a stream running on model A and one on model B, A's runner
 *     (`runner_pid` in GET /api/models) is killed. B's stream must complete untouched (all its
 *     tokens, no error), A's must end with the `model_crashed` error event, the dead runner must be
 *     reaped (no zombie), and A's next request, sent the moment its error arrives, must see its first
 *     token within A's load time + 200 ms. A's load time is `load_ms` of POST /api/models/load (the
 *     engine's own timing of the load, HTTP excluded), taken in the same repetition just before.
 *  2. Server RSS flat over N load/unload cycles of one model (POST /api/models/load, /unload): the
 *     server process's VmRSS every 10 cycles, the growth first to last and the slope over the last
 *     half; after every unload, the runner's pid gone from /proc and no child process left.
 *
 * Usage: npx tsx bench/runner-lifecycle.ts [--cycles 100 (0: no part 2)] [--reps 5 (0: no part 1)] [--threads 1] [--b-tokens 3000]
 *   [--models A.gguf,B.gguf] (default: two chat fixtures written to a temporary folder).
 * Run `npm run build --workspace core` first: the server runs from core/dist.
 */
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { parseArgs } from "node:util";
import { writeChatLlamaFixture } from "../test/fixtures/models.js";
import { NEVER_END } from "../test/helpers/sampling.js";
import { childrenOf, procState, rssKiB, startLifecycleServer, streamChat, waitFor, type LifecycleServer } from "./lifecycle-server.js";
import { percentile } from "./stats.js";

const ROOT = path.resolve(import.meta.dirname, "..");
const { values } = parseArgs({
  options: {
    cycles: { type: "string", default: "100" },
    reps: { type: "string", default: "5" },
    threads: { type: "string", default: "1" },
    "b-tokens": { type: "string", default: "3000" },
    models: { type: "string" },
  },
});
const cycles = Number(values.cycles);
const reps = Number(values.reps);
const bTokens = Number(values["b-tokens"]);
/** The target's allowance over a plain load for the first token after a crash. */
const ALLOWANCE_MS = 200;
/** Bound on any one request; a loaded machine is slow, a hung server is not. */
const REQUEST_TIMEOUT_MS = 120_000;

interface AdminModel {
  id: string;
  loaded: boolean;
  runner_pid?: number;
}

async function post(server: LifecycleServer, route: string, body: object): Promise<Record<string, unknown>> {
  const response = await fetch(`${server.url}/api/models${route}`, {
    method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(body), signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS),
  });
  const json = (await response.json()) as Record<string, unknown>;
  if (!response.ok) throw new Error(`POST /api/models${route}: ${response.status} ${JSON.stringify(json)}`);
  return json;
}

async function runnerPid(server: LifecycleServer, id: string): Promise<number | undefined> {
  const response = await fetch(`${server.url}/api/models`, { signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS) });
  return ((await response.json()) as { models: AdminModel[] }).models.find((m) => m.id === id)?.runner_pid;
}

/** Chat body of `maxTokens` tokens that never ends early (fixture weights write an end token now and then). */
const chatBody = (model: string, maxTokens: number) => ({ model, messages: [{ role: "user", content: "hi" }], max_tokens: maxTokens, ...NEVER_END });

const f1 = (n: number) => (Number.isFinite(n) ? n.toFixed(1) : "-");
const pad = (s: string | number, n: number) => String(s).padEnd(n);

/** The two models: `--models A,B`, else two chat fixtures in a temporary folder (removed on exit). */
async function modelFiles(): Promise<[string, string]> {
  if (values.models) {
    const [a, b] = values.models.split(",");
    if (!a || !b || a === b) throw new Error("--models needs two different GGUF files: A.gguf,B.gguf");
    return [path.resolve(a), path.resolve(b)];
  }
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "shimmy-bench-lifecycle-models-"));
  process.once("exit", () => fs.rmSync(dir, { recursive: true, force: true }));
  const files: [string, string] = [path.join(dir, "alpha.gguf"), path.join(dir, "beta.gguf")];
  await writeChatLlamaFixture(files[0], { seed: 1 });
  await writeChatLlamaFixture(files[1], { seed: 2 });
  return files;
}

/** One repetition of the crash scenario. */
interface CrashRep {
  loadMs: number;
  /** The engine's log of the reload the retry caused (`model_loaded` ms), when logged. */
  reloadMs: number | null;
  retryTtftMs: number;
  aError: string | null;
  aDeltas: number;
  bTokens: number;
  bFinish: string | null;
  bError: string | null;
  /** B still streamed through A's load and A's retry (else raise --b-tokens: the two were timed under different loads). */
  bBusy: boolean;
  bSameRunner: boolean;
  /** The killed runner's state once A's error arrived: `gone`, or its /proc state (`Z` is a zombie). */
  killedState: string;
  /** Server children right after the retry answered: the two runners, nothing else. */
  children: number;
  retryError: string | null;
}

async function crashRep(server: LifecycleServer, a: string, b: string): Promise<CrashRep> {
  await post(server, "/unload", { model: a });
  await post(server, "/load", { model: b });
  const pidB = await runnerPid(server, b);
  // B streams throughout, so A's load here and its reload after the kill share the cores alike.
  const streamB = streamChat(server.url, chatBody(b, bTokens), REQUEST_TIMEOUT_MS);
  let bDone = false;
  void streamB.done.then(() => (bDone = true));
  await streamB.firstToken;
  const loadMs = (await post(server, "/load", { model: a })).load_ms as number;
  const bBusyAtLoad = !bDone;

  const streamA = streamChat(server.url, chatBody(a, 8000), REQUEST_TIMEOUT_MS);
  await streamA.firstToken;
  const pidA = await runnerPid(server, a);
  if (!pidA) throw new Error(`${a} has no runner_pid while it streams`);
  const logsBefore = server.logs.length;
  process.kill(pidA, "SIGKILL");

  const outcomeA = await streamA.done;
  // The server fails the calls on the runner's `exit`, which Node emits once it has reaped the process.
  const killed = procState(pidA);
  // The client retries at once, while B still streams.
  const retry = await streamChat(server.url, chatBody(a, 8), REQUEST_TIMEOUT_MS).done;
  const bBusy = bBusyAtLoad && !bDone;
  const children = childrenOf(server.pid).length;
  const outcomeB = await streamB.done;
  const reload = server.logs.slice(logsBefore).find((line) => line.event === "model_loaded" && line.model === a);
  return {
    loadMs,
    reloadMs: typeof reload?.ms === "number" ? reload.ms : null,
    retryTtftMs: retry.ttftMs,
    aError: outcomeA.error?.code ?? null,
    aDeltas: outcomeA.deltas,
    bTokens: outcomeB.usageTokens ?? outcomeB.deltas,
    bFinish: outcomeB.finishReason,
    bError: outcomeB.error ? `${outcomeB.error.code}: ${outcomeB.error.message}` : null,
    bBusy,
    bSameRunner: pidB !== undefined && pidB === (await runnerPid(server, b)),
    killedState: killed ? `${killed.state} (ppid ${killed.ppid})` : "gone",
    children,
    retryError: retry.error ? `${retry.error.code}: ${retry.error.message}` : null,
  };
}

function printCrash(results: CrashRep[]): boolean {
  console.log(`\n1. runner SIGKILLed mid-stream (${results.length} repetitions; B streams ${bTokens} tokens meanwhile; load = POST /api/models/load load_ms)`);
  console.log("rep  load ms  reload ms(log)  retry ttft ms  margin ms  A event        B tokens  B finish  B error  B runner  B busy  killed pid  children");
  let ok = true;
  results.forEach((r, i) => {
    const margin = r.loadMs + ALLOWANCE_MS - r.retryTtftMs;
    const bOk = r.bError === null && r.bFinish === "length" && r.bTokens === bTokens && r.bSameRunner;
    ok &&= bOk && r.aError === "model_crashed" && r.retryError === null && r.killedState === "gone";
    console.log(
      `${pad(i + 1, 5)}${pad(r.loadMs, 9)}${pad(r.reloadMs ?? "-", 16)}${pad(f1(r.retryTtftMs), 15)}${pad(f1(margin), 11)}${pad(r.aError ?? "none!", 15)}` +
        `${pad(r.bTokens, 10)}${pad(r.bFinish ?? "-", 10)}${pad(r.bError ?? "none", 9)}${pad(r.bSameRunner ? "same" : "CHANGED", 10)}${pad(r.bBusy ? "yes" : "no", 8)}` +
        `${pad(r.killedState, 12)}${r.children}`,
    );
    if (r.retryError) console.log(`     retry failed: ${r.retryError}`);
    if (r.bError) console.log(`     B failed: ${r.bError}`);
  });
  const loads = results.map((r) => r.loadMs);
  const ttfts = results.map((r) => r.retryTtftMs);
  const margins = results.map((r) => r.loadMs + ALLOWANCE_MS - r.retryTtftMs);
  const overheads = results.flatMap((r) => (r.reloadMs === null ? [] : [r.retryTtftMs - r.reloadMs]));
  console.log(`load ms:          p50 ${f1(percentile(loads, 50))}  max ${f1(Math.max(...loads))}`);
  console.log(`retry ttft ms:    p50 ${f1(percentile(ttfts, 50))}  max ${f1(Math.max(...ttfts))}`);
  console.log(`margin ms (load + ${ALLOWANCE_MS} - ttft): p50 ${f1(percentile(margins, 50))}  min ${f1(Math.min(...margins))}`);
  // The same comparison on the very same load: what the crash path adds beyond loading again (free of load-time noise).
  if (overheads.length) console.log(`retry ttft - its own reload (log) ms: p50 ${f1(percentile(overheads, 50))}  max ${f1(Math.max(...overheads))}`);
  if (results.some((r) => !r.bBusy)) console.log("note: B ended before A's load or retry did in some repetitions (B busy: no): raise --b-tokens");
  const within = margins.filter((m) => m >= 0).length;
  const timely = percentile(ttfts, 50) <= percentile(loads, 50) + ALLOWANCE_MS;
  console.log(`target: retry ttft p50 <= load p50 + ${ALLOWANCE_MS} ms: ${timely ? "MET" : "NOT MET"} (per repetition: ${within}/${results.length} within)`);
  console.log(`target: B undisturbed, A ends with its error event, the killed runner reaped (no zombie), the retry answered: ${ok ? "MET" : "NOT MET"}`);
  return ok && timely;
}

/** Least-squares slope of `ys` against their index, per step. */
function slope(ys: readonly number[]): number {
  const n = ys.length;
  const meanX = (n - 1) / 2;
  const meanY = ys.reduce((s, y) => s + y, 0) / n;
  let num = 0;
  let den = 0;
  ys.forEach((y, x) => {
    num += (x - meanX) * (y - meanY);
    den += (x - meanX) ** 2;
  });
  return den === 0 ? 0 : num / den;
}

async function cyclesRun(server: LifecycleServer, a: string, b: string): Promise<boolean> {
  await post(server, "/unload", { model: a });
  await post(server, "/unload", { model: b });
  const rss = [rssKiB(server.pid)];
  let goneAtOnce = 0;
  let goneLater = 0;
  let maxChildren = 0;
  const problems: string[] = [];
  for (let cycle = 1; cycle <= cycles; cycle++) {
    await post(server, "/load", { model: a });
    const pid = await runnerPid(server, a);
    if (!pid) throw new Error(`cycle ${cycle}: ${a} loaded without a runner_pid`);
    await post(server, "/unload", { model: a });
    // The unload answers once the runner has exited and been reaped: /proc must not know it any more.
    if (procState(pid) === null) goneAtOnce++;
    else if (await waitFor(() => procState(pid) === null, 2_000)) goneLater++;
    else problems.push(`cycle ${cycle}: runner ${pid} still there 2 s after its unload (${JSON.stringify(procState(pid))})`);
    const children = childrenOf(server.pid);
    maxChildren = Math.max(maxChildren, children.length);
    if (children.length > 0) problems.push(`cycle ${cycle}: children left ${JSON.stringify(children)}`);
    rss.push(rssKiB(server.pid));
  }
  console.log(`\n2. server RSS over ${cycles} load/unload cycles of ${a} (server pid ${server.pid}, VmRSS after each unload)`);
  console.log(rss.flatMap((kib, cycle) => (cycle % 10 === 0 || cycle === cycles ? [`  cycle ${pad(cycle, 4)} ${(kib / 1024).toFixed(1)} MiB`] : [])).join("\n"));
  const growth = rss.at(-1)! - rss[0]!;
  const lastHalf = rss.slice(-Math.max(2, Math.floor(cycles / 2) + 1));
  const perCycle = slope(lastHalf);
  console.log(`growth first to last: ${(growth / 1024).toFixed(1)} MiB (${((growth / rss[0]!) * 100).toFixed(1)}%)`);
  console.log(`slope over the last ${lastHalf.length - 1} cycles: ${perCycle.toFixed(1)} KiB/cycle (${((perCycle * 100) / 1024).toFixed(2)} MiB per 100 cycles)`);
  console.log(`runner pid gone from /proc when the unload answered: ${goneAtOnce}/${cycles}; within 2 s after: ${goneLater}; max children after an unload: ${maxChildren}`);
  for (const problem of problems.slice(0, 10)) console.log(`  ${problem}`);
  // Flat: under 64 KiB per cycle over the last half (a leak of one runner's buffers or listeners per cycle shows well above).
  const ok = problems.length === 0 && perCycle < 64;
  console.log(`target: RSS flat (slope < 64 KiB/cycle), every runner gone, no child left: ${ok ? "MET" : "NOT MET"}`);
  return ok;
}

async function main(): Promise<void> {
  const [fileA, fileB] = await modelFiles();
  const a = path.basename(fileA, ".gguf");
  const b = path.basename(fileB, ".gguf");
  const server = await startLifecycleServer(ROOT, [
    "--model", fileA, "--model", fileB, "--no-discovery", "--threads", values.threads!, "--parallel", "1", "--ctx-size", "8192", "--gpu", "off", "--keep-alive", "1h",
  ]);
  try {
    // The first load of each file is its probe: out of the figures.
    await post(server, "/load", { model: a });
    await post(server, "/load", { model: b });
    const results: CrashRep[] = [];
    for (let rep = 0; rep < reps; rep++) results.push(await crashRep(server, a, b));
    // `--reps 0` or `--cycles 0` leaves that part out.
    const crashOk = reps > 0 ? printCrash(results) : true;
    const cyclesOk = cycles > 0 ? await cyclesRun(server, a, b) : true;
    const warnings = server.logs.filter((line) => typeof line.raw === "string" || line.level === 40 || /Warning/.test(String(line.msg)));
    console.log(`server warnings and non-JSON stderr lines: ${warnings.length}`);
    for (const line of warnings.slice(0, 5)) console.log(`  ${JSON.stringify(line).slice(0, 300)}`);
    console.log(`\nmodels ${a}, ${b} (${(fs.statSync(fileA).size / 1024).toFixed(0)} KiB), threads ${values.threads}, ${os.cpus().length} cores; targets ${crashOk && cyclesOk ? "MET" : "NOT MET"}`);
    process.exitCode = crashOk && cyclesOk ? 0 : 1;
  } finally {
    await server.stop();
  }
}

await main();
