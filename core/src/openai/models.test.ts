import { describe, expect, it } from "vitest";
import type { ModelInfo } from "../engine/types.js";
import { modelList, modelObject } from "./models.js";

const info = (id: string, extra: Partial<ModelInfo> = {}): ModelInfo => ({
  id,
  path: `/models/${id}.gguf`,
  source: "local",
  created: 1_700_000_000,
  modifiedAt: 1_700_000_000,
  sizeBytes: 1024,
  architecture: "llama",
  parameterCount: null,
  quantization: null,
  hasChatTemplate: true,
  capabilities: ["chat", "completion", "embedding"],
  trainedContextLength: 512,
  contextSize: 512,
  ...extra,
});

describe("modelObject", () => {
  it("has OpenAI's model shape, owned by shimmy", () => {
    expect(modelObject(info("stories"))).toStrictEqual({
      id: "stories",
      object: "model",
      created: 1_700_000_000,
      owned_by: "shimmy",
    });
  });
});

describe("modelList", () => {
  it("lists the models in order as an OpenAI list", () => {
    const list = modelList([info("a"), info("b")]);
    expect(list.object).toBe("list");
    expect(list.data.map((m) => m.id)).toEqual(["a", "b"]);
  });

  it("leaves out models refused with an invalidReason", () => {
    expect(modelList([info("good"), info("bad", { invalidReason: "unsupported architecture" })]).data.map((m) => m.id)).toEqual([
      "good",
    ]);
  });

  it("is an empty list when no model is served", () => {
    expect(modelList([])).toStrictEqual({ object: "list", data: [] });
  });
});
