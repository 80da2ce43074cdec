/**
 * `npx tsx bench/pull.ts`: `shimmy pull` throughput against curl, from a hub on 127.0.0.1.
 *
 * Serves one random file (~200 MB) from the test suite's fake hub (the hub's real shapes: model
 * info, tree, `resolve` redirecting to a CDN path), then times, in pairs, the compiled CLI
 * (`core/bin/shimmy.cjs pull`, a fresh HF_HOME each run: resolve, download, sha256, link) and
 * `curl -s -L -o FILE` of the same `resolve` URL, which of the two goes first alternating from pair
 * to pair. Prints MB/s of each run side by side with the pair's ratio, then the medians, their
 * ratio and the median of the pairs' ratios: on a machine others load, the two runs of a pair see
 * about the same load, so the pairs' ratio is the figure to read. The CLI's time includes starting
 * Node and its two API calls; the last line measures that fixed cost (`shimmy --version`) so it can
 * be told apart from the transfer.
 *
 * Options: --mb N (200) --runs N (3). Build the CLI first: npm run build --workspace core.
 */
import { execFile } from "node:child_process";
import { randomBytes } from "node:crypto";
import fs from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { parseArgs } from "node:util";
import { startFakeHub } from "../core/src/models/pull/fake-hub.fixture.js";
import { percentile } from "./stats.js";

const { values } = parseArgs({ options: { mb: { type: "string", default: "200" }, runs: { type: "string", default: "3" } } });
const bytes = Number(values.mb) * 1_000_000;
const runs = Number(values.runs);
const BIN = path.resolve(import.meta.dirname, "../core/bin/shimmy.cjs");

/** Runs a command to completion; resolves with its wall time in ms, rejects when it fails. */
function timed(file: string, args: string[], env?: NodeJS.ProcessEnv): Promise<number> {
  const started = performance.now();
  return new Promise((resolve, reject) => {
    execFile(file, args, { env, maxBuffer: 1 << 20, timeout: 600_000 }, (error, _stdout, stderr) => {
      if (error) reject(new Error(`${path.basename(file)} ${args.join(" ")} failed: ${stderr || error.message}`));
      else resolve(performance.now() - started);
    });
  });
}

const tmp = await fs.mkdtemp(path.join(os.tmpdir(), "shimmy-bench-pull-"));
const data = randomBytes(bytes);
const hub = await startFakeHub({ "bench/big-GGUF": { files: { "big-Q4_K_M.gguf": data } } });
const url = `${hub.url}/bench/big-GGUF/resolve/main/big-Q4_K_M.gguf`;
const mbps = (ms: number) => bytes / 1e6 / (ms / 1000);
try {
  // The fake hub hashes a file on its first listing: not a cost of the pull being timed.
  await (await fetch(`${hub.url}/api/models/bench/big-GGUF/tree/main`)).arrayBuffer();
  const shimmyMs: number[] = [];
  const curlMs: number[] = [];
  const ratios: number[] = [];
  console.log(`file ${(bytes / 1e6).toFixed(0)} MB, ${runs} pairs, alternating which goes first\nrun  shimmy pull MB/s  curl MB/s  ratio`);
  for (let run = 1; run <= runs; run++) {
    const home = path.join(tmp, `run-${run}`);
    await fs.mkdir(home, { recursive: true });
    const env = { PATH: process.env.PATH ?? "", HOME: home, SHIMMY_HOME: path.join(home, ".shimmy"), HF_HOME: path.join(home, "hf"), HF_ENDPOINT: hub.url };
    const pullOnce = async () => {
      shimmyMs.push(await timed(process.execPath, [BIN, "pull", "-q", "bench/big-GGUF"], env));
      // The pulled file is removed at once, so neither run writes while the other's file is cached.
      await fs.rm(path.join(home, "hf"), { recursive: true, force: true });
    };
    const curlOnce = async () => {
      curlMs.push(await timed("curl", ["-s", "-f", "-L", "-o", path.join(home, "curl.gguf"), url]));
      await fs.rm(path.join(home, "curl.gguf"), { force: true });
    };
    if (run % 2 === 1) {
      await pullOnce();
      await curlOnce();
    } else {
      await curlOnce();
      await pullOnce();
    }
    await fs.rm(home, { recursive: true, force: true });
    ratios.push(curlMs.at(-1)! / shimmyMs.at(-1)!);
    console.log(`${String(run).padEnd(5)}${mbps(shimmyMs.at(-1)!).toFixed(0).padStart(16)}  ${mbps(curlMs.at(-1)!).toFixed(0).padStart(9)}  ${ratios.at(-1)!.toFixed(2).padStart(5)}`);
  }
  const shimmy = mbps(percentile(shimmyMs, 50));
  const curl = mbps(percentile(curlMs, 50));
  console.log(`median: shimmy pull ${shimmy.toFixed(0)} MB/s, curl ${curl.toFixed(0)} MB/s, ratio ${(shimmy / curl).toFixed(2)}`);
  console.log(`ratio of each pair: median ${percentile(ratios, 50).toFixed(2)}, min ${Math.min(...ratios).toFixed(2)}, max ${Math.max(...ratios).toFixed(2)} (target ≥ 0.90)`);
  const startup = await timed(process.execPath, [BIN, "--version"]);
  console.log(`fixed cost in each shimmy run: starting Node and the CLI ≈ ${startup.toFixed(0)} ms (shimmy --version)`);
} finally {
  await hub.close();
  await fs.rm(tmp, { recursive: true, force: true });
}
