import { describe, expect, it } from "vitest";
import type { Engine } from "../engine/types.js";
import type { EmbedderModel, PluginEmbedderSource } from "../plugins/embedders.js";
import { EngineEmbeddingBackend } from "./embedding-backend.js";

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
  const model = { id: "remote/embed", plugin: "remote", dimensions: 2, maxInputTokens: 100, ready: true } as unknown as EmbedderModel;
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
    expect(remote.tokens).toEqual([7, 7]);
    const local = await backend.embed("bert", ["a"], new AbortController().signal);
    expect([...local.vectors[0]!]).toEqual([1, 0]);
    expect(calls).toEqual(["plugin:remote/embed", "plugin:remote/embed", "engine:bert"]);
    expect(backend.maxInputTokens("remote/embed")).toBe(100);
    expect(backend.maxInputTokens("bert")).toBe(512);
  });

  it("without plugin embedders, every id goes to the engine", async () => {
    const calls: string[] = [];
    const backend = new EngineEmbeddingBackend(localEngine(calls));
    await backend.embed("remote/embed", ["a"], new AbortController().signal);
    expect(calls).toEqual(["engine:remote/embed"]);
  });
});
