/**
 * `POST /v1/embeddings` end to end: one real server serving the BERT fixture (an encoder with mean
 * pooling) and the chat fixture (a llama decoder, last-token embeddings), driven by the official
 * `openai` client, plus raw HTTP where the wire format itself is checked.
 */
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import type OpenAI from "openai";
import { countTokens } from "./helpers/count-tokens.js";
import { rawPost, startShimmy, type ShimmyProcess } from "./helpers/shimmy-process.js";
import { tokenize } from "./helpers/tokenize.js";

let shimmy: ShimmyProcess;
let client: OpenAI;

beforeAll(async () => {
  const { bert, chat } = inject("fixtureModels");
  shimmy = await startShimmy({ args: ["--model", bert, "--model", chat, "--threads", "1"] });
  client = shimmy.client();
});
afterAll(() => shimmy?.stop());

// Short inputs and one of over 64 tokens: on CPU they run on different embedding contexts.
const TEXTS = ["hello world", "the quick brown fox jumps over the lazy dog ".repeat(12), "once upon a time", "what is your name"];

const norm = (v: ArrayLike<number>) => Math.sqrt(Array.from(v).reduce((sum, x) => sum + x * x, 0));
function cosine(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let dot = 0;
  for (let i = 0; i < a.length; i++) dot += a[i]! * b[i]!;
  return dot / (norm(a) * norm(b));
}
const vectors = (response: OpenAI.CreateEmbeddingResponse) => response.data.map((d) => d.embedding);
const decodeBase64 = (text: string) => {
  const bytes = Buffer.from(text, "base64");
  return Array.from(new Float32Array(bytes.buffer, bytes.byteOffset, bytes.byteLength / 4));
};

const MODELS = [
  // count-tokens adds the BOS ([CLS] for BERT); llama.cpp also closes a WordPiece input with [SEP].
  { id: "bert", file: () => inject("fixtureModels").bert, framing: 1, contextSize: 512 },
  // The chat fixture adds no BOS (add_bos_token false) and no EOS: the count is the text's tokens.
  { id: "chat-llama", file: () => inject("fixtureModels").chat, framing: 0, contextSize: 2048 },
];

