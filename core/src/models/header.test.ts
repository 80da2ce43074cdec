import fs from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { readGgufFileInfo } from "node-llama-cpp";
import { GgmlType, gguf, GgufValueType, writeGguf } from "../../../test/fixtures/gguf-writer.js";
import { metadataValue, type GgufMetadataTree } from "./gguf-check.js";
import { writeTinyModel } from "./fake-homes.fixture.js";
import { fileTypeName, quantizationFromName } from "./ggml-types.js";
import { MAX_DECODED_ITEMS, readGgufHeader } from "./gguf-reader.js";
import { HeaderCache, readModelHeader, type ModelHeader } from "./header.js";

let dir: string;
const fixtures = inject("fixtureModels");
const read = async (file: string) => readModelHeader(file, (await fs.stat(file)).size);

beforeAll(async () => {
  dir = await fs.mkdtemp(path.join(os.tmpdir(), "shimmy-header-"));
});
afterAll(async () => {
  await fs.rm(dir, { recursive: true, force: true });
});

describe("readModelHeader", () => {
  it("reads the chat fixture: architecture, parameters from the tensor shapes, quantization, template", async () => {
    const header = await read(fixtures.chat);
    expect(header).toMatchObject({
      invalidReason: null, notAModel: null, architecture: "llama", quantization: "F16",
      trainedContextLength: 2048, hasChatTemplate: true, embeddingOnly: false,
    });
    // 2 × token_embd/output (64 × vocab) + 2 blocks of 36,992 + output_norm: what llama.cpp reports.
    const vocab = (header.parameterCount! - 2 * 36_992 - 64) / 128;
    expect(Number.isInteger(vocab) && vocab > 500).toBe(true);
  });

  it("reads the bert fixture as embedding-only", async () => {
    expect(await read(fixtures.bert)).toMatchObject({ architecture: "bert", embeddingOnly: true, invalidReason: null, trainedContextLength: 512 });
  });

  it("treats a decoder with a pooling type as embedding-only (qwen3-embedding style)", async () => {
    const file = path.join(dir, "pooled.gguf");
    await writeTinyModel(file, { arch: "qwen3", metadata: { "qwen3.pooling_type": gguf.u32(3) } });
    expect((await read(file)).embeddingOnly).toBe(true);
  });

  it("refuses a file cut in half as truncated", async () => {
    const bytes = await fs.readFile(fixtures.chat);
    const file = path.join(dir, "half.gguf");
    await fs.writeFile(file, bytes.subarray(0, bytes.length / 2));
    const header = await read(file);
    expect(header.invalidReason).toMatch(/^truncated: its tensors need \d+ bytes but the file has \d+/);
    expect(header.architecture).toBe("llama");
  });

  it("refuses a file cut inside its header", async () => {
    const bytes = await fs.readFile(fixtures.chat);
    const file = path.join(dir, "head.gguf");
    await fs.writeFile(file, bytes.subarray(0, 3000));
    expect((await read(file)).invalidReason).toMatch(/^not a valid GGUF file: .*(ends inside its header|runs past the end of the file)/);
  });

  it("refuses random bytes, and GGUF magic followed by garbage, quickly", async () => {
    const random = path.join(dir, "random.gguf");
    await fs.writeFile(random, Buffer.from(Array.from({ length: 4096 }, (_, i) => (i * 7919) % 251)));
    expect((await read(random)).invalidReason).toMatch(/does not start with the GGUF magic/);
    const garbage = path.join(dir, "garbage.gguf");
    const body = Buffer.alloc(4096, 0xff);
    body.write("GGUF", 0, "ascii");
    body.writeUInt32LE(3, 4);
    await fs.writeFile(garbage, body);
    expect((await read(garbage)).invalidReason).toMatch(/out of range|larger than the file can hold/);
  });

  it("refuses an array whose length the file cannot hold instead of reading it", async () => {
    // A header with one key whose u8-array length is 2^40: node-llama-cpp would loop through zeros.
    const head = Buffer.alloc(24);
    head.write("GGUF", 0, "ascii");
    head.writeUInt32LE(3, 4);
    head.writeBigUInt64LE(0n, 8);
    head.writeBigUInt64LE(1n, 16);
    const key = Buffer.from("x.y");
    const kv = Buffer.alloc(8 + key.length + 4 + 4 + 8);
    kv.writeBigUInt64LE(BigInt(key.length), 0);
    key.copy(kv, 8);
    kv.writeUInt32LE(9, 8 + key.length);
    kv.writeUInt32LE(0, 12 + key.length);
    kv.writeBigUInt64LE(1n << 40n, 16 + key.length);
    const file = path.join(dir, "huge-array.gguf");
    await fs.writeFile(file, Buffer.concat([head, kv, Buffer.alloc(64)]));
    expect((await read(file)).invalidReason).toMatch(/x\.y runs past the end of the file/);
  });

  it("refuses metadata that would abort llama.cpp", async () => {
    const file = path.join(dir, "crash.gguf");
    await writeTinyModel(file, { metadata: { "llama.feed_forward_length": undefined } });
    expect((await read(file)).invalidReason).toMatch(/llama\.feed_forward_length is missing/);
  });

  it("marks projectors, vocabularies and adapters as not models", async () => {
    const clip = path.join(dir, "projector.gguf");
    await writeTinyModel(clip, { arch: "clip" });
    expect((await read(clip)).notAModel).toMatch(/vision projector/);
    const vocab = path.join(dir, "vocab.gguf");
    await writeTinyModel(vocab, { tensors: [] });
    expect((await read(vocab)).notAModel).toMatch(/vocabulary only/);
    const lora = path.join(dir, "lora.gguf");
    await writeTinyModel(lora, { metadata: { "general.type": gguf.str("adapter") } });
    expect((await read(lora)).notAModel).toMatch(/adapter/);
  });

  it("measures the layout exactly as the writer laid it out", async () => {
    const file = path.join(dir, "layout.gguf");
    await writeTinyModel(file, { tensors: [64, 32] });
    const { size } = await fs.stat(file);
    const header = await readGgufHeader(file, size);
    expect(header).toMatchObject({ version: 3, tensorCount: 2, elementCount: 96 });
    expect(header.dataEnd).toBe(header.dataOffset + 256 + 128);
    expect(header.dataEnd).toBe(size);
  });
});

