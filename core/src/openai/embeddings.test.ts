import { describe, expect, it } from "vitest";
import { ShimmyError } from "../errors.js";
import { embeddingResponse, float32ToBase64, MAX_EMBEDDING_INPUTS, parseEmbeddingRequest, singleInputError } from "./embeddings.js";

const body = (extra: Record<string, unknown> = {}) => ({ model: "m", input: "hello", ...extra });

/** The 400 `invalid_parameter` that `body` gets. */
function rejection(request: unknown): ShimmyError {
  try {
    parseEmbeddingRequest(request);
  } catch (err) {
    expect(err).toBeInstanceOf(ShimmyError);
    const e = err as ShimmyError;
    expect(e.status).toBe(400);
    expect(e.code).toBe("invalid_parameter");
    return e;
  }
  throw new Error("expected the body to be rejected");
}

describe("parseEmbeddingRequest: accepted shapes", () => {
  it("takes one string as a single input, float by default", () => {
    expect(parseEmbeddingRequest(body())).toEqual({ model: "m", inputs: ["hello"], single: true, encodingFormat: "float" });
  });

  it("takes an array of strings as a batch, in order", () => {
    expect(parseEmbeddingRequest(body({ input: ["a", "b", "c"] }))).toMatchObject({ inputs: ["a", "b", "c"], single: false });
  });

  it("takes one array of token ids as a single input", () => {
    expect(parseEmbeddingRequest(body({ input: [5, 0, 7] }))).toMatchObject({ inputs: [[5, 0, 7]], single: true });
  });

  it("takes an array of arrays of token ids as a batch", () => {
    expect(parseEmbeddingRequest(body({ input: [[1, 2], [3]] }))).toMatchObject({ inputs: [[1, 2], [3]], single: false });
  });

  it("passes base64, dimensions on, and ignores user and unknown keys", () => {
    expect(parseEmbeddingRequest(body({ encoding_format: "base64", dimensions: 64, user: "u1", extra: true }))).toMatchObject({
      encodingFormat: "base64",
      dimensions: 64,
    });
  });

  it("treats null encoding_format, dimensions and user as absent", () => {
    const parsed = parseEmbeddingRequest(body({ encoding_format: null, dimensions: null, user: null }));
    expect(parsed.encodingFormat).toBe("float");
    expect(parsed).not.toHaveProperty("dimensions");
  });

  it("accepts the most inputs OpenAI does", () => {
    expect(parseEmbeddingRequest(body({ input: Array(MAX_EMBEDDING_INPUTS).fill("x") })).inputs).toHaveLength(MAX_EMBEDDING_INPUTS);
  });
});

describe("parseEmbeddingRequest: refusals name the field", () => {
  it.each([
    [{ input: "x" }, "model", /Missing required parameter: model/],
    [{ model: "m" }, "input", /Missing required parameter: input/],
    [body({ model: "" }), "model", /model must not be empty/],
    [body({ input: 5 }), "input", /input must be a string, an array of strings, an array of token ids/],
    [body({ input: null }), "input", /input must be a string/],
    [body({ input: "" }), "input", /input is an empty string/],
    [body({ input: [] }), "input", /input is an empty array/],
    [body({ input: ["a", ""] }), "input.1", /input.1 is an empty string; OpenAI refuses empty inputs too/],
    [body({ input: ["a", { text: "b" }] }), "input.1", /input.1 must be a string, a token id, or an array of token ids/],
    [body({ input: [1, -2] }), "input.1", /input.1 must be a token id/],
    [body({ input: [1, 2.5] }), "input.1", /input.1 must be/],
    [body({ input: [[1], []] }), "input.1", /input.1 is an empty array of token ids/],
    [body({ input: [[1], [2, "x"]] }), "input.1.1", /input.1.1 must be a token id/],
    [body({ input: ["a", 1] }), "input.1", /input.1 is a token id but input.0 is a string; .* not a mix/],
    [body({ input: [[1], 2] }), "input.1", /input.1 is a token id but input.0 is an array of token ids/],
    [body({ encoding_format: "binary" }), "encoding_format", /encoding_format must be "float" or "base64"/],
    [body({ dimensions: 0 }), "dimensions", /dimensions must be at least 1/],
    [body({ dimensions: "64" }), "dimensions", /dimensions must be an integer/],
    [body({ user: 3 }), "user", /user must be a string/],
  ])("%j → %s", (request, param, message) => {
    const e = rejection(request);
    expect(e.param).toBe(param);
    expect(e.message).toMatch(message);
  });

  it("refuses more than 2048 inputs", () => {
    const e = rejection(body({ input: Array(MAX_EMBEDDING_INPUTS + 1).fill("x") }));
    expect(e.param).toBe("input");
    expect(e.message).toBe("input must have at most 2048 items");
  });

  it.each([null, [], "text", 3])("refuses a body that is not an object (%j) with param null", (request) => {
    expect(rejection(request).param).toBeNull();
  });
});

describe("singleInputError", () => {
  it("renames input.0 to input, keeping code and message", () => {
    const renamed = singleInputError(new ShimmyError("context_length_exceeded", "input.0 has 600 tokens", { param: "input.0" })) as ShimmyError;
    expect(renamed).toMatchObject({ code: "context_length_exceeded", param: "input", message: "input has 600 tokens" });
  });

  it("leaves any other error alone", () => {
    const other = new ShimmyError("invalid_parameter", "x", { param: "dimensions" });
    expect(singleInputError(other)).toBe(other);
    const plain = new Error("boom");
    expect(singleInputError(plain)).toBe(plain);
  });
});

describe("embeddingResponse", () => {
  const vectors = [Float32Array.of(0.6, 0.8), Float32Array.of(1, 0)];
  const result = { vectors, promptTokens: 7, dimensions: 2 };

  it("builds OpenAI's list with one embedding per input, in order, and usage", () => {
    expect(embeddingResponse({ model: "m", result, encodingFormat: "float" })).toEqual({
      object: "list",
      data: [
        { object: "embedding", index: 0, embedding: [Math.fround(0.6), Math.fround(0.8)] },
        { object: "embedding", index: 1, embedding: [1, 0] },
      ],
      model: "m",
      usage: { prompt_tokens: 7, total_tokens: 7 },
    });
  });

  it("writes base64 as the little-endian float32 bytes of each vector", () => {
    const body = embeddingResponse({ model: "m", result, encodingFormat: "base64" });
    const bytes = Buffer.from(body.data[0]!.embedding as string, "base64");
    expect(bytes).toHaveLength(8);
    expect([bytes.readFloatLE(0), bytes.readFloatLE(4)]).toEqual([Math.fround(0.6), Math.fround(0.8)]);
    // 1.0f is 00 00 80 3f in little-endian order.
    expect(float32ToBase64(Float32Array.of(1))).toBe(Buffer.from([0, 0, 0x80, 0x3f]).toString("base64"));
  });
});
