import { describe, expect, it } from "vitest";
import type { Engine } from "../engine/types.js";
import type { EmbedderModel, PluginEmbedderSource } from "../plugins/embedders.js";
import { ENGINE_EMBED_BATCH, EngineEmbeddingBackend } from "./embedding-backend.js";

/** A local model that answers [1, 0] for every text, and counts its calls. */
function localEngine(calls: string[]): Engine {
  return {
    embed: async (request: { model: string }) => {
      calls.push(`engine:${request.model}`);
      return { vectors: [new Float32Array([1, 0])], promptTokens: 3, dimensions: 2 };
    },
    listModels: () => [{ id: "bert", contextSize: 512, capabilities: ["embedding"] }],
  } as unknown as Engine;
}

/** One plugin embedder, `remote/embed`, whose backend answers unnormalised vectors. */
function pluginEmbedders(calls: string[]): PluginEmbedderSource {
  const model = { id: "remote/embed", plugin: "remote", dimensions: 2, maxInputTokens: 100, maxBatchSize: 16, ready: true } as unknown as EmbedderModel;
  return {
    embedder: (id) => (id === model.id ? model : undefined),
    embedderModels: () => [model],
    embed: async (id, texts) => {
      calls.push(`plugin:${id}`);
      return { vectors: texts.map(() => new Float32Array([3, 4])), promptTokens: 7 };
    },
  };
}

describe("the vector stores' embedding backend", () => {
  it("sends PLUGIN/EMBEDDER to the plugin, normalised, and other ids to the engine", async () => {
    const calls: string[] = [];
    const backend = new EngineEmbeddingBackend(localEngine(calls), { embedders: pluginEmbedders(calls) });
    const remote = await backend.embed("remote/embed", ["a", "b"], new AbortController().signal);
    expect(remote.dimensions).toBe(2);
    expect(remote.vectors.map((v) => [...v].map((x) => Number(x.toFixed(4))))).toEqual([[0.6, 0.8], [0.6, 0.8]]);
    // One plugin call for the batch; its backend's one total shared out over the texts.
    expect(remote.tokens.reduce((a, b) => a + b, 0)).toBe(7);
    expect(remote.tokens).toHaveLength(2);
    const local = await backend.embed("bert", ["a", "b"], new AbortController().signal);
    expect([...local.vectors[0]!]).toEqual([1, 0]);
    // A local model: a call per text, so each text gets its exact count.
    expect(local.tokens).toEqual([3, 3]);
    expect(calls).toEqual(["plugin:remote/embed", "engine:bert", "engine:bert"]);
    expect(backend.maxBatchSize("remote/embed")).toBe(16);
    expect(backend.maxBatchSize("bert")).toBe(ENGINE_EMBED_BATCH);
    expect(backend.maxInputTokens("remote/embed")).toBe(100);
    expect(backend.maxInputTokens("bert")).toBe(512);
  });

  it("without plugin embedders, every id goes to the engine", async () => {
    const calls: string[] = [];
    const backend = new EngineEmbeddingBackend(localEngine(calls));
    await backend.embed("remote/embed", ["a"], new AbortController().signal);
    expect(calls).toEqual(["engine:remote/embed"]);
  });

  it("keeps its own copy of a local model's vector, which the engine may reuse the memory of", async () => {
    // As a runner process's answer: a view into a buffer that the next message overwrites.
    const shared = new Float32Array([1, 0]);
    const engine = {
      embed: async () => {
        const out = { vectors: [shared.subarray(0)], promptTokens: 3, dimensions: 2 };
        setTimeout(() => shared.set([0, 1]), 0);
        return out;
      },
      listModels: () => [],
    } as unknown as Engine;
    const first = await new EngineEmbeddingBackend(engine).embed("bert", ["a"], new AbortController().signal);
    await new Promise((r) => setTimeout(r, 0));
    expect([...first.vectors[0]!]).toEqual([1, 0]);
  });
});
