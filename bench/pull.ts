/**
 * `npx tsx bench/pull.ts`: `shimmy pull` throughput against curl, from a hub on 127.0.0.1.
 *
 * Serves one file of random bytes (1 GiB; random, so nothing on the way can compress it) from the
 * test suite's fake hub (the hub's real shapes: model info, tree, `resolve` redirecting to a CDN
 * path). The hub runs in this process and sends the file from memory, in one write: the fewest
 * copies a Node server can make (no read from a file first), so it takes as little as it can of the
 * two cores the clients share with it. Each run times, against that one server:
 *
 * - `shimmy pull`: the compiled CLI (`core/bin/shimmy.cjs pull -q`, a fresh HF_HOME each time):
 *   resolve, download, sha256 while downloading, link;
 * - `curl -o FILE`: a raw copy that verifies nothing, for information;
 * - `curl | tee FILE | openssl dgst -sha256`: download, write and hash side by side, as a pull does;
 * - `curl -o FILE && openssl dgst -sha256 FILE`: download, then hash, one after the other.
 * The last two verify a sha256, as every real model pull does (Ollama's blobs, huggingface_hub's
 * files): the faster of them in each run is the fair reference the ratio is taken against.
 *
 * The four go in a different order in each run. For each it prints MB/s (10^6 bytes a second,
 * wall time from spawn to exit) and the CPU seconds (user+sys) of the command's processes
 * (`/proc/self/stat`'s cutime/cstime: every waited-for descendant, the pipeline's three processes
 * and shimmy's threads included) and of the server (this process): on two cores the server's share
 * is CPU the client cannot have. Both digests are checked against the file's. Then the medians, and
 * the ratio of shimmy to the fair reference in each run and its median. The shimmy figure includes
 * starting Node and its two API calls; the last line measures that fixed cost (`shimmy --version`).
 *
 * Options: --mb N (1024, in MiB) --runs N (3). Build the CLI first: npm run build --workspace core.
 */
import { execFile } from "node:child_process";
import { createHash, randomFillSync } from "node:crypto";
import { readFileSync } from "node:fs";
import fs from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { parseArgs } from "node:util";
import { startFakeHub } from "../core/src/models/pull/fake-hub.fixture.js";
import { percentile } from "./stats.js";

const { values } = parseArgs({ options: { mb: { type: "string", default: "1024" }, runs: { type: "string", default: "3" } } });
const bytes = Number(values.mb) * 2 ** 20;
const runs = Number(values.runs);
if (!(bytes > 0 && Number.isSafeInteger(bytes) && runs >= 1)) throw new Error("--mb and --runs take positive integers");
const BIN = path.resolve(import.meta.dirname, "../core/bin/shimmy.cjs");
// /proc's times are in clock ticks; USER_HZ is 100 on every Linux build that matters.
const TICKS_PER_SECOND = 100;

/** User+sys CPU seconds of this process's waited-for children so far (`cutime` + `cstime`). */
function childrenCpuSeconds(): number {
  const stat = readFileSync("/proc/self/stat", "latin1");
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  // Fields 16 and 17 of proc(5); fields[0] is field 3 (state).
  return (Number(fields[13]) + Number(fields[14])) / TICKS_PER_SECOND;
}

/** What one timed command took. */
interface Sample {
  ms: number;
  /** CPU seconds of the command's processes. */
  cpu: number;
  /** CPU seconds of this process (the hub) meanwhile. */
  serverCpu: number;
  stdout: string;
}

/** Runs a command to completion; resolves with its wall time and CPU, rejects when it fails. */
function timed(file: string, args: string[], env?: NodeJS.ProcessEnv): Promise<Sample> {
  const cpuBefore = childrenCpuSeconds();
  const serverBefore = process.cpuUsage();
  const started = performance.now();
  return new Promise((resolve, reject) => {
    execFile(file, args, { env, maxBuffer: 1 << 20, timeout: 600_000 }, (error, stdout, stderr) => {
      const ms = performance.now() - started;
      const server = process.cpuUsage(serverBefore);
      if (error) return reject(new Error(`${path.basename(file)} ${args.join(" ")} failed: ${stderr || error.message}`));
      resolve({ ms, cpu: childrenCpuSeconds() - cpuBefore, serverCpu: (server.user + server.system) / 1e6, stdout });
    });
  });
}

/** Random bytes, filled in pieces (one call cannot fill more than 2 GiB). */
function randomData(size: number): Buffer {
  const data = Buffer.allocUnsafeSlow(size);
  for (let at = 0; at < size; at += 1 << 30) randomFillSync(data, at, Math.min(1 << 30, size - at));
  return data;
}

/** The hex sha256 an `openssl dgst -sha256` output line ends with. */
function opensslDigest(stdout: string): string {
  const digest = /([0-9a-f]{64})\s*$/.exec(stdout)?.[1];
  if (!digest) throw new Error(`openssl printed no digest: ${stdout}`);
  return digest;
}

const tmp = await fs.mkdtemp(path.join(os.tmpdir(), "shimmy-bench-pull-"));
const data = randomData(bytes);
const sha256 = createHash("sha256").update(data).digest("hex");
const hub = await startFakeHub({ "bench/big-GGUF": { files: { "big-Q4_K_M.gguf": data } } });
const url = `${hub.url}/bench/big-GGUF/resolve/main/big-Q4_K_M.gguf`;
const mbps = (ms: number) => bytes / 1e6 / (ms / 1000);
const quote = (text: string) => `'${text.replaceAll("'", "'\\''")}'`;

