import { describe, expect, it } from "vitest";
import { fakeModel } from "../engine/fake-engine.js";
import type { ModelInfo } from "../engine/types.js";
import { modelDigest, parameterSize, runningList, tagsList } from "./model-list.js";
import { ollamaName, resolveModelName } from "./model-names.js";
import { modelInfoOf, ollamaCapabilities } from "./model-show.js";

const info = (id: string, extra: Partial<ModelInfo> = {}): ModelInfo => ({ ...fakeModel(id), created: 0, contextSize: 2048, ...extra });

describe("model names", () => {
  it("lists an id without a tag as name:latest, and an id with one as it is", () => {
    expect(ollamaName("chat-llama")).toBe("chat-llama:latest");
    expect(ollamaName("qwen2.5:0.5b")).toBe("qwen2.5:0.5b");
    expect(ollamaName("Qwen/Qwen2.5-0.5B-Instruct-GGUF:Q4_K_M")).toBe("Qwen/Qwen2.5-0.5B-Instruct-GGUF:Q4_K_M");
    expect(ollamaName("host:8080/model")).toBe("host:8080/model:latest");
  });

  it("resolves a name as sent, then without :latest", () => {
    const ids = new Set(["chat-llama", "qwen2.5:0.5b", "odd:latest"]);
    expect(resolveModelName("chat-llama:latest", ids)).toBe("chat-llama");
    expect(resolveModelName("chat-llama", ids)).toBe("chat-llama");
    expect(resolveModelName("qwen2.5:0.5b", ids)).toBe("qwen2.5:0.5b");
    expect(resolveModelName("odd:latest", ids)).toBe("odd:latest");
    // Unknown names and aliases go to the engine, which resolves or refuses them.
    expect(resolveModelName("fast:latest", ids)).toBe("fast");
    expect(resolveModelName("nope:7b", ids)).toBe("nope:7b");
  });
});

describe("tagsList and runningList", () => {
  it("lists servable models in Ollama's shape, refused ones left out", () => {
    const list = tagsList([info("chat", { parameterCount: 1_500_000_000, quantization: "Q4_K_M" }), info("broken", { invalidReason: "bad" })]);
    expect(list.models).toEqual([{
      name: "chat:latest", model: "chat:latest", modified_at: "2023-11-14T22:13:20.000Z", size: 1_000_000, digest: expect.stringMatching(/^[0-9a-f]{64}$/),
      details: { parent_model: "", format: "gguf", family: "fake", families: ["fake"], parameter_size: "1.5B", quantization_level: "Q4_K_M" },
    }]);
  });

  it("lists only loaded models in ps, with their memory, expiry and context, and no routes", () => {
    const models = [info("a"), info("b"), info("auto", { source: "route" })];
    const state = (id: string) => ({ loaded: id !== "b", memoryBytes: 5_000, expiresAt: id === "a" ? Date.UTC(2030, 0, 1) : null });
    const { models: running } = runningList(models, state);
    expect(running.map((m) => m.name)).toEqual(["a:latest"]);
    expect(running[0]).toMatchObject({ size: 5_000, size_vram: 0, context_length: 2048, expires_at: "2030-01-01T00:00:00.000Z" });
  });

  it("writes parameter sizes as Ollama does, and digests that change with the file", () => {
    expect(parameterSize(null)).toBe("");
    expect(parameterSize(292_800)).toBe("293K");
    expect(parameterSize(494_000_000)).toBe("494M");
    expect(parameterSize(8_030_000_000)).toBe("8.0B");
    const model = info("x");
    expect(modelDigest(model)).toBe(modelDigest({ ...model }));
    expect(modelDigest({ ...model, modifiedAt: model.modifiedAt + 1 })).not.toBe(modelDigest(model));
  });
});

describe("show's pieces", () => {
  it("names the capabilities Ollama clients look for", () => {
    expect(ollamaCapabilities({ capabilities: ["chat", "completion"] })).toEqual(["completion", "tools"]);
    expect(ollamaCapabilities({ capabilities: ["embedding"] })).toEqual(["embedding"]);
    expect(ollamaCapabilities({ capabilities: ["completion"] })).toEqual(["completion"]);
  });

  it("shows GGUF metadata without the template, long arrays as null unless verbose, numbers for bigints", () => {
    const metadata = {
      "general.architecture": "llama", "llama.context_length": 2048, "tokenizer.chat_template": "{{ x }}",
      "tokenizer.ggml.tokens": Array.from({ length: 100 }, (_, i) => `t${i}`), "llama.rope.dimension_sections": [1, 2], "general.size": 5n,
    };
    const info = modelInfoOf(metadata, 1000, false);
    expect(info).toEqual({
      "general.architecture": "llama", "llama.context_length": 2048, "tokenizer.ggml.tokens": null, "llama.rope.dimension_sections": [1, 2],
      "general.size": 5, "general.parameter_count": 1000,
    });
    expect((modelInfoOf(metadata, null, true)["tokenizer.ggml.tokens"] as string[]).length).toBe(100);
  });
});
