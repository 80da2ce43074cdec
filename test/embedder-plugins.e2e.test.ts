/**
 * Embedder plugins end to end: one Shimmy serves the suite's BERT embedding fixture and stands in
 * for a remote OpenAI-compatible endpoint; a second Shimmy has the first-party `openai-embeddings`
 * installed with `shimmy plugin` and pointed at the first. The `openai` client on the second, with
 * the model `openai-embeddings/embed`, must get exactly what the first answers for the same input,
 * and a vector store made with it must hold the chunks a store of the local model holds.
 */
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { toFile } from "openai";
import type OpenAI from "openai";
import type { APIError } from "openai";
import { packedPlugin } from "../scripts/first-party-plugins.js";
import { pluginCli } from "./helpers/plugin-cli.js";
import { waitForPlugins } from "./helpers/plugins-api.js";
import { startShimmy, type ShimmyProcess } from "./helpers/shimmy-process.js";

let remote: ShimmyProcess;
let local: ShimmyProcess;
const MODEL = "openai-embeddings/embed";
// More texts than the plugin's batchSize (set to 2 below): the answer is put together from several requests.
const TEXTS = ["hello world", "the quick brown fox jumps over the lazy dog", "once upon a time", "grüße, 世界", "what is your name"];

beforeAll(async () => {
  const { bert } = inject("fixtureModels");
  [remote, local] = await Promise.all([
    startShimmy({ args: ["--model", bert, "--threads", "1", "--no-discovery"] }),
    startShimmy({ args: ["--model", bert, "--threads", "1", "--no-discovery"] }),
  ]);
  const installed = await pluginCli(local.home, ["install", packedPlugin(inject("firstPartyPlugins"), "openai-embeddings").tgz, "--yes"]);
  expect(installed.code, installed.stderr).toBe(0);
  const settings = [`baseURL=${remote.baseURL}`, "model=bert", "dimensions=64", "maxInputTokens=512", "batchSize=2"];
  const configured = await pluginCli(local.home, ["config", "openai-embeddings", ...settings, "--yes"]);
  expect(configured.code, configured.stderr).toBe(0);
  await waitForPlugins(local.url, (all) => all.some((p) => p.name === "openai-embeddings" && p.status === "ready" && p.embedders[0]?.dimensions === 64));
}, 120_000);

afterAll(async () => {
  await Promise.all([remote?.stop(), local?.stop()]);
});

const vectors = (response: OpenAI.CreateEmbeddingResponse) => response.data.map((d) => d.embedding);

describe("openai-embeddings against a second Shimmy", () => {
  it("returns exactly the vectors and usage the remote endpoint returns for the same input", async () => {
    const [mine, theirs] = await Promise.all([
      local.client().embeddings.create({ model: MODEL, input: TEXTS, encoding_format: "float" }),
      remote.client().embeddings.create({ model: "bert", input: TEXTS, encoding_format: "float" }),
    ]);
    expect(mine.model).toBe(MODEL);
    expect(vectors(mine)).toEqual(vectors(theirs));
    expect(vectors(mine)[0]).toHaveLength(64);
    expect(mine.usage).toEqual(theirs.usage);
    // The vectors came through the plugin (batches of 2: three requests), not the local copy of the model.
    // (The audit line may land just after the answer.)
    await local.waitForLog((l) => l.event === "plugin_call" && l.embedder === "embed" && l.outcome === "ok", 5000);
    // The remote logs each request once it has answered: the last batch's line can land after ours.
    expect(await remote.countLogs((l) => l.model === "bert" && typeof l.promptTokens === "number", 4, 5000)).toBeGreaterThanOrEqual(4);
  });

  it("answers one string and base64 as the remote does, and lists the embedder as a model of the plugin", async () => {
    const [mine, theirs] = await Promise.all([
      local.client().embeddings.create({ model: MODEL, input: "hello world", encoding_format: "base64" }),
      remote.client().embeddings.create({ model: "bert", input: "hello world", encoding_format: "base64" }),
    ]);
    expect(vectors(mine)).toEqual(vectors(theirs));
    const models = await local.client().models.list();
    expect(models.data.find((m) => m.id === MODEL)).toMatchObject({ object: "model", owned_by: "openai-embeddings" });
    const info = await pluginCli(local.home, ["info", "openai-embeddings"]);
    expect(info.stdout).toMatch(/^ {2}openai-embeddings\/embed: dimensions from the dimensions setting, longest text from the maxInputTokens setting, 64 texts a call/m);
  });

  it("answers an endpoint's failure as a clear 502 embedder_failed", async () => {
    const error = await local
      .client()
      .embeddings.create({ model: MODEL, input: "x".repeat(5000) })
      .catch((e: unknown) => e as APIError);
    expect(error).toMatchObject({ status: 502, code: "embedder_failed" });
    expect((error as APIError).message).toMatch(/answered HTTP 400/);
  });

  it("ingests a vector store through the plugin in batches, with the chunks the local model's store holds", async () => {
    const client = local.client();
    // Whole words of the fixture's vocabulary: the chunker's estimate is then high enough that no chunk is halved.
    const words = "the quick brown fox jumps over lazy dog once upon a time".split(" ");
    const text = Array.from({ length: 420 }, (_, i) => words[(i * 5) % words.length]).join(" ");
    const file = await client.files.create({ file: await toFile(Buffer.from(text), "fox.txt"), purpose: "assistants" });
    const chunking_strategy = { type: "static" as const, static: { max_chunk_size_tokens: 100, chunk_overlap_tokens: 0 } };
    const pluginCalls = () => local.logs.filter((l) => l.event === "plugin_call" && l.embedder === "embed").length;
    const ingest = async (model: string) => {
      const store = await client.vectorStores.create({ name: model, embedding_model: model, file_ids: [file.id], chunking_strategy } as OpenAI.VectorStores.VectorStoreCreateParams);
      expect(await client.vectorStores.files.poll(store.id, file.id, { pollIntervalMs: 50 })).toMatchObject({ status: "completed" });
      return { id: store.id, chunks: (await client.vectorStores.files.content(file.id, { vector_store_id: store.id })).data.map((c) => c.text) };
    };
    const before = pluginCalls();
    const viaPlugin = await ingest(MODEL);
    const calls = pluginCalls() - before;
    const viaLocal = await ingest("bert");
    expect(viaPlugin.chunks.length).toBeGreaterThanOrEqual(4);
    expect(viaPlugin.chunks).toEqual(viaLocal.chunks);
    // One call to learn the store's dimensions, then one for all the chunks (the embedder takes 64 a call), not one per chunk.
    expect(calls).toBe(2);
    // The same vectors too: both stores answer a search alike.
    const [fromPlugin, fromLocal] = await Promise.all([viaPlugin, viaLocal].map((store) => client.vectorStores.search(store.id, { query: viaLocal.chunks[1]!, max_num_results: 3 })));
    expect(fromPlugin!.data.map((d) => d.content[0]!.text)).toEqual(fromLocal!.data.map((d) => d.content[0]!.text));
    fromPlugin!.data.forEach((d, i) => expect(d.score).toBeCloseTo(fromLocal!.data[i]!.score, 4));
    expect(fromLocal!.data[0]!.score).toBeCloseTo(1, 4);
  });
});