/** 64-bit integers that fit a double are numbers in discovery's reader, bigints in node-llama-cpp's. */
const safeNumber = (v: unknown) => (typeof v === "bigint" && Number.isSafeInteger(Number(v)) ? Number(v) : v);

describe("readGgufHeader", () => {
  it("decodes every value type as node-llama-cpp's reader does, and keeps only the length of long arrays", async () => {
    const file = path.join(dir, "types.gguf");
    const long = Array.from({ length: MAX_DECODED_ITEMS + 1 }, (_, i) => `t${i}`);
    await writeGguf(file, {
      "a.u8": gguf.u8(200), "a.i8": gguf.i8(-5), "a.u16": gguf.u16(60000), "a.i16": gguf.i16(-300),
      "a.u32": gguf.u32(4_000_000_000), "a.i32": gguf.i32(-7), "a.f32": gguf.f32(0.5), "a.f64": gguf.f64(1.25),
      "a.bool": gguf.bool(true), "a.str": gguf.str("héllo"), "a.u64": gguf.u64(2n ** 60n), "a.i64": gguf.i64(-3),
      "b.ints": gguf.i32s([1, -2, 3]), "b.strs": gguf.strings(["x", "", "ž"]), "b.u8s": gguf.array(GgufValueType.Uint8, [1, 2]),
      "c.long": gguf.strings(long),
    }, [{ name: "w", dims: [32], type: GgmlType.F32, data: () => [new Uint8Array(128)] }]);
    const mine = (await readGgufHeader(file, (await fs.stat(file)).size)).metadata;
    const theirs = (await readGgufFileInfo(file, { readTensorInfo: false, logWarnings: false })).metadata as unknown as GgufMetadataTree;
    for (const key of Object.keys(mine)) {
      if (key === "c.long") continue;
      expect([key, mine[key]]).toEqual([key, safeNumber(metadataValue(theirs, key))]);
    }
    expect(mine["c.long"]).toHaveLength(MAX_DECODED_ITEMS + 1);
  });

  it("reads the fixtures' metadata as node-llama-cpp does", async () => {
    for (const file of [fixtures.chat, fixtures.bert]) {
      const mine = (await readGgufHeader(file, (await fs.stat(file)).size)).metadata;
      const theirs = (await readGgufFileInfo(file, { readTensorInfo: false, logWarnings: false })).metadata as unknown as GgufMetadataTree;
      for (const [key, value] of Object.entries(mine)) {
        const expected = metadataValue(theirs, key);
        if (Array.isArray(value) && value.length > MAX_DECODED_ITEMS) expect((expected as unknown[]).length).toBe(value.length);
        else expect([key, value]).toEqual([key, expected]);
      }
    }
  });
});

describe("HeaderCache", () => {
  it("reads each (path, size, mtime) once, shares concurrent reads, and prunes", async () => {
    let reads = 0;
    const cache = new HeaderCache(async () => { reads++; return { invalidReason: null } as ModelHeader; });
    await Promise.all([cache.get("/a", 1, 1), cache.get("/a", 1, 1)]);
    await cache.get("/a", 1, 2);
    expect(reads).toBe(2);
    expect(cache.stats).toEqual({ reads: 2, hits: 1 });
    cache.prune(new Set([HeaderCache.key("/a", 1, 2)]));
    expect(cache.size).toBe(1);
  });

  it("does not keep results of transient failures", async () => {
    const cache = new HeaderCache(async () => ({ invalidReason: "EMFILE", transient: true }) as ModelHeader);
    await cache.get("/a", 1, 1);
    await cache.get("/a", 1, 1);
    expect(cache.stats.reads).toBe(2);
  });
});

describe("quantization names", () => {
  it("maps general.file_type as llama.h does", () => {
    expect([0, 1, 2, 7, 15, 18, 30, 32, 38].map(fileTypeName)).toEqual(["F32", "F16", "Q4_0", "Q8_0", "Q4_K_M", "Q6_K", "IQ4_XS", "BF16", "MXFP4_MOE"]);
    expect(fileTypeName(4)).toBeNull();
    expect(fileTypeName("7")).toBeNull();
  });

  it("finds the quantization in file names, upper-cased, the last one winning", () => {
    expect(quantizationFromName("Llama-3.2-1B-Instruct-Q4_K_M.gguf")).toBe("Q4_K_M");
    expect(quantizationFromName("llama-2-7b.q8_0.gguf")).toBe("Q8_0");
    expect(quantizationFromName("Qwen3-30B-A3B-UD-Q4_K_XL-00001-of-00002.gguf")).toBe("Q4_K_XL");
    expect(quantizationFromName("model-IQ3_XXS.gguf")).toBe("IQ3_XXS");
    expect(quantizationFromName("phi-fp16.gguf")).toBe("F16");
    expect(quantizationFromName("Q8_0/model-Q4_0.gguf")).toBe("Q4_0");
    expect(quantizationFromName("stories260K.gguf")).toBeNull();
    expect(quantizationFromName("XQ4_K_M.gguf")).toBeNull();
  });
});
