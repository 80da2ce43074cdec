/**
 * `npx tsx bench/ingest.ts`: vector-store ingestion with a local GGUF embedder, in chunks per second,
 * against llama.cpp's own server embedding the very same chunks; then the restart-to-searchable time
 * of that store. Both sides in one run, on the same GGUF and threads.
 *
 *  - Shimmy: `shimmy serve --model M --threads N --gpu off` on a temporary SHIMMY_HOME; `--files`
 *    text files are uploaded, then each round creates a fresh store of all of them (OpenAI's default
 *    static chunking, 800/400, cut to the model's context) and polls it until every file is
 *    `completed`. The figure covers the whole pipeline (extract, chunk, embed, commit to SQLite,
 *    add to the HNSW index), timed from the store's creation to its last file's completion.
 *  - llama-server: `llama-server -m M --embeddings -t N` on node-llama-cpp's CPU libraries (processes.ts; plus `--llama-server-args`),
 *    `POST /v1/embeddings` with the chunks Shimmy stored (read back through the files' `content`),
 *    `--batch` chunks a request, one request after another: the embedding alone.
 *  Rounds alternate which side goes first; the figure is the median round.
 *  - Restart: SIGTERM, start again on the same home, and time from the spawn until a search of the
 *    biggest store answers with results (and until the listening line, for comparison).
 *
 * Model (random weights, written once into the temp folder, shared with bench/embeddings.ts):
 * `minilm`, a BERT in all-MiniLM-L6-v2's shape (384 wide, 6 blocks, 512-token context, ~44 MB
 * F32), or `bert`, the suite's tiny fixture (64 wide).
 *
 * Options: --model minilm|bert (minilm) --threads N (1) --files N (20) --words N words a file (2000)
 * --batch N chunks per llama-server request (the size Shimmy's ingestion embeds a GGUF in)
 * --rounds N (3) --llama-server PATH (else ../shared/tools/build-llama-server.sh)
 * --llama-server-args="ARGS" (more flags for llama-server; should it refuse chunks as larger than a
 * slot's context, which its default of several slots over the 512-token context can do, add "-np 1").
 */
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { parseArgs } from "node:util";
import { ENGINE_EMBED_BATCH } from "../core/src/vectors/embedding-backend.js";
import { bertBenchFixture } from "./fixture.js";
import { findLlamaServer, startLlamaServer, startShimmyServer, type ServerProcess } from "./processes.js";
import { percentile } from "./stats.js";

const ROOT = path.resolve(import.meta.dirname, "..");
const SHIMMY = path.join(ROOT, "core/bin/shimmy.cjs");

const { values } = parseArgs({
  options: {
    model: { type: "string", default: "minilm" },
    threads: { type: "string", default: "1" },
    files: { type: "string", default: "20" },
    words: { type: "string", default: "2000" },
    batch: { type: "string", default: String(ENGINE_EMBED_BATCH) },
    rounds: { type: "string", default: "3" },
    "llama-server": { type: "string" },
    "llama-server-args": { type: "string", default: "" },
  },
});
const modelName = values.model!;
const threads = Number(values.threads);
const fileCount = Number(values.files);
const wordsPerFile = Number(values.words);
const batch = Number(values.batch);
const rounds = Number(values.rounds);

// Prose-like text: common words in sentences, so chunk token counts resemble real documents'.
const WORDS = (
  "the of and to in is you that it he was for on are as with his they at be this have from or one had by word but not what all " +
  "were we when your can said there use an each which she do how their if will up other about out many then them these so some " +
  "her would make like him into time has look two more write go see number no way could people my than first water been call who"
).split(" ");

function document(seed: number): string {
  let x = seed * 2654435761 + 1;
  const next = () => ((x = (x * 1103515245 + 12345) % 2147483648), x);
  const sentences: string[] = [];
  for (let words = 0; words < wordsPerFile; ) {
    const length = 6 + (next() % 14);
    const sentence = Array.from({ length }, () => WORDS[next() % WORDS.length]).join(" ");
    sentences.push(`${sentence[0]!.toUpperCase()}${sentence.slice(1)}.`);
    words += length;
  }
  return sentences.join(" ");
}

async function api<T>(url: string, route: string, init: { method?: string; body?: unknown; form?: FormData } = {}): Promise<T> {
  const response = await fetch(`${url}/v1${route}`, {
    method: init.method ?? (init.body || init.form ? "POST" : "GET"),
    ...(init.form ? { body: init.form } : init.body ? { headers: { "content-type": "application/json" }, body: JSON.stringify(init.body) } : {}),
  });
  const body = (await response.json()) as T;
  if (!response.ok) throw new Error(`${route}: ${response.status} ${JSON.stringify(body).slice(0, 300)}`);
  return body;
}

interface StoreObject { id: string; file_counts: { in_progress: number; completed: number; failed: number; total: number } }

/** Creates a store of every file and waits until none is in progress; seconds taken. */
async function ingest(url: string, model: string, fileIds: string[]): Promise<{ storeId: string; seconds: number }> {
  const started = performance.now();
  const store = await api<StoreObject>(url, "/vector_stores", { body: { name: "bench", embedding_model: model, file_ids: fileIds } });
  for (;;) {
    const now = await api<StoreObject>(url, `/vector_stores/${store.id}`);
    if (now.file_counts.in_progress === 0) {
      if (now.file_counts.failed > 0) throw new Error(`ingestion failed: ${JSON.stringify(now.file_counts)}`);
      return { storeId: store.id, seconds: (performance.now() - started) / 1000 };
    }
    await new Promise((r) => setTimeout(r, 20));
  }
}

