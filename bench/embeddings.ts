/**
 * `npx tsx bench/embeddings.ts`: embeddings per second through `POST /v1/embeddings`, Shimmy against
 * llama.cpp's own server (`--embeddings`, built from the llama.cpp node-llama-cpp ships) on the
 * same GGUF and threads. Each request embeds a batch of distinct sentences; requests go one after
 * another; rounds alternate between the two servers (after a warm-up of each) so drift on a busy
 * machine hits both alike; the figure is the median round. The vectors of both are compared too.
 *
 * Models (random weights, written once into the temp folder): `bert` is the test suite's tiny BERT
 * fixture (64 wide, 2 blocks, mean pooling), `minilm` a BERT in all-MiniLM-L6-v2's shape (384 wide,
 * 6 blocks, ~44 MB F32). llama-server keeps its defaults (slots, batch) beyond `--embeddings -t N`.
 *
 * Options: --models bert,minilm --threads N (1) --batch N inputs per request (32) --rounds N (5)
 * --seconds N per round and server (3) --llama-server PATH (else ../shared/tools/build-llama-server.sh)
 * --llama-server-args="ARGS" (more flags for llama-server, such as --llama-server-args="-fa off").
 */
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { parseArgs } from "node:util";
import { bertBenchFixture } from "./fixture.js";
import { findLlamaServer, startLlamaServer, startShimmyServer, type ServerProcess } from "./processes.js";
import { percentile } from "./stats.js";

const ROOT = path.resolve(import.meta.dirname, "..");
const SHIMMY = path.join(ROOT, "core/bin/shimmy.cjs");

const { values } = parseArgs({
  options: {
    models: { type: "string", default: "bert,minilm" },
    threads: { type: "string", default: "1" },
    batch: { type: "string", default: "32" },
    rounds: { type: "string", default: "5" },
    seconds: { type: "string", default: "3" },
    "llama-server": { type: "string" },
    "llama-server-args": { type: "string", default: "" },
  },
});
const threads = Number(values.threads);
const batch = Number(values.batch);
const rounds = Number(values.rounds);
const roundMs = Number(values.seconds) * 1000;

const WORDS = "the quick brown fox jumps over lazy dog once upon a time there was little house near water".split(" ");
let sentenceCounter = 0;

/** `batch` distinct sentences of 10 words (about 12 tokens with [CLS] and [SEP]). */
function sentences(): string[] {
  return Array.from({ length: batch }, () => {
    const n = sentenceCounter++;
    return Array.from({ length: 10 }, (_, i) => WORDS[(n * 7 + i * (n % 5 + 1)) % WORDS.length]).join(" ");
  });
}

async function embed(url: string, model: string, input: string[]): Promise<{ vectors: number[][]; promptTokens: number }> {
  const response = await fetch(`${url}/v1/embeddings`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ model, input, encoding_format: "float" }),
  });
  const body = (await response.json()) as { data?: { embedding: number[] }[]; usage?: { prompt_tokens: number } };
  if (!response.ok || body.data?.length !== input.length) throw new Error(`${url}: ${response.status} ${JSON.stringify(body).slice(0, 300)}`);
  return { vectors: body.data.map((d) => d.embedding), promptTokens: body.usage?.prompt_tokens ?? Number.NaN };
}

/** Embeddings per second over one round of back-to-back requests. */
async function measure(url: string, model: string): Promise<number> {
  const started = performance.now();
  let embedded = 0;
  while (performance.now() - started < roundMs) {
    embedded += (await embed(url, model, sentences())).vectors.length;
  }
  return (embedded / (performance.now() - started)) * 1000;
}

function cosine(a: number[], b: number[]): number {
  let dot = 0, na = 0, nb = 0;
  for (let i = 0; i < a.length; i++) {
    dot += a[i]! * b[i]!;
    na += a[i]! * a[i]!;
    nb += b[i]! * b[i]!;
  }
  return dot / Math.sqrt(na * nb);
}

async function compare(name: string, llamaServer: string): Promise<void> {
  const file = await bertBenchFixture(name);
  const servers: [string, ServerProcess][] = [];
  try {
    servers.push(["shimmy", await startShimmyServer(SHIMMY, ["--model", file, "--threads", String(threads), "--gpu", "off"], ROOT)]);
    servers.push(["llama-server", await startLlamaServer(llamaServer, ["-m", file, "--embeddings", "-t", String(threads), ...values["llama-server-args"]!.split(" ").filter(Boolean)])]);
    // Warm-up (Shimmy creates its embedding context on the first request), and the vectors side by side.
    const probe = sentences();
    const [ours, theirs] = [await embed(servers[0]![1].url, name, probe), await embed(servers[1]![1].url, name, probe)];
    const agreement = Math.min(...ours.vectors.map((v, i) => cosine(v, theirs.vectors[i]!)));
    for (const [, server] of servers) await measure(server.url, name);

    const figures = new Map<string, number[]>(servers.map(([label]) => [label, []]));
    for (let r = 0; r < rounds; r++) {
      for (const [label, server] of r % 2 === 0 ? servers : [...servers].reverse()) figures.get(label)!.push(await measure(server.url, name));
    }
    const shimmy = percentile(figures.get("shimmy")!, 50);
    const reference = percentile(figures.get("llama-server")!, 50);
    console.log(`\nmodel: ${name} (${path.basename(file)}, ${(fs.statSync(file).size / 1e6).toFixed(1)} MB)  threads: ${threads}  batch: ${batch}  rounds: ${rounds} x ${roundMs / 1000} s`);
    for (const [label, list] of figures) {
      console.log(`  ${label.padEnd(13)} ${percentile(list, 50).toFixed(1).padStart(8)} embeddings/s  (rounds: ${list.map((x) => x.toFixed(0)).join(", ")})`);
    }
    console.log(`  ratio shimmy/llama-server: ${(shimmy / reference).toFixed(2)}x   lowest cosine between the two servers' vectors: ${agreement.toFixed(6)}`);
    console.log(`  usage.prompt_tokens of one batch: shimmy ${ours.promptTokens}, llama-server ${theirs.promptTokens}`);
  } finally {
    for (const [, server] of servers) await server.stop();
  }
}

const llamaServer = findLlamaServer(values["llama-server"]);
if (!llamaServer) throw new Error("no llama-server: pass --llama-server PATH (../shared/tools/build-llama-server.sh builds one)");
for (const name of values.models!.split(",")) await compare(name, llamaServer);
