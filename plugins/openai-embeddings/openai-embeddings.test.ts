/**
 * openai-embeddings in the real host, against a local HTTP server on 127.0.0.1 standing in for an
 * OpenAI-compatible endpoint (the test/embedder-plugins e2e test uses a real Shimmy instead).
 */
import type { PluginManifest } from "@shimmy/plugin-sdk";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { tmpdir } from "node:os";
import { PluginHost } from "../../core/src/plugins/host.js";
import { readBuiltPlugin } from "../../test/helpers/packed-plugin.js";
import { startProvider, type ProviderServer, type Received } from "../web-search/test-support.js";

let manifest: PluginManifest;
let wasm: Uint8Array;
let endpoint: ProviderServer;
const hosts: PluginHost[] = [];
const logger = { info: () => {}, warn: () => {}, debug: () => {} };

/** A float32 vector of `dims` numbers that depends on the text, as a real endpoint's would. */
function vectorOf(text: string, dims: number): number[] {
  return Array.from({ length: dims }, (_, i) => Math.fround(Math.sin(text.length * 7.31 + i * 0.917) / 3));
}

/** How the endpoint answers, by the request's model: a normal answer, or one of the broken ones. */
function answer(req: Received, res: import("node:http").ServerResponse): void {
  const body = JSON.parse(req.body || "{}") as { model: string; input: string[]; dimensions?: number };
  const dims = body.model === "wide" ? 3072 : 8;
  const reply = (status: number, json: unknown) => void res.writeHead(status, { "content-type": "application/json" }).end(JSON.stringify(json));
  if (req.path !== "/v1/embeddings") return reply(404, { error: { message: `no route ${req.path}` } });
  if (body.model === "locked" && req.headers.authorization !== "Bearer sk-right") return reply(401, { error: { message: "Incorrect API key provided", type: "invalid_request_error" } });
  if (body.model === "garbled") return void res.writeHead(200, { "content-type": "application/json" }).end('{"data":[{"index":0,"embedding":[NaN,1]},{"index":1,"embedding":[1,2]}]}');
  if (body.model === "short") return reply(200, { data: body.input.map((t, index) => ({ index, embedding: vectorOf(t, 4) })) });
  if (body.model === "fewer") return reply(200, { data: body.input.slice(1).map((t, index) => ({ index, embedding: vectorOf(t, dims) })) });
  const data = body.input.map((t, index) => ({ object: "embedding", index, embedding: vectorOf(t, dims) }));
  // "reversed" answers in reverse order, each with its index: the plugin must put them back.
  reply(200, { object: "list", model: body.model, data: body.model === "reversed" ? data.reverse() : data, usage: { prompt_tokens: body.input.length * 3, total_tokens: body.input.length * 3 } });
}

async function load(config: Record<string, unknown>): Promise<PluginHost> {
  const host = await PluginHost.load({ manifest, wasm, config: { baseURL: `${endpoint.base}/v1/`, dimensions: 8, ...config }, home: tmpdir(), serverAddresses: [{ host: "127.0.0.1", port: 1 }], logger, poolSize: 1 });
  hosts.push(host);
  return host;
}

const TEXTS = ["hello", "grüße, 世界", "a \"quoted\" line\nand a second", "x", "the fifth text"];

beforeAll(async () => {
  ({ manifest, wasm } = await readBuiltPlugin("openai-embeddings"));
  endpoint = await startProvider(answer);
});

afterAll(async () => {
  await Promise.all(hosts.map((h) => h.dispose()));
  await endpoint?.close();
});

describe("openai-embeddings", () => {
  it("sends the texts in requests of batchSize and returns the endpoint's vectors exactly, in order, with usage", async () => {
    const host = await load({ model: "m1", batchSize: 2, apiKey: "sk-test" });
    const before = endpoint.received.length;
    const { vectors, promptTokens } = await host.callEmbedder("embed", TEXTS);
    expect(vectors.map((v) => Array.from(v))).toEqual(TEXTS.map((t) => vectorOf(t, 8)));
    expect(promptTokens).toBe(15);
    const sent = endpoint.received.slice(before);
    expect(sent.map((r) => JSON.parse(r.body))).toEqual([
      { model: "m1", encoding_format: "float", input: TEXTS.slice(0, 2) },
      { model: "m1", encoding_format: "float", input: TEXTS.slice(2, 4) },
      { model: "m1", encoding_format: "float", input: TEXTS.slice(4) },
    ]);
    expect(sent.map((r) => [r.method, r.path, r.headers.authorization, r.headers["content-type"]])).toEqual(Array(3).fill(["POST", "/v1/embeddings", "Bearer sk-test", "application/json"]));
  });

  it("places vectors by their index, sends dimensions only when asked, and no key when none is set", async () => {
    const host = await load({ model: "reversed", sendDimensions: true });
    const { vectors } = await host.callEmbedder("embed", TEXTS.slice(0, 3));
    expect(vectors.map((v) => Array.from(v))).toEqual(TEXTS.slice(0, 3).map((t) => vectorOf(t, 8)));
    expect(JSON.parse(endpoint.last().body)).toMatchObject({ dimensions: 8 });
    expect(endpoint.last().headers.authorization).toBeUndefined();
  });

  it("says what is wrong with the endpoint's answer or the settings, and how to fix it", async () => {
    const cases: [Record<string, unknown>, RegExp][] = [
      [{ model: "short" }, /returned vectors of 4 numbers but the dimensions setting is 8; .*shimmy plugin config openai-embeddings dimensions=4/],
      [{ model: "fewer" }, /returned 1 vectors for 2 texts/],
      [{ model: "garbled" }, /is not JSON with a "data" array \(expected a number at character \d+\)/],
      [{ model: "locked", apiKey: "sk-wrong" }, /answered HTTP 401: Incorrect API key provided \(set the key with: shimmy plugin config openai-embeddings apiKey=…\)/],
      [{ baseURL: `${endpoint.base}/nope` }, /answered HTTP 404: no route \/nope\/embeddings/],
    ];
    for (const [config, message] of cases) {
      const host = await load(config);
      await expect(host.callEmbedder("embed", ["one", "two"]), JSON.stringify(config)).rejects.toMatchObject({ code: "plugin_error", message: expect.stringMatching(message) });
    }
    await expect((await load({ model: "locked", apiKey: "sk-right" })).callEmbedder("embed", ["one"])).resolves.toMatchObject({ promptTokens: 3 });
  });

  it("reads its dimensions from the settings (default 1536) and refuses to run while they do not match the answer", async () => {
    const host = await load({ dimensions: undefined, model: "m1" });
    expect(host.embedders[0]).toMatchObject({ name: "embed", dimensions: 1536, maxInputTokens: 8191, maxBatchSize: 64 });
    await expect(host.callEmbedder("embed", ["one"])).rejects.toMatchObject({ message: expect.stringMatching(/dimensions=8/) });
  });

  it("embeds a full call of 64 texts of 3072 dimensions within its memory and response limits", async () => {
    const host = await load({ model: "wide", dimensions: 3072 });
    const texts = Array.from({ length: 64 }, (_, i) => `text number ${i} `.repeat(1 + (i % 5)));
    const { vectors } = await host.callEmbedder("embed", texts);
    expect(vectors).toHaveLength(64);
    expect(Array.from(vectors[63]!)).toEqual(vectorOf(texts[63]!, 3072));
  });
});