async function chunksOf(url: string, storeId: string, fileIds: string[]): Promise<string[]> {
  const texts: string[] = [];
  for (const id of fileIds) {
    const page = await api<{ data: { text: string }[] }>(url, `/vector_stores/${storeId}/files/${id}/content`);
    texts.push(...page.data.map((d) => d.text));
  }
  return texts;
}

/** Embeds every chunk through llama-server, `batch` a request; seconds taken and prompt tokens. */
async function embedAll(url: string, model: string, chunks: string[]): Promise<{ seconds: number; tokens: number }> {
  const started = performance.now();
  let tokens = 0;
  for (let i = 0; i < chunks.length; i += batch) {
    const input = chunks.slice(i, i + batch);
    const response = await fetch(`${url}/v1/embeddings`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ model, input, encoding_format: "float" }) });
    const body = (await response.json()) as { data?: unknown[]; usage?: { prompt_tokens: number } };
    if (!response.ok || body.data?.length !== input.length) throw new Error(`llama-server: ${response.status} ${JSON.stringify(body).slice(0, 300)}`);
    tokens += body.usage?.prompt_tokens ?? 0;
  }
  return { seconds: (performance.now() - started) / 1000, tokens };
}

const file = await bertBenchFixture(modelName);
const llamaServer = findLlamaServer(values["llama-server"]);
if (!llamaServer) throw new Error("no llama-server: pass --llama-server PATH (../shared/tools/build-llama-server.sh builds one)");
const home = fs.mkdtempSync(path.join(os.tmpdir(), "shimmy-bench-ingest-"));
process.env.SHIMMY_HOME = home; // the Shimmy children inherit it
const shimmyArgs = ["--model", file, "--threads", String(threads), "--gpu", "off", "--no-discovery"];
const servers: ServerProcess[] = [];
try {
  let shimmy = await startShimmyServer(SHIMMY, shimmyArgs, ROOT);
  servers.push(shimmy);
  const llama = await startLlamaServer(llamaServer, ["-m", file, "--embeddings", "-t", String(threads), ...values["llama-server-args"]!.split(" ").filter(Boolean)]);
  servers.push(llama);

  const fileIds: string[] = [];
  for (let f = 0; f < fileCount; f++) {
    const form = new FormData();
    form.append("purpose", "assistants");
    form.append("file", new Blob([document(f)]), `doc-${f}.txt`);
    fileIds.push((await api<{ id: string }>(shimmy.url, "/files", { form })).id);
  }
  // Warm-up: the store's first embedding loads the model and its embedding context; llama-server's first request.
  const warm = await ingest(shimmy.url, modelName, fileIds.slice(0, 1));
  await embedAll(llama.url, modelName, (await chunksOf(shimmy.url, warm.storeId, fileIds.slice(0, 1))).slice(0, batch));
  /** The chunks Shimmy stored in round 0 (it goes first then): what llama-server embeds every round. */
  const chunks: string[] = [];

  const ours: number[] = [];
  const theirs: number[] = [];
  let storeId = warm.storeId;
  let chunkCount = 0;
  let theirTokens = 0;
  for (let r = 0; r < rounds; r++) {
    const sides = [
      async () => {
        const run = await ingest(shimmy.url, modelName, fileIds);
        storeId = run.storeId;
        const stored = await chunksOf(shimmy.url, run.storeId, fileIds);
        chunkCount = stored.length;
        ours.push(stored.length / run.seconds);
        if (r === 0) chunks.push(...stored);
      },
      async () => {
        const run = await embedAll(llama.url, modelName, chunks);
        theirTokens = run.tokens;
        theirs.push(chunks.length / run.seconds);
      },
    ];
    // Shimmy first in round 0, so llama-server embeds exactly the chunks Shimmy stored.
    for (const side of r % 2 === 0 ? sides : [...sides].reverse()) await side();
  }

  console.log(`\nmodel: ${modelName} (${(fs.statSync(file).size / 1e6).toFixed(1)} MB)  threads: ${threads}  files: ${fileCount} x ${wordsPerFile} words  chunks: ${chunkCount}  rounds: ${rounds}`);
  console.log(`  shimmy ingestion   ${percentile(ours, 50).toFixed(1).padStart(8)} chunks/s  (rounds: ${ours.map((x) => x.toFixed(1)).join(", ")}; extract, chunk, embed, SQLite, HNSW)`);
  console.log(`  llama-server       ${percentile(theirs, 50).toFixed(1).padStart(8)} chunks/s  (rounds: ${theirs.map((x) => x.toFixed(1)).join(", ")}; /v1/embeddings, ${batch} chunks a request, ${theirTokens} tokens)`);
  console.log(`  ratio shimmy/llama-server: ${(percentile(ours, 50) / percentile(theirs, 50)).toFixed(2)}x`);

  // Restart to searchable: the store of the last round (every file), after a clean stop.
  await shimmy.stop();
  servers.splice(servers.indexOf(shimmy), 1);
  shimmy = await startShimmyServer(SHIMMY, shimmyArgs, ROOT);
  servers.push(shimmy);
  for (;;) {
    const response = await fetch(`${shimmy.url}/v1/vector_stores/${storeId}/search`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ query: chunks[0] }) });
    if (response.ok && ((await response.json()) as { data: unknown[] }).data.length > 0) break;
    await new Promise((r) => setTimeout(r, 10));
  }
  const searchable = performance.now();
  const stores = (await api<{ data: unknown[] }>(shimmy.url, "/vector_stores?limit=100")).data.length;
  console.log(`  restart to searchable (${stores} stores, ${chunkCount} chunks in the searched one): ${((searchable - shimmy.startedAt) / 1000).toFixed(2)} s from spawn (listening after ${((shimmy.listeningAt - shimmy.startedAt) / 1000).toFixed(2)} s; first search loads the model)`);
} finally {
  for (const server of servers) await server.stop();
  fs.rmSync(home, { recursive: true, force: true });
}
