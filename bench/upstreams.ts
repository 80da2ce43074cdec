/**
 * What proxying through an upstream costs (target: at least 0.97x the upstream's own tokens/s):
 * - overhead, in process: a Shimmy app over the fake engine is the upstream (the engine's time is
 *   ~0, so what remains is HTTP and the servers), and a second app whose engine is the upstream
 *   engine over it is the front; the same chat sent to each, interleaved: one-token answers for the
 *   per-request figure, `--tokens`-token streamed answers for the per-token one (the difference over
 *   the token count);
 * - tokens/s, real processes: `shimmy serve` on the SmolLM2-shaped benchmark model as the upstream,
 *   a second `shimmy serve` with it in `upstreams` as the front, the same streamed chat to each.
 *   npx tsx bench/upstreams.ts [--requests 300] [--tokens 200] [--runs 8] [--stream-tokens 128] [--threads 2] [--part overhead|rate|both]
 */
import fs from "node:fs";
import type { Server } from "node:http";
import type { AddressInfo } from "node:net";
import os from "node:os";
import path from "node:path";
import { parseArgs } from "node:util";
import { createApp } from "../core/src/app.js";
import { normalizeUpstreams } from "../core/src/config/upstreams.js";
import { FakeEngine } from "../core/src/engine/fake-engine.js";
import { NO_PLUGINS } from "../core/src/http/test-app.fixture.js";
import { createLogger } from "../core/src/logger.js";
import { CompositeEngine, UpstreamEngine } from "../core/src/routing/upstreams/index.js";
import { BENCH_MODEL_ID, benchFixture } from "./fixture.js";
import { startShimmyServer } from "./processes.js";
import { percentile } from "./stats.js";

const { values } = parseArgs({
  options: { requests: { type: "string", default: "300" }, tokens: { type: "string", default: "200" }, runs: { type: "string", default: "8" }, threads: { type: "string", default: "2" },
    "stream-tokens": { type: "string", default: "128" }, part: { type: "string", default: "both" } },
});
const requests = Number(values.requests);
const tokens = Number(values.tokens);
const logger = createLogger("silent");
const messages = [{ role: "system", content: "You are brief." }, { role: "user", content: "Tell me about the sea in a few words." }];

async function listen(app: { listen(port: number, host: string): Server }): Promise<{ url: string; server: Server }> {
  const server = app.listen(0, "127.0.0.1");
  await new Promise((resolve) => server.once("listening", resolve));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, server };
}

/** One streamed chat's wall time and the time to its first content chunk, its whole body read. */
async function streamed(url: string, model: string, maxTokens: number): Promise<{ ms: number; firstMs: number; chunks: number }> {
  const started = performance.now();
  const response = await fetch(`${url}/v1/chat/completions`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ model, messages, stream: true, max_tokens: maxTokens, temperature: 0, seed: 1 }),
  });
  if (!response.ok) throw new Error(`${url}: ${response.status} ${await response.text()}`);
  let firstMs = 0;
  let chunks = 0;
  const decoder = new TextDecoder();
  for await (const bytes of response.body!) {
    const text = decoder.decode(bytes, { stream: true });
    const count = text.split('"content":"').length - 1;
    if (count > 0 && chunks === 0) firstMs = performance.now() - started;
    chunks += count;
  }
  return { ms: performance.now() - started, firstMs, chunks };
}

