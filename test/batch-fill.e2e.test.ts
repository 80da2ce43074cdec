/**
 * Continuous batching fills every batch: four chats generating at once on a model with four slots
 * decode one token of each per batch, as llama.cpp's server steps all its slots at once. Before
 * patches/node-llama-cpp+3.22.1.patch made the batch dispatcher wait one event-loop turn between
 * batches, the sequence sampled last missed each batch: 4 streams decoded 3 tokens a batch.
 * Counted on node-llama-cpp's own context inside LoadedModel, the code a runner drives.
 */
import { getLlama, LlamaLogLevel, type Llama, type LlamaContext } from "node-llama-cpp";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { GrammarCache } from "../core/src/engine/grammar-cache.js";
import { LoadedModel } from "../core/src/engine/loaded-model.js";

const STREAMS = 4;
const TOKENS = 24;
let llama: Llama;
let model: LoadedModel;
/** How many batches held how many tokens, from the context's own `initBatch` calls. */
const batchSizes = new Map<number, number>();
/** The sequence of each token run added to each batch, in the order added (`addToBatch` calls). */
const batchSequences: number[][] = [];

beforeAll(async () => {
  llama = await getLlama({ build: "never", gpu: false, maxThreads: 1, logLevel: LlamaLogLevel.error });
  model = await LoadedModel.load(llama, { id: "chat-llama", path: inject("fixtureModels").chat, contextSize: 512, parallel: STREAMS, threads: 1, queueSize: 16 }, new GrammarCache(llama));
  // The addon's context is what every batch goes through; its methods are read-only, so it is wrapped.
  const context = (model as unknown as { context: LlamaContext & { _ctx: Record<string, unknown> } }).context;
  const addon = context._ctx;
  context._ctx = new Proxy(addon, {
    get(target, property) {
      const value = target[property as string];
      if (typeof value !== "function") return value;
      if (property === "initBatch") {
        return (size: number) => {
          batchSizes.set(size, (batchSizes.get(size) ?? 0) + 1);
          batchSequences.push([]);
          return value.call(target, size);
        };
      }
      if (property === "addToBatch") {
        return (sequenceId: number, ...rest: unknown[]) => {
          batchSequences.at(-1)?.push(sequenceId);
          return value.call(target, sequenceId, ...rest);
        };
      }
      return value.bind(target);
    },
  });
});
afterAll(async () => {
  await model?.dispose();
  await llama?.dispose();
});

describe("continuous batching", () => {
  it("decodes one token of every generating stream in each batch", async () => {
    const signal = new AbortController().signal;
    let chunks = 0; // streamed, as a runner streams every answer
    const answers = await Promise.all(
      Array.from({ length: STREAMS }, (_, i) =>
        model.chat({ model: "chat-llama", turns: [{ role: "user", text: `Story number ${i}` }], signal, onText: () => void chunks++, sampling: { maxTokens: TOKENS, temperature: 0, stop: [], logitBias: { 300: 100 } } }),
      ),
    );
    expect(answers.map((a) => a.completionTokens)).toEqual(Array(STREAMS).fill(TOKENS));
    expect(chunks).toBeGreaterThan(0);
    // Prompts are evaluated first (batches of many tokens); every generated token after the
    // first is decoded in a batch of exactly one token per stream.
    const generationBatches = [...batchSizes].filter(([size]) => size <= STREAMS);
    expect(Object.fromEntries(generationBatches)).toEqual({ [STREAMS]: TOKENS - 1 });
  });

  it("adds a batch's tokens in ascending sequence order when the streams started at different times", async () => {
    // llama.cpp keeps one KV stream per sequence here (node-llama-cpp sets kv_unified = false), and
    // then puts in one ubatch only sequences whose ids follow each other in batch order: a batch
    // added out of order is split, each part reading all the weights again (4 streams, each started
    // a little after the other, ran 1.8x slower before the patch sorted the batch).
    batchSequences.length = 0;
    const signal = new AbortController().signal;
    const started: Promise<unknown>[] = [];
    let previous: Promise<void> = Promise.resolve();
    for (let i = 0; i < STREAMS; i++) {
      // Each stream starts once the one before has streamed 3 pieces: the later, the fewer tokens.
      await previous;
      let pieces = 0;
      let third!: () => void;
      previous = new Promise<void>((resolve) => (third = resolve));
      started.push(
        model.chat({
          model: "chat-llama", turns: [{ role: "user", text: `Staggered story ${i}` }], signal,
          onText: () => void (++pieces === 3 && third()),
          sampling: { maxTokens: TOKENS, temperature: 0, stop: [], logitBias: { 300: 100 } },
        }).finally(() => third()),
      );
    }
    await Promise.all(started);
    const shared = batchSequences.filter((ids) => ids.length > 1);
    expect(shared.filter((ids) => ids.length === STREAMS).length).toBeGreaterThan(5);
    for (const ids of shared) expect(ids).toEqual([...ids].sort((a, b) => a - b));
  });
});
