/**
 * Tests for the fixture models themselves: the GGUF writer round-trips through node-llama-cpp's reader,
 * the chat and BERT fixtures load and run in llama.cpp (in child processes: a bad GGUF can abort()),
 * writing is deterministic, and node-llama-cpp resolves a ChatML chat wrapper for the chat fixture.
 */
import { execFile, type ChildProcess } from "node:child_process";
import { createHash } from "node:crypto";
import { mkdtemp, readFile, rm, stat, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { readGgufFileInfo, type GgufFileInfo } from "node-llama-cpp";
import { afterAll, afterEach, beforeAll, describe, expect, inject, it } from "vitest";
import {
  GgmlType, gguf, GgufValueType, randomFloats, randomQ8_0, tensorByteSize, toF16Bits, writeGguf, type GgufTensor,
} from "./fixtures/gguf-writer.js";
import {
  BERT_SHAPE, buildByteLevelVocab, buildWordPieceVocab, CHAT_LLAMA_SHAPE, CHATML_TEMPLATE, writeChatLlamaFixture,
} from "./fixtures/models.js";

const LOAD_CHECK = fileURLToPath(new URL("./fixtures/load-check.mjs", import.meta.url));
const CHILD_TIMEOUT_MS = 45_000; // below vitest's 60 s testTimeout, so the child is killed before the test gives up

const models = inject("fixtureModels");
let scratch: string;
beforeAll(async () => { scratch = await mkdtemp(join(tmpdir(), "shimmy-fixtures-test-")); });
afterAll(async () => { await rm(scratch, { recursive: true, force: true }); });

// Every child is tracked so none outlives its test, whatever happens to the test.
const children = new Set<ChildProcess>();
afterEach(() => { for (const c of children) c.kill("SIGKILL"); children.clear(); });

type LoadCheckResult = { code: number | null; signal: string | null; stdout: string; stderr: string; facts: Record<string, any> | undefined };

/** Runs load-check.mjs on a model in a child `node`, bounded by CHILD_TIMEOUT_MS. */
function loadCheck(modelPath: string, ...args: string[]): Promise<LoadCheckResult> {
  return new Promise((resolve) => {
    const child = execFile(process.execPath, [LOAD_CHECK, modelPath, ...args], {
      timeout: CHILD_TIMEOUT_MS, killSignal: "SIGKILL", maxBuffer: 4 * 1024 * 1024,
    }, (error, stdout, stderr) => {
      children.delete(child);
      const line = stdout.trim().split("\n").at(-1);
      let facts: Record<string, any> | undefined;
      try { facts = line ? JSON.parse(line) : undefined; } catch { facts = undefined; }
      const code = error ? (typeof error.code === "number" ? error.code : null) : 0;
      resolve({ code, signal: error?.signal ?? null, stdout, stderr, facts });
    });
    children.add(child);
  });
}

const describeResult = (r: LoadCheckResult) => `exit ${r.code} signal ${r.signal}\nstdout: ${r.stdout}\nstderr: ${r.stderr.slice(-2000)}`;
const sha256 = async (path: string) => createHash("sha256").update(await readFile(path)).digest("hex");
const collect = (chunks: Iterable<Uint8Array>) => Buffer.concat([...chunks]);
const big = (v: unknown) => BigInt(v as number | bigint);
/** Metadata as a plain nested record: the typed GgufMetadata does not know our test keys. */
const meta = (info: GgufFileInfo) => info.metadata as unknown as Record<string, any>;

describe("GGUF writer", () => {
  it("round-trips every value type and F32/F16/Q8_0 tensors through node-llama-cpp's reader", async () => {
    const path = join(scratch, "roundtrip.gguf");
    const tensors: GgufTensor[] = [
      { name: "a.f32", dims: [5, 3], type: GgmlType.F32, data: () => randomFloats(GgmlType.F32, 15, 1, 1) },
      { name: "b.f16", dims: [7], type: GgmlType.F16, data: () => randomFloats(GgmlType.F16, 7, 2, 1) },
      { name: "c.q8_0", dims: [64, 2], type: GgmlType.Q8_0, data: () => randomQ8_0(128, 3, 0.1) },
    ];
    await writeGguf(path, {
      "test.u8": gguf.u8(250), "test.i8": gguf.i8(-5), "test.u16": gguf.u16(65000), "test.i16": gguf.i16(-30000),
      "test.u32": gguf.u32(4_000_000_000), "test.i32": gguf.i32(-2_000_000_000),
      "test.u64": gguf.u64(2n ** 40n + 1n), "test.i64": gguf.i64(-(2n ** 40n)),
      "test.f32": gguf.f32(1.5), "test.f64": gguf.f64(0.1), "test.bool": gguf.bool(true),
      "test.str": gguf.str("héllo ▁ wörld"),
      "test.strs": gguf.strings(["a", "", "Ġthe", "<|im_start|>"]),
      "test.i32s": gguf.i32s([1, -2, 3]),
      "test.f32s": gguf.f32s([0.5, -0.25]),
      "test.u8s": gguf.array(GgufValueType.Uint8, [1, 2, 255]),
    }, tensors);

    const info = await readGgufFileInfo(path, { readTensorInfo: true, logWarnings: false });
    expect(info.version).toBe(3);
    expect(Number(info.tensorCount)).toBe(3);
    const t = meta(info).test;
    expect(t).toMatchObject({ u8: 250, i8: -5, u16: 65000, i16: -30000, u32: 4_000_000_000, i32: -2_000_000_000, f32: 1.5, f64: 0.1, bool: true });
    expect(big(t.u64)).toBe(2n ** 40n + 1n);
    expect(big(t.i64)).toBe(-(2n ** 40n));
    expect(t.str).toBe("héllo ▁ wörld");
    expect(t.strs).toEqual(["a", "", "Ġthe", "<|im_start|>"]);
    expect(t.i32s).toEqual([1, -2, 3]);
    expect(t.f32s).toEqual([0.5, -0.25]);
    expect(t.u8s).toEqual([1, 2, 255]);
    expect(meta(info).general.alignment).toBe(32);

    const infos = info.tensorInfo!;
    expect(infos.map((x) => [x.name, x.dimensions.map(Number), x.ggmlType])).toEqual([
      ["a.f32", [5, 3], GgmlType.F32], ["b.f16", [7], GgmlType.F16], ["c.q8_0", [64, 2], GgmlType.Q8_0],
    ]);
    // Offsets: 32-byte aligned and packed (gguf.cpp rejects gaps); the data section starts aligned too.
    expect(infos.map((x) => Number(x.offset))).toEqual([0, 64, 96]);
    expect(info.infoEndOffset! % 32).toBe(0);
    // the last tensor is padded too: 60→64, 14→32, 4 blocks·34=136→160
    expect((await stat(path)).size).toBe(info.infoEndOffset! + 64 + 32 + 160);
  });

  it("writes the tensor bytes its generators yield at the advertised file offsets", async () => {
    const path = join(scratch, "data.gguf");
    const q = collect(randomQ8_0(96, 9, 0.05));
    const f = collect(randomFloats(GgmlType.F32, 10, 8, 2));
    await writeGguf(path, {}, [
      { name: "f", dims: [10], type: GgmlType.F32, data: () => [f] },
      { name: "q", dims: [96], type: GgmlType.Q8_0, data: () => [q] },
    ]);
    const info = await readGgufFileInfo(path, { readTensorInfo: true, logWarnings: false });
    const file = await readFile(path);
    for (const [ti, bytes] of [[info.tensorInfo![0]!, f], [info.tensorInfo![1]!, q]] as const) {
      const start = Number(ti.fileOffset);
      expect(Buffer.compare(file.subarray(start, start + bytes.length), bytes)).toBe(0);
    }
    // Q8_0 layout: 34-byte blocks, each starting with the f16 scale std/73.9.
    expect(q.length).toBe(tensorByteSize(GgmlType.Q8_0, 96));
    const d = toF16Bits(0.05 / 73.9);
    for (let b = 0; b < 3; b++) expect(q.readUInt16LE(b * 34)).toBe(d);
    // F32 values are uniform in [-2, 2].
    const floats = new Float32Array(f.buffer, f.byteOffset, 10);
    expect(floats.every((v) => Math.abs(v) <= 2)).toBe(true);
    expect(new Set(floats).size).toBe(10);
  });

  it("rejects a generator that yields the wrong number of bytes", async () => {
    await expect(writeGguf(join(scratch, "bad.gguf"), {}, [
      { name: "x", dims: [4], type: GgmlType.F32, data: () => [new Uint8Array(12)] },
    ])).rejects.toThrow(/wrote 12 bytes, expected 16/);
  });

  it("is deterministic: same seed → same bytes, other seed → other bytes", async () => {
    expect(collect(randomQ8_0(4096, 42, 0.1))).toEqual(collect(randomQ8_0(4096, 42, 0.1)));
    expect(collect(randomQ8_0(4096, 42, 0.1))).not.toEqual(collect(randomQ8_0(4096, 43, 0.1)));
    expect(collect(randomFloats(GgmlType.F16, 1000, 7, 1))).toEqual(collect(randomFloats(GgmlType.F16, 1000, 7, 1)));

    const again = join(scratch, "chat-again.gguf");
    const other = join(scratch, "chat-other-seed.gguf");
    await writeChatLlamaFixture(again);
    await writeChatLlamaFixture(other, { seed: 12345 });
    expect(await sha256(again)).toBe(await sha256(models.chat));
    expect(await sha256(other)).not.toBe(await sha256(models.chat));
  });
});

describe("fixture metadata (read back with readGgufFileInfo)", () => {
  it("chat fixture: llama arch, gpt2 BPE vocab with ChatML specials, ChatML template, expected tensors", async () => {
    const info = await readGgufFileInfo(models.chat, { readTensorInfo: true, logWarnings: false });
    const m = meta(info);
    const { nEmbd, nLayer, nHead, nHeadKv, nFf } = CHAT_LLAMA_SHAPE;
    const vocab = buildByteLevelVocab({ trainedMerges: 320 });
    expect(m.general.architecture).toBe("llama");
    expect(m.llama).toMatchObject({
      embedding_length: nEmbd, block_count: nLayer, feed_forward_length: nFf, context_length: 2048,
      vocab_size: vocab.tokens.length, attention: { head_count: nHead, head_count_kv: nHeadKv },
      rope: { dimension_count: nEmbd / nHead },
    });
    expect(m.tokenizer.ggml.model).toBe("gpt2");
    expect(m.tokenizer.ggml.pre).toBe("smollm");
    expect(m.tokenizer.ggml.tokens).toEqual(vocab.tokens);
    expect(m.tokenizer.ggml.tokens.slice(0, 3)).toEqual(["<|endoftext|>", "<|im_start|>", "<|im_end|>"]);
    expect(m.tokenizer.ggml.token_type.slice(0, 4)).toEqual([3, 3, 3, 1]);
    expect(m.tokenizer.ggml.merges.length).toBeGreaterThanOrEqual(300);
    expect(m.tokenizer.ggml.merges.slice(0, 3)).toContain("Ġ t");
    expect(new Set(m.tokenizer.ggml.tokens).size).toBe(m.tokenizer.ggml.tokens.length); // duplicates abort llama.cpp
    expect(m.tokenizer.ggml.bos_token_id).toBe(0);
    expect(m.tokenizer.ggml.eos_token_id).toBe(2);
    expect(m.tokenizer.chat_template).toBe(CHATML_TEMPLATE);

    const shapes = Object.fromEntries(info.tensorInfo!.map((t) => [t.name, t.dimensions.map(Number)]));
    expect(info.tensorInfo!.length).toBe(3 + 9 * nLayer);
    expect(shapes["token_embd.weight"]).toEqual([nEmbd, vocab.tokens.length]);
    expect(shapes["output.weight"]).toEqual([nEmbd, vocab.tokens.length]);
    expect(shapes["output_norm.weight"]).toEqual([nEmbd]);
    expect(shapes["blk.1.attn_k.weight"]).toEqual([nEmbd, (nEmbd / nHead) * nHeadKv]);
    expect(shapes["blk.1.ffn_down.weight"]).toEqual([nFf, nEmbd]);
    expect(info.tensorInfo!.find((t) => t.name === "blk.0.attn_q.weight")!.ggmlType).toBe(GgmlType.F16);
    expect(info.tensorInfo!.find((t) => t.name === "blk.0.attn_norm.weight")!.ggmlType).toBe(GgmlType.F32);
  });

  it("BERT fixture: WordPiece vocab with ▁ word starts and special ids, mean pooling, expected tensors", async () => {
    const info = await readGgufFileInfo(models.bert, { readTensorInfo: true, logWarnings: false });
    const m = meta(info);
    const { tokens } = buildWordPieceVocab();
    expect(m.general.architecture).toBe("bert");
    expect(m.bert).toMatchObject({
      embedding_length: BERT_SHAPE.nEmbd, block_count: BERT_SHAPE.nLayer, context_length: 512, pooling_type: 1,
      attention: { causal: false, head_count: BERT_SHAPE.nHead },
    });
    expect(m.tokenizer.ggml).toMatchObject({
      model: "bert", token_type_count: 2, cls_token_id: 2, seperator_token_id: 3, padding_token_id: 0, unknown_token_id: 1,
    });
    expect(m.tokenizer.ggml.tokens).toEqual(tokens);
    expect(m.tokenizer.ggml.tokens.slice(0, 5)).toEqual(["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"]);
    expect(tokens).toContain("▁the");
    expect(tokens.some((t) => t.startsWith("##"))).toBe(false);
    const names = info.tensorInfo!.map((t) => t.name);
    for (const n of ["token_embd.weight", "token_types.weight", "position_embd.weight", "token_embd_norm.bias",
      "blk.1.attn_v.bias", "blk.1.attn_output_norm.weight", "blk.1.ffn_down.bias", "blk.1.layer_output_norm.bias"]) {
      expect(names).toContain(n);
    }
    expect(info.tensorInfo!.find((t) => t.name === "position_embd.weight")!.dimensions.map(Number)).toEqual([BERT_SHAPE.nEmbd, 512]);
  });
});

describe("fixtures load in llama.cpp (child process)", () => {
  it("chat fixture loads, tokenizes ChatML specials, resolves a ChatML wrapper and generates text", async () => {
    const r = await loadCheck(models.chat, "--max-tokens", "24");
    expect(r.code, describeResult(r)).toBe(0);
    const f = r.facts!;
    expect(f).toMatchObject({ ok: true, architecture: "llama", kind: "decoder", vocabSize: buildByteLevelVocab({ trainedMerges: 320 }).tokens.length });
    expect(f.embeddingVectorSize).toBe(CHAT_LLAMA_SHAPE.nEmbd);
    expect(f.imStartTokens).toEqual([1]);
    expect(f.imStartIsSingleControlToken).toBe(true);
    expect(f.eosString).toBe("<|im_end|>");
    // merges work: the sample costs far fewer tokens than its 57 bytes
    expect(f.sampleTokenCount).toBeLessThan(40);
    // Random weights: text, not one token repeated (temperature 0.8, fixed seed).
    expect(f.generatedTokenCount).toBe(24);
    expect(f.generated.length).toBeGreaterThan(0);
    expect(f.distinctGeneratedTokens).toBeGreaterThanOrEqual(8);

    console.info(`chat fixture: node-llama-cpp resolved ${f.chatWrapper}`);
    expect(["ChatMLChatWrapper", "JinjaTemplateChatWrapper"]).toContain(f.chatWrapper);
    expect(f.chatWrapperRender).toContain("<|im_start|>user\nHi there<|im_end|>\n<|im_start|>assistant\n");
  });

  it("BERT fixture loads as an embedding model and embeds a sentence into n_embd dimensions", async () => {
    const r = await loadCheck(models.bert);
    expect(r.code, describeResult(r)).toBe(0);
    const f = r.facts!;
    expect(f).toMatchObject({ ok: true, architecture: "bert", kind: "embedding", vocabularyType: "wpm" });
    expect(f.embeddingLength).toBe(BERT_SHAPE.nEmbd);
    expect([f.bos, f.sep]).toEqual([2, 3]); // [CLS] … [SEP] around every embedded input
    expect(f.embeddingFinite).toBe(true);
    expect(f.embeddingNorm).toBeGreaterThan(0);
    expect(f.sampleTokensWithSpecial).not.toContain(1); // every word of the sample is in the vocab: no [UNK]
    expect(f.sampleDetokenized.trim()).toBe(f.sample);
  });

  it("reports failure (non-zero exit) for a truncated model instead of hanging", async () => {
    const truncated = join(scratch, "truncated.gguf");
    const full = await readFile(models.chat);
    await writeFile(truncated, full.subarray(0, Math.floor(full.length / 2)));
    const r = await loadCheck(truncated);
    expect(r.code, describeResult(r)).not.toBe(0);
    expect(r.facts?.ok).not.toBe(true);
  });
});
