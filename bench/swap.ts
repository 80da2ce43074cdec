/**
 * Hot swapping figures: swap latency (unload A + load B) against a plain load of B, and the
 * server's resident memory over 100 load/unload cycles (it should stay flat).
 *   npx tsx bench/swap.ts [--cycles 100]
 */
import fs from "node:fs";
import path from "node:path";
import { parseArgs } from "node:util";
import { benchFixture } from "./fixture.js";
import { startShimmyServer } from "./processes.js";
import { percentile } from "./stats.js";

const ROOT = path.resolve(import.meta.dirname, "..");
const { values } = parseArgs({ options: { cycles: { type: "string", default: "100" }, threads: { type: "string", default: "1" } } });
const cycles = Number(values.cycles);

async function post(url: string, route: string, body: object): Promise<number> {
  const started = performance.now();
  const response = await fetch(`${url}/api/models${route}`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(body) });
  if (!response.ok) throw new Error(`${route}: ${response.status} ${await response.text()}`);
  await response.arrayBuffer();
  return performance.now() - started;
}

function rssMiB(pid: number): number {
  const status = fs.readFileSync(`/proc/${pid}/status`, "utf8");
  return Number(/VmRSS:\s+(\d+) kB/.exec(status)![1]) / 1024;
}

const first = await benchFixture();
const second = path.join(path.dirname(first), "smollm2-135m-shaped-copy.gguf");
if (!fs.existsSync(second)) fs.copyFileSync(first, second);
const a = path.basename(first, ".gguf");
const b = path.basename(second, ".gguf");

const server = await startShimmyServer(
  path.join(ROOT, "core/bin/shimmy.cjs"),
  ["--model", first, "--model", second, "--no-discovery", "--threads", values.threads!, "--max-loaded-models", "1", "--gpu", "off"],
  ROOT,
);
try {
  const pid = server.child.pid!;
  // First loads include each file's one-time probe in a child process.
  await post(server.url, "/load", { model: a });
  await post(server.url, "/load", { model: b });
  await post(server.url, "/unload", { model: b });

  const plain: number[] = [];
  const swaps: number[] = [];
  const rss: number[] = [];
  for (let i = 0; i < cycles; i++) {
    // A plain load of A (nothing loaded), then a swap to B: --max-loaded-models 1 unloads A first.
    plain.push(await post(server.url, "/load", { model: a }));
    swaps.push(await post(server.url, "/load", { model: b }));
    await post(server.url, "/unload", { model: b });
    rss.push(rssMiB(pid));
  }
  const p50 = (xs: number[]) => percentile(xs, 50).toFixed(1);
  console.log(`model ${a} (${(fs.statSync(first).size / 2 ** 20).toFixed(0)} MiB), ${cycles} cycles`);
  console.log(`plain load:           p50 ${p50(plain)} ms  p95 ${percentile(plain, 95).toFixed(1)} ms`);
  console.log(`swap (unload+load):   p50 ${p50(swaps)} ms  p95 ${percentile(swaps, 95).toFixed(1)} ms  ratio ${(percentile(swaps, 50) / percentile(plain, 50)).toFixed(2)}`);
  const early = percentile(rss.slice(0, 10), 50);
  const late = percentile(rss.slice(-10), 50);
  console.log(`RSS with nothing loaded: after 10 cycles ${early.toFixed(1)} MiB, after ${cycles} ${late.toFixed(1)} MiB (${(((late - early) / early) * 100).toFixed(1)}%)`);
} finally {
  await server.stop();
}
