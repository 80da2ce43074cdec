/**
 * Test helpers: tiny GGUF files and fake homes laid out as the real tools lay them out (Hugging Face
 * cache, Ollama store, LM Studio, llama.cpp's cache). Used by the discovery tests and the benchmark.
 */
import { createHash } from "node:crypto";
import fs from "node:fs/promises";
import path from "node:path";
import { GgmlType, gguf, writeGguf, type GgufValue } from "../../../test/fixtures/gguf-writer.js";

/** Options of {@link writeTinyModel}. */
export interface TinyModelOptions {
  arch?: string;
  /** Metadata added to (or, with `undefined`, removed from) the defaults. */
  metadata?: Record<string, GgufValue | undefined>;
  /** F32 tensors, by element count; `[]` writes a vocabulary-only file. */
  tensors?: number[];
}

/**
 * Writes a small GGUF (about 1 KB) whose metadata passes `ggufRefusalReason`: a `llama`-style header
 * with a two-token gpt2 vocabulary and a couple of F32 tensors. It is never loaded, only discovered.
 */
export async function writeTinyModel(file: string, { arch = "llama", metadata = {}, tensors = [64, 32] }: TinyModelOptions = {}): Promise<void> {
  const base: Record<string, GgufValue | undefined> = {
    "general.architecture": gguf.str(arch),
    "general.file_type": gguf.u32(0),
    [`${arch}.context_length`]: gguf.u32(4096),
    [`${arch}.embedding_length`]: gguf.u32(64),
    [`${arch}.block_count`]: gguf.u32(1),
    [`${arch}.feed_forward_length`]: gguf.u32(128),
    [`${arch}.attention.head_count`]: gguf.u32(4),
    [`${arch}.attention.layer_norm_rms_epsilon`]: gguf.f32(1e-5),
    "tokenizer.ggml.model": gguf.str("gpt2"),
    "tokenizer.ggml.tokens": gguf.strings(["a", "b"]),
    "tokenizer.ggml.merges": gguf.strings(["a b"]),
    ...metadata,
  };
  const kvs = Object.fromEntries(Object.entries(base).filter((e): e is [string, GgufValue] => e[1] !== undefined));
  await fs.mkdir(path.dirname(file), { recursive: true });
  await writeGguf(file, kvs, tensors.map((n, i) => ({
    name: `t${i}.weight`, dims: [n], type: GgmlType.F32, data: () => [new Uint8Array(n * 4)],
  })));
}

/** Writes a split model's parts (`PREFIX-0000K-of-0000N.gguf`) as llama.cpp's gguf-split does; returns their paths. */
export async function writeSplitModel(prefix: string, count: number, { skip = [] as number[] } = {}): Promise<string[]> {
  const files: string[] = [];
  for (let i = 0; i < count; i++) {
    const file = `${prefix}-${String(i + 1).padStart(5, "0")}-of-${String(count).padStart(5, "0")}.gguf`;
    files.push(file);
    if (skip.includes(i + 1)) continue;
    const split = { "split.no": gguf.u16(i), "split.count": gguf.u16(count), "split.tensors.count": gguf.i32(count * 2) };
    if (i === 0) await writeTinyModel(file, { metadata: split });
    else {
      // Later parts carry only the split keys and their tensors, as gguf-split writes them.
      await fs.mkdir(path.dirname(file), { recursive: true });
      await writeGguf(file, split, [64, 32].map((n, j) => ({ name: `p${i}.t${j}.weight`, dims: [n], type: GgmlType.F32, data: () => [new Uint8Array(n * 4)] })));
    }
  }
  return files;
}

/** Places `source` in a Hugging Face cache as `models--ORG--NAME`: blob by sha256, snapshot link, `refs/main`. */
export async function addToHuggingFaceCache(hub: string, repo: string, fileName: string, source: string, revision = "a".repeat(40), main = true): Promise<string> {
  const repoDir = path.join(hub, `models--${repo.replace("/", "--")}`);
  const bytes = await fs.readFile(source);
  const sha = createHash("sha256").update(bytes).update(fileName).digest("hex");
  await fs.mkdir(path.join(repoDir, "blobs"), { recursive: true });
  await fs.writeFile(path.join(repoDir, "blobs", sha), bytes);
  const link = path.join(repoDir, "snapshots", revision, fileName);
  await fs.mkdir(path.dirname(link), { recursive: true });
  await fs.symlink(path.relative(path.dirname(link), path.join(repoDir, "blobs", sha)), link);
  if (main) {
    await fs.mkdir(path.join(repoDir, "refs"), { recursive: true });
    await fs.writeFile(path.join(repoDir, "refs", "main"), revision);
  }
  return link;
}

/** Places `source` in an Ollama store: `blobs/sha256-HEX` and the manifest at `manifests/REGISTRY/NS/MODEL/TAG`. */
export async function addToOllama(root: string, name: { registry?: string; namespace?: string; model: string; tag: string }, source: string): Promise<string> {
  const bytes = await fs.readFile(source);
  const digest = createHash("sha256").update(bytes).digest("hex");
  const blob = path.join(root, "blobs", `sha256-${digest}`);
  await fs.mkdir(path.dirname(blob), { recursive: true });
  await fs.writeFile(blob, bytes);
  const template = Buffer.from("{{ .Prompt }}");
  const templateDigest = createHash("sha256").update(template).digest("hex");
  await fs.writeFile(path.join(root, "blobs", `sha256-${templateDigest}`), template);
  const manifest = {
    schemaVersion: 2,
    mediaType: "application/vnd.docker.distribution.manifest.v2+json",
    config: { mediaType: "application/vnd.docker.container.image.v1+json", digest: `sha256:${"c".repeat(64)}`, size: 485 },
    layers: [
      { mediaType: "application/vnd.ollama.image.model", digest: `sha256:${digest}`, size: bytes.length },
      { mediaType: "application/vnd.ollama.image.template", digest: `sha256:${templateDigest}`, size: template.length },
    ],
  };
  const file = path.join(root, "manifests", name.registry ?? "registry.ollama.ai", name.namespace ?? "library", name.model, name.tag);
  await fs.mkdir(path.dirname(file), { recursive: true });
  await fs.writeFile(file, JSON.stringify(manifest));
  return blob;
}
