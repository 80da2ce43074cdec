/**
 * Discovery against real llama.cpp: every model discovery calls valid loads in node-llama-cpp (in a
 * child process, since a bad GGUF can abort()), including a split model reached through Hugging Face
 * snapshot links and an Ollama blob without a `.gguf` extension; the facts discovery read from the
 * header match what llama.cpp reports once the model is loaded.
 */
import { execFile, type ChildProcess } from "node:child_process";
import fs from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { readGgufFileInfo } from "node-llama-cpp";
import { afterAll, afterEach, beforeAll, describe, expect, inject, it } from "vitest";
import { discoverModels, type DiscoveryResult } from "../core/src/models/index.js";
import { addToHuggingFaceCache, addToOllama } from "../core/src/models/fake-homes.fixture.js";

const LOAD_CHECK = fileURLToPath(new URL("./fixtures/load-check.mjs", import.meta.url));
const fixtures = inject("fixtureModels");
let tmp: string;
let result: DiscoveryResult;

const children = new Set<ChildProcess>();
afterEach(() => { for (const c of children) c.kill("SIGKILL"); children.clear(); });

/** Loads a model in a child `node` and returns load-check.mjs's facts. */
function loadCheck(modelPath: string): Promise<Record<string, unknown>> {
  return new Promise((resolve, reject) => {
    const child = execFile(process.execPath, [LOAD_CHECK, modelPath], { timeout: 45_000, killSignal: "SIGKILL" }, (error, stdout, stderr) => {
      children.delete(child);
      const line = stdout.trim().split("\n").at(-1) ?? "";
      try {
        resolve(JSON.parse(line) as Record<string, unknown>);
      } catch {
        reject(new Error(`load-check failed (${error?.message}): ${stdout}\n${stderr.slice(-2000)}`));
      }
    });
    children.add(child);
  });
}

/** Little-endian GGUF key/value bytes for the three split keys llama.cpp's gguf-split writes. */
function splitKeys(no: number, count: number, tensors: number): Buffer {
  const kv = (key: string, type: number, value: Buffer) => {
    const head = Buffer.alloc(8);
    head.writeBigUInt64LE(BigInt(Buffer.byteLength(key)));
    const t = Buffer.alloc(4);
    t.writeUInt32LE(type);
    return Buffer.concat([head, Buffer.from(key), t, value]);
  };
  const u16 = (v: number) => { const b = Buffer.alloc(2); b.writeUInt16LE(v); return b; };
  const i32 = (v: number) => { const b = Buffer.alloc(4); b.writeInt32LE(v); return b; };
  return Buffer.concat([kv("split.no", 2, u16(no)), kv("split.count", 2, u16(count)), kv("split.tensors.count", 5, i32(tensors))]);
}

/** Splits a GGUF into `PREFIX-0000K-of-0000N.gguf` parts as `llama-gguf-split --split-max-tensors` would. */
async function splitGguf(source: string, prefix: string, count: number): Promise<string[]> {
  const info = await readGgufFileInfo(source, { readTensorInfo: true, logWarnings: false, spliceSplitFiles: false });
  const bytes = await fs.readFile(source);
  const tensors = info.tensorInfo!;
  const dataStart = info.infoEndOffset!;
  const perPart = Math.ceil(tensors.length / count);
  const files: string[] = [];
  for (let p = 0; p < count; p++) {
    const mine = tensors.slice(p * perPart, (p + 1) * perPart);
    const first = Number(mine[0]!.offset);
    const end = p === count - 1 ? bytes.length - dataStart : Number(tensors[(p + 1) * perPart]!.offset);
    const kvs = Buffer.concat([p === 0 ? bytes.subarray(24, info.metadataSize) : Buffer.alloc(0), splitKeys(p, count, tensors.length)]);
    const head = Buffer.alloc(24);
    head.write("GGUF", 0, "ascii");
    head.writeUInt32LE(3, 4);
    head.writeBigUInt64LE(BigInt(mine.length), 8);
    head.writeBigUInt64LE(BigInt((p === 0 ? Number(bytes.readBigUInt64LE(16)) : 0) + 3), 16);
    const infos = mine.map((t) => {
      const name = Buffer.from(t.name);
      const b = Buffer.alloc(8 + name.length + 4 + 8 * t.dimensions.length + 4 + 8);
      let o = b.writeBigUInt64LE(BigInt(name.length));
      o += name.copy(b, o);
      o = b.writeUInt32LE(t.dimensions.length, o);
      for (const d of t.dimensions) o = b.writeBigUInt64LE(BigInt(d), o);
      o = b.writeUInt32LE(t.ggmlType, o);
      b.writeBigUInt64LE(BigInt(Number(t.offset) - first), o);
      return b;
    });
    const header = Buffer.concat([head, kvs, ...infos]);
    const padded = Buffer.concat([header, Buffer.alloc((32 - (header.length % 32)) % 32)]);
    const file = `${prefix}-${String(p + 1).padStart(5, "0")}-of-${String(count).padStart(5, "0")}.gguf`;
    await fs.writeFile(file, Buffer.concat([padded, bytes.subarray(dataStart + first, dataStart + end)]));
    files.push(file);
  }
  return files;
}

beforeAll(async () => {
  tmp = await fs.mkdtemp(path.join(os.tmpdir(), "shimmy-discovery-e2e-"));
  const home = path.join(tmp, "home");
  const cwd = path.join(tmp, "work");
  await fs.mkdir(path.join(cwd, "models"), { recursive: true });
  await fs.copyFile(fixtures.chat, path.join(cwd, "models", "chat.gguf"));
  await fs.copyFile(fixtures.bert, path.join(cwd, "models", "bert.gguf"));
  const chat = await fs.readFile(fixtures.chat);
  await fs.writeFile(path.join(cwd, "models", "truncated.gguf"), chat.subarray(0, chat.length - 1000));
  const parts = await splitGguf(fixtures.chat, path.join(tmp, "Chat-F16"), 2);
  const hub = path.join(home, ".cache", "huggingface", "hub");
  for (const part of parts) await addToHuggingFaceCache(hub, "org/Chat-GGUF", path.basename(part), part);
  await addToOllama(path.join(home, ".ollama", "models"), { model: "chat", tag: "tiny" }, fixtures.chat);
  result = await discoverModels({ env: { HOME: home }, cwd, modelFiles: [], modelsDirs: [], discovery: true });
});

afterAll(async () => {
  await fs.rm(tmp, { recursive: true, force: true });
});

describe("discovered models load in llama.cpp", () => {
  it("finds the expected models, and refuses the truncated one", () => {
    expect(result.models.map((m) => [m.id, m.invalidReason ?? null])).toEqual([
      ["bert", null], ["chat", null], ["truncated", expect.stringMatching(/^truncated/)],
      ["org/Chat-GGUF:F16", null], ["chat:tiny", null],
    ]);
    const split = result.models.find((m) => m.id === "org/Chat-GGUF:F16")!;
    expect(split.parts).toHaveLength(2);
    expect(split.parameterCount).toBe(result.models.find((m) => m.id === "chat")!.parameterCount);
  });

  for (const id of ["chat", "bert", "org/Chat-GGUF:F16", "chat:tiny"]) {
    it(`loads ${id} from the path discovery gives`, async () => {
      const model = result.models.find((m) => m.id === id)!;
      const facts = await loadCheck(model.path);
      expect(facts).toMatchObject({ ok: true, architecture: model.architecture, trainContextSize: model.trainedContextLength });
      expect(facts.kind).toBe(model.capabilities.includes("chat") ? "decoder" : "embedding");
    });
  }
});