/** A contestant: what it runs in `dir` (a fresh folder of its own), and whether it is the reference. */
interface Contestant {
  name: string;
  run: (dir: string) => Promise<Sample>;
  samples: Sample[];
}

const contestants: Contestant[] = [
  {
    name: "shimmy pull",
    run: async (dir) => {
      const env = { PATH: process.env.PATH ?? "", HOME: dir, SHIMMY_HOME: path.join(dir, ".shimmy"), HF_HOME: path.join(dir, "hf"), HF_ENDPOINT: hub.url };
      const sample = await timed(process.execPath, [BIN, "pull", "-q", "bench/big-GGUF"], env);
      const pulled = await fs.stat(sample.stdout.trim());
      if (pulled.size !== bytes) throw new Error(`shimmy pull left ${pulled.size} bytes, not ${bytes}`);
      return sample;
    },
    samples: [],
  },
  {
    name: "curl -o FILE (no hash)",
    run: (dir) => timed("curl", ["-s", "-f", "-L", "-o", path.join(dir, "curl.gguf"), url]),
    samples: [],
  },
  {
    name: "curl | tee FILE | openssl dgst",
    run: async (dir) => {
      const sample = await timed("bash", ["-c", `set -o pipefail; curl -s -f -L ${quote(url)} | tee ${quote(path.join(dir, "curl.gguf"))} | openssl dgst -sha256`]);
      if (opensslDigest(sample.stdout) !== sha256) throw new Error("curl | tee | openssl: wrong digest");
      return sample;
    },
    samples: [],
  },
  {
    name: "curl -o FILE; openssl dgst FILE",
    run: async (dir) => {
      const file = quote(path.join(dir, "curl.gguf"));
      const sample = await timed("bash", ["-c", `curl -s -f -L -o ${file} ${quote(url)} && openssl dgst -sha256 ${file}`]);
      if (opensslDigest(sample.stdout) !== sha256) throw new Error("curl; openssl: wrong digest");
      return sample;
    },
    samples: [],
  },
];
const [shimmy, , piped, sequential] = contestants as [Contestant, Contestant, Contestant, Contestant];

try {
  // The fake hub hashes a file on its first listing: not a cost of the pull being timed.
  await (await fetch(`${hub.url}/api/models/bench/big-GGUF/tree/main`)).arrayBuffer();
  console.log(`file ${(bytes / 2 ** 20).toFixed(0)} MiB (${(bytes / 1e6).toFixed(0)} MB) of random bytes, served from memory on 127.0.0.1; ${runs} runs, ${os.cpus().length} CPUs`);
  console.log(`${"run".padEnd(5)}${"command".padEnd(34)}${"MB/s".padStart(7)}${"CPU s".padStart(8)}${"server CPU s".padStart(14)}`);
  const ratios: number[] = [];
  for (let run = 0; run < runs; run++) {
    // Rotated, so that no command always follows the same one (the disk's writeback of the last file).
    for (let k = 0; k < contestants.length; k++) {
      const contestant = contestants[(run + k) % contestants.length]!;
      const dir = path.join(tmp, `run-${run}-${k}`);
      await fs.mkdir(dir, { recursive: true });
      try {
        const sample = await contestant.run(dir);
        contestant.samples.push(sample);
        console.log(`${String(run + 1).padEnd(5)}${contestant.name.padEnd(34)}${mbps(sample.ms).toFixed(0).padStart(7)}${sample.cpu.toFixed(2).padStart(8)}${sample.serverCpu.toFixed(2).padStart(14)}`);
      } finally {
        // Removed at once, so that no command writes while another's file waits in the page cache.
        await fs.rm(dir, { recursive: true, force: true });
      }
    }
    ratios.push(Math.min(piped.samples.at(-1)!.ms, sequential.samples.at(-1)!.ms) / shimmy.samples.at(-1)!.ms);
  }
  console.log("\nmedian of each");
  for (const contestant of contestants) {
    const ms = percentile(contestant.samples.map((s) => s.ms), 50);
    const cpu = percentile(contestant.samples.map((s) => s.cpu), 50);
    const serverCpu = percentile(contestant.samples.map((s) => s.serverCpu), 50);
    console.log(`     ${contestant.name.padEnd(34)}${mbps(ms).toFixed(0).padStart(7)}${cpu.toFixed(2).padStart(8)}${serverCpu.toFixed(2).padStart(14)}`);
  }
  const shimmyMbps = mbps(percentile(shimmy.samples.map((s) => s.ms), 50));
  const referenceMbps = Math.max(...[piped, sequential].map((c) => mbps(percentile(c.samples.map((s) => s.ms), 50))));
  console.log(`\nshimmy pull / the faster verifying curl: ratio of medians ${(shimmyMbps / referenceMbps).toFixed(2)}; of each run ${ratios.map((r) => r.toFixed(2)).join(", ")}, median ${percentile(ratios, 50).toFixed(2)} (target ≥ 0.90)`);
  const startup = await timed(process.execPath, [BIN, "--version"]);
  console.log(`fixed cost in each shimmy run: starting Node and the CLI ≈ ${startup.ms.toFixed(0)} ms, ${startup.cpu.toFixed(2)} CPU s (shimmy --version)`);
} finally {
  await hub.close();
  await fs.rm(tmp, { recursive: true, force: true });
}
