/**
 * `npx tsx bench/discovery.ts`: how long model discovery takes over 1,000 GGUF files.
 *
 * Writes the files into a temporary fake home spread over every layout discovery knows (plain
 * folders, the Hugging Face cache with snapshot links into blobs, Ollama manifests and blobs,
 * LM Studio, llama.cpp's cache), then times discovery with an empty header cache ("cold": every
 * header is walked and parsed) and with the cache of a previous run ("warm": only listing and
 * stat calls), and removes everything. The files were just written, so the OS page cache holds
 * them in both cases: "cold" means Shimmy's cache, not the disk's.
 *
 * Options: --files N (1000) --vocab N tokens per file (2; real models have 32,000-260,000, which
 * makes headers of 0.3-6 MB) --rounds N (3; the figure is the median).
 */
import fs from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { parseArgs } from "node:util";
import { gguf } from "../test/fixtures/gguf-writer.js";
import { addToHuggingFaceCache, addToOllama, writeTinyModel } from "../core/src/models/fake-homes.fixture.js";
import { discoverModels, HeaderCache, type DiscoverOptions } from "../core/src/models/index.js";
import { percentile } from "./stats.js";

const { values } = parseArgs({
  options: {
    files: { type: "string", default: "1000" },
    vocab: { type: "string", default: "2" },
    rounds: { type: "string", default: "3" },
  },
});
const total = Number(values.files);
const vocab = Number(values.vocab);
const rounds = Number(values.rounds);

/** Writes file number `i` at `file`: unique content (so Ollama blobs differ), `vocab` tokens. */
async function writeModel(file: string, i: number): Promise<void> {
  const tokens = Array.from({ length: vocab }, (_, t) => `tok${t}`);
  await writeTinyModel(file, {
    metadata: {
      "general.name": gguf.str(`bench model ${i}`),
      "tokenizer.ggml.tokens": gguf.strings(tokens),
      "tokenizer.ggml.merges": gguf.strings(["t o"]),
    },
  });
}

/** Spreads `total` files over the layouts: 30% plain, 30% Hugging Face, 20% Ollama, 10% LM Studio, 10% llama.cpp. */
async function populate(tmp: string, home: string, cwd: string): Promise<void> {
  const scratch = path.join(tmp, "scratch");
  let i = 0;
  const next = async () => {
    const file = path.join(scratch, `m${i}.gguf`);
    await writeModel(file, i++);
    return file;
  };
  const share = (fraction: number) => Math.round(total * fraction);
  for (let n = 0; n < share(0.3); n++) {
    await fs.mkdir(path.join(cwd, "models", `group${n % 10}`), { recursive: true });
    await fs.rename(await next(), path.join(cwd, "models", `group${n % 10}`, `plain-${n}-Q4_K_M.gguf`));
  }
  const hub = path.join(home, ".cache", "huggingface", "hub");
  for (let n = 0; n < share(0.3); n++) await addToHuggingFaceCache(hub, `org${n % 5}/Repo${Math.floor(n / 10)}-GGUF`, `Repo-${n}-Q${(n % 6) + 3}_K_M.gguf`, await next(), "f".repeat(40));
  const ollama = path.join(home, ".ollama", "models");
  for (let n = 0; n < share(0.2); n++) await addToOllama(ollama, { model: `model${Math.floor(n / 4)}`, tag: `tag${n % 4}` }, await next());
  for (let n = 0; n < share(0.1); n++) {
    const dest = path.join(home, ".lmstudio", "models", "publisher", `Repo${Math.floor(n / 5)}-GGUF`, `Repo-${n}-Q8_0.gguf`);
    await fs.mkdir(path.dirname(dest), { recursive: true });
    await fs.rename(await next(), dest);
  }
  await fs.mkdir(path.join(home, ".cache", "llama.cpp"), { recursive: true });
  while (i < total) await fs.rename(await next(), path.join(home, ".cache", "llama.cpp", `org_repo_file-${i}.gguf`));
  await fs.rm(scratch, { recursive: true, force: true });
}

async function main(): Promise<void> {
  const tmp = await fs.mkdtemp(path.join(os.tmpdir(), "shimmy-bench-discovery-"));
  try {
    const home = path.join(tmp, "home");
    const cwd = path.join(tmp, "work");
    const writeStart = performance.now();
    await populate(tmp, home, cwd);
    process.stderr.write(`wrote ${total} files (${vocab} tokens each) in ${((performance.now() - writeStart) / 1000).toFixed(1)} s\n`);
    const options: DiscoverOptions = { env: { HOME: home }, cwd, modelFiles: [], modelsDirs: [], discovery: true };

    const cold: number[] = [];
    const warm: number[] = [];
    let found = 0;
    for (let r = 0; r < rounds; r++) {
      const cache = new HeaderCache();
      let start = performance.now();
      const result = await discoverModels({ ...options, cache });
      cold.push(performance.now() - start);
      found = result.models.filter((m) => !m.invalidReason).length;
      if (found !== total) throw new Error(`found ${found} valid models of ${total}: ${result.problems.join("; ")}`);
      start = performance.now();
      await discoverModels({ ...options, cache });
      warm.push(performance.now() - start);
      if (cache.stats.reads !== total) throw new Error(`warm discovery read headers again (${cache.stats.reads} reads)`);
    }
    const coldMs = percentile(cold, 50);
    const warmMs = percentile(warm, 50);
    const row = (name: string, ms: number) => `${name.padEnd(6)} ${ms.toFixed(0).padStart(7)} ms ${Math.round(total / (ms / 1000)).toString().padStart(9)} files/s`;
    console.log(`discovery of ${total} GGUF files (${vocab} tokens each), median of ${rounds}, ${os.cpus().length} CPUs, Node ${process.version}`);
    console.log(row("cold", coldMs));
    console.log(row("warm", warmMs));
    console.log(`all rounds (ms): cold ${cold.map((v) => v.toFixed(0)).join(", ")}; warm ${warm.map((v) => v.toFixed(0)).join(", ")}`);
  } finally {
    await fs.rm(tmp, { recursive: true, force: true });
  }
}

await main();