describe.each(MODELS)("POST /v1/embeddings on $id", ({ id, file, framing, contextSize }) => {
  const expectedTokens = async (texts: string[]) => (await countTokens(file(), texts)).map((n) => n + framing);
  const embed = (input: OpenAI.EmbeddingCreateParams["input"], extra: Partial<OpenAI.EmbeddingCreateParams> = {}) =>
    client.embeddings.create({ model: id, input, encoding_format: "float", ...extra });

  it("embeds one string: an L2-normalised vector and exact usage", async () => {
    const response = await embed("hello world");
    expect(response).toMatchObject({ object: "list", model: id, data: [{ object: "embedding", index: 0 }] });
    const [vector] = vectors(response);
    expect(vector).toHaveLength(64);
    expect(norm(vector!)).toBeCloseTo(1, 4);
    const [tokens] = await expectedTokens(["hello world"]);
    expect(response.usage).toEqual({ prompt_tokens: tokens, total_tokens: tokens });
  });

  it("keeps a batch in input order, each vector equal to the input embedded alone", async () => {
    const batch = vectors(await embed(TEXTS));
    expect(batch).toHaveLength(TEXTS.length);
    const alone = await Promise.all(TEXTS.map(async (text) => vectors(await embed(text))[0]!));
    for (let i = 0; i < TEXTS.length; i++) {
      expect(norm(batch[i]!)).toBeCloseTo(1, 4);
      expect(cosine(batch[i]!, alone[i]!)).toBeCloseTo(1, 5);
      // Different texts give different vectors, so a reordered batch would fail the line above.
      expect(cosine(batch[i]!, alone[(i + 1) % TEXTS.length]!)).toBeLessThan(0.9999);
    }
  });

  it("gives cosine 1.0 for the same text twice, and counts every input's tokens", async () => {
    const response = await embed(["once upon a time", "once upon a time"]);
    const [a, b] = vectors(response);
    expect(cosine(a!, b!)).toBeCloseTo(1, 6);
    const counts = await expectedTokens(["once upon a time", "once upon a time"]);
    expect(response.usage.prompt_tokens).toBe(counts[0]! + counts[1]!);
  });

  it("sends base64 as the little-endian float32 bytes of the float vector", async () => {
    const floats = vectors(await embed(TEXTS.slice(0, 2)));
    // The openai client asks for base64 itself when no format is given, and decodes it.
    const decodedByClient = vectors(await client.embeddings.create({ model: id, input: TEXTS.slice(0, 2) }));
    expect(decodedByClient).toEqual(floats);
    const raw = await rawPost(`${shimmy.baseURL}/embeddings`, JSON.stringify({ model: id, input: TEXTS.slice(0, 2), encoding_format: "base64" }));
    expect(raw.status).toBe(200);
    const data = (raw.json as unknown as { data: { index: number; embedding: string }[] }).data;
    expect(data.map((d) => d.index)).toEqual([0, 1]);
    expect(data.map((d) => typeof d.embedding)).toEqual(["string", "string"]);
    expect(data.map((d) => decodeBase64(d.embedding))).toEqual(floats);
    const plain = await rawPost(`${shimmy.baseURL}/embeddings`, JSON.stringify({ model: id, input: "hello world" }));
    expect((plain.json as unknown as { data: { embedding: number[] }[] }).data[0]!.embedding).toEqual(floats[0]);
  });

  it("embeds token ids like the text they spell", async () => {
    const ids = await tokenize(file(), TEXTS.slice(0, 2));
    const fromText = await embed(TEXTS.slice(0, 2));
    const fromIds = await embed(ids);
    expect(vectors(fromIds)).toEqual(vectors(fromText));
    expect(fromIds.usage).toEqual(fromText.usage);
    const single = await embed(ids[0]!);
    expect(vectors(single)).toEqual([vectors(fromText)[0]]);
  });

  it("refuses an input longer than the context with both numbers, naming it", async () => {
    const long = "hello ".repeat(contextSize + 50);
    const [tokens] = await expectedTokens([long]);
    expect(tokens).toBeGreaterThan(contextSize);
    const expected = { status: 400, code: "context_length_exceeded", type: "invalid_request_error" };
    const single = await embed(long).catch((err: unknown) => err);
    expect(single).toMatchObject({ ...expected, param: "input" });
    expect((single as Error).message).toContain(`input has ${tokens} tokens`);
    expect((single as Error).message).toContain(`at most ${contextSize} tokens`);
    await expect(embed(["hello", long])).rejects.toMatchObject({ ...expected, param: "input.1" });
  });

  it("refuses a token id outside the vocabulary, naming the input", async () => {
    const expected = { status: 400, code: "invalid_parameter" };
    await expect(embed([5, 100_000])).rejects.toMatchObject({ ...expected, param: "input" });
    await expect(embed([[5], [6, 7, 1_000_000]])).rejects.toMatchObject({ ...expected, param: "input.1" });
  });

  it("refuses dimensions other than the model's own, naming it, and accepts its own", async () => {
    const refused = await embed("hello", { dimensions: 32 }).catch((err: unknown) => err);
    expect(refused).toMatchObject({ status: 400, code: "invalid_parameter", param: "dimensions" });
    expect((refused as Error).message).toContain("64 dimensions");
    expect(vectors(await embed("hello", { dimensions: 64 }))[0]).toHaveLength(64);
  });

  it("refuses an empty string item, naming it", async () => {
    await expect(embed(["hello", ""])).rejects.toMatchObject({ status: 400, code: "invalid_parameter", param: "input.1" });
  });
});

describe("the server after refusals", () => {
  it("keeps serving embeddings and chat, and logs model and prompt tokens", async () => {
    const response = await client.embeddings.create({ model: "bert", input: "still here" });
    expect(response.data).toHaveLength(1);
    const chat = await client.chat.completions.create({ model: "chat-llama", messages: [{ role: "user", content: "Hi" }], max_tokens: 4 });
    expect(chat.choices).toHaveLength(1);
    const line = await shimmy.waitForLog((l) => l.event === "request" && l.route === "/v1/embeddings" && l.status === 200);
    expect(line).toMatchObject({ model: expect.any(String), promptTokens: expect.any(Number) });
  });

  it("answers an unknown model with 404", async () => {
    await expect(client.embeddings.create({ model: "nope", input: "x" })).rejects.toMatchObject({ status: 404, code: "model_not_found" });
  });
});
