import { describe, expect, it } from "vitest";
import { ggufRefusalReason, metadataValue } from "./gguf-check.js";

function llamaMetadata() {
  return {
    general: { architecture: "llama" },
    llama: {
      context_length: 2048, embedding_length: 64, block_count: 2, feed_forward_length: 128,
      attention: { head_count: 4, head_count_kv: 2, layer_norm_rms_epsilon: 1e-5 },
    },
    tokenizer: { ggml: { model: "gpt2", tokens: ["a", "b"], token_type: [1, 1], merges: ["a b"] } },
  };
}

describe("ggufRefusalReason", () => {
  it("accepts complete llama metadata", () => {
    expect(ggufRefusalReason(llamaMetadata(), 10)).toBeNull();
  });

  it("refuses a missing feed_forward_length, which aborts llama.cpp", () => {
    const metadata = llamaMetadata();
    delete (metadata.llama as Partial<typeof metadata.llama>).feed_forward_length;
    expect(ggufRefusalReason(metadata, 10)).toMatch(/llama\.feed_forward_length is missing/);
  });

  it("refuses heads that do not divide the embedding", () => {
    const metadata = llamaMetadata();
    metadata.llama.attention.head_count = 5;
    expect(ggufRefusalReason(metadata, 10)).toMatch(/not a multiple/);
  });

  it("refuses kv heads that do not divide the heads", () => {
    const metadata = llamaMetadata();
    metadata.llama.attention.head_count_kv = 3;
    expect(ggufRefusalReason(metadata, 10)).toMatch(/head_count_kv/);
  });

  it("refuses a gpt2 tokenizer without merges", () => {
    const metadata = llamaMetadata();
    metadata.tokenizer.ggml.merges = [];
    expect(ggufRefusalReason(metadata, 10)).toMatch(/merges/);
  });

  it("refuses token arrays of different lengths", () => {
    const metadata = llamaMetadata();
    metadata.tokenizer.ggml.token_type = [1];
    expect(ggufRefusalReason(metadata, 10)).toMatch(/token_type has 1 entries for 2 tokens/);
  });

  it("refuses vocab-only files and vision projectors", () => {
    expect(ggufRefusalReason(llamaMetadata(), 0)).toMatch(/only a vocabulary/);
    expect(ggufRefusalReason({ general: { architecture: "clip" } }, 10)).toMatch(/vision projector/);
  });

  it("refuses a file without an architecture", () => {
    expect(ggufRefusalReason({}, 10)).toMatch(/general\.architecture/);
  });

  it("reads dotted keys from the nested metadata", () => {
    expect(metadataValue(llamaMetadata(), "llama.attention.head_count")).toBe(4);
    expect(metadataValue(llamaMetadata(), "llama.nope.x")).toBeUndefined();
  });
});