async function overhead(): Promise<void> {
  const upstreamEngine = new FakeEngine({ answer: () => ({ text: "w ".repeat(tokens) }) });
  const upstream = await listen(createApp({ engine: upstreamEngine, rediscover: async () => undefined, logger, maxBodyBytes: 1 << 20, listenHost: "127.0.0.1", plugins: NO_PLUGINS }));
  const upstreams = new UpstreamEngine({ upstreams: normalizeUpstreams([{ name: "up", baseURL: `${upstream.url}/v1`, maxConcurrency: 8 }]), logger });
  await upstreams.start();
  const composite = new CompositeEngine(new FakeEngine({ models: [] }), upstreams);
  const front = await listen(createApp({ engine: composite, rediscover: async () => undefined, logger, maxBodyBytes: 1 << 20, listenHost: "127.0.0.1", plugins: NO_PLUGINS }));
  const targets = { direct: [upstream.url, "fake-chat"], proxied: [front.url, "up/fake-chat"] } as const;

  // CPU time as well as wall time: on a busy machine the wall time mostly measures the neighbours.
  const compare = async (count: number) => {
    for (let i = 0; i < 50; i++) for (const [url, model] of Object.values(targets)) await streamed(url, model, count);
    const samples = { direct: [] as number[], proxied: [] as number[] };
    const cpu = { direct: 0, proxied: 0 };
    for (let i = 0; i < requests; i++) {
      for (const kind of i % 2 === 0 ? (["direct", "proxied"] as const) : (["proxied", "direct"] as const)) {
        const before = process.cpuUsage();
        samples[kind].push((await streamed(targets[kind][0], targets[kind][1], count)).ms);
        const used = process.cpuUsage(before);
        cpu[kind] += (used.user + used.system) / 1000 / requests;
      }
    }
    return { direct: percentile(samples.direct, 50), proxied: percentile(samples.proxied, 50), cpuDirect: cpu.direct, cpuProxied: cpu.proxied };
  };
  const one = await compare(1);
  const many = await compare(tokens);
  const perRequest = one.proxied - one.direct;
  const perToken = ((many.proxied - many.direct) - perRequest) / tokens;
  console.log(`overhead (fake engine, in process, p50 of ${requests}):`);
  console.log(`  1-token streamed chat: direct ${one.direct.toFixed(3)} ms, through the upstream proxy ${one.proxied.toFixed(3)} ms: +${perRequest.toFixed(3)} ms per request`);
  console.log(`  ${tokens}-token streamed chat: direct ${many.direct.toFixed(3)} ms, proxied ${many.proxied.toFixed(3)} ms: +${(perToken * 1000).toFixed(1)} µs per streamed token`);
  const cpuPerRequest = one.cpuProxied - one.cpuDirect;
  const cpuPerToken = ((many.cpuProxied - many.cpuDirect) - cpuPerRequest) / tokens;
  console.log(`  CPU time (client, front and upstream in this process): +${cpuPerRequest.toFixed(3)} ms per request, +${(cpuPerToken * 1000).toFixed(1)} µs per streamed token`);
  front.server.close();
  upstream.server.close();
  await composite.dispose();
}

async function tokensPerSecond(): Promise<void> {
  const model = await benchFixture();
  const bin = path.resolve(import.meta.dirname, "../core/bin/shimmy.cjs");
  const work = fs.mkdtempSync(path.join(os.tmpdir(), "shimmy-bench-upstreams-"));
  const homes = { upstream: path.join(work, "upstream"), front: path.join(work, "front") };
  for (const home of Object.values(homes)) fs.mkdirSync(home, { recursive: true });
  const saved = process.env.SHIMMY_HOME;
  process.env.SHIMMY_HOME = homes.upstream;
  const upstream = await startShimmyServer(bin, ["--model", model, "--no-discovery", "--threads", values.threads!], work);
  fs.writeFileSync(path.join(homes.front, "config.json"), JSON.stringify({ upstreams: [{ name: "node1", baseURL: `${upstream.url}/v1` }] }));
  process.env.SHIMMY_HOME = homes.front;
  const front = await startShimmyServer(bin, ["--no-discovery"], work);
  process.env.SHIMMY_HOME = saved;
  try {
    const targets = { direct: [upstream.url, BENCH_MODEL_ID], proxied: [front.url, `node1/${BENCH_MODEL_ID}`] } as const;
    for (const [url, name] of Object.values(targets)) await streamed(url, name, 16);
    const rates = { direct: [] as number[], proxied: [] as number[] };
    const firsts = { direct: [] as number[], proxied: [] as number[] };
    for (let i = 0; i < Number(values.runs); i++) {
      for (const kind of i % 2 === 0 ? (["direct", "proxied"] as const) : (["proxied", "direct"] as const)) {
        const run = await streamed(targets[kind][0], targets[kind][1], Number(values["stream-tokens"]));
        console.error(`${kind}: ${run.chunks} chunks in ${run.ms.toFixed(0)} ms`);
        // Decode rate: the chunks after the first over the time after it.
        rates[kind].push((run.chunks - 1) / ((run.ms - run.firstMs) / 1000));
        firsts[kind].push(run.firstMs);
      }
    }
    const direct = percentile(rates.direct, 50);
    const proxied = percentile(rates.proxied, 50);
    console.log(`tokens/s (${BENCH_MODEL_ID}, --threads ${values.threads}, ${values["stream-tokens"]}-token streamed chats, p50 of ${values.runs}):`);
    console.log(`  direct ${direct.toFixed(1)} tok/s, through the front ${proxied.toFixed(1)} tok/s: ${(proxied / direct).toFixed(3)}x (target >= 0.97x)`);
    console.log(`  time to first token: direct ${percentile(firsts.direct, 50).toFixed(1)} ms, proxied ${percentile(firsts.proxied, 50).toFixed(1)} ms`);
  } finally {
    await Promise.all([front.stop(), upstream.stop()]);
    fs.rmSync(work, { recursive: true, force: true });
  }
}

if (values.part !== "rate") await overhead();
if (values.part !== "overhead") await tokensPerSecond();
