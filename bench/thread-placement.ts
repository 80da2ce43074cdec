/**
 * `npx tsx bench/thread-placement.ts`: why one request's time swings between process starts at
 * `--threads` equal to the machine's CPUs. node-llama-cpp's prebuilt addon attaches no ggml
 * threadpool (and its CPU libraries are built without OpenMP), so ggml creates and joins its worker
 * threads for every decode; a new thread goes to its creator's CPU whenever the other CPUs are busy
 * at that instant (with the process's own JavaScript, another process), and both then share one CPU,
 * spinning at ggml's barriers in turn. llama.cpp's server keeps its threads. This runs the same
 * one-token requests on node-llama-cpp in process (bench/direct.ts), in fresh processes, under the
 * normal scheduler and under the real-time one (`chrt -r 1`, which places a new thread on a CPU
 * running no real-time thread): the same work, only the placement differs. The real-time side
 * needs the right to it (root, or CAP_SYS_NICE) and is skipped without it.
 *
 * Options: --threads N (2) --starts N (4: processes per side) --requests N (30 one-token requests per process)
 */
import { execFileSync } from "node:child_process";
import os from "node:os";
import { parseArgs } from "node:util";
import { runDirectInChild } from "./direct.js";
import { benchFixture } from "./fixture.js";
import { percentile } from "./stats.js";

const { values } = parseArgs({
  options: {
    threads: { type: "string", default: "2" },
    starts: { type: "string", default: "4" },
    requests: { type: "string", default: "30" },
  },
});

/** Whether this process may run a command under the real-time scheduler. */
function canRunRealTime(): boolean {
  try {
    execFileSync("chrt", ["-r", "1", "true"], { stdio: "ignore" });
    return true;
  } catch {
    return false;
  }
}

const modelPath = await benchFixture();
const threads = Number(values.threads);
const options = {
  modelPath, threads, slots: 4, contextSize: 2048, requestsPerWorker: Number(values.requests), maxTokens: 1,
  prompt: "Write a long story about a robot who learns to paint.",
};
const sides: [string, string[] | null][] = [["normal scheduler", []], ["real-time (chrt -r 1)", canRunRealTime() ? ["chrt", "-r", "1"] : null]];
console.log(`one-token requests on node-llama-cpp in process: ${threads} threads on ${os.availableParallelism()} CPUs, ${options.requestsPerWorker} requests per process`);
for (const [name, prefix] of sides) {
  if (!prefix) {
    console.log(`  ${name}: skipped (chrt -r 1 not permitted here: it needs root or CAP_SYS_NICE)`);
    continue;
  }
  const p50s: number[] = [];
  for (let start = 0; start < Number(values.starts); start++) {
    p50s.push(runDirectInChild(options, [1], { poolSize: 1, prefix }).get(1)!.latencyP50);
  }
  console.log(`  ${name.padEnd(22)} latency p50 per process start (ms): ${p50s.map((ms) => ms.toFixed(2)).join(", ")}; median ${percentile(p50s, 50).toFixed(2)}`);
}
