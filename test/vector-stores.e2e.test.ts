/**
 * Vector stores end to end with the `openai` client against real servers on the suite's BERT
 * fixture (and the chat fixture for `file_search`), all on one Shimmy home: files, stores, polling,
 * search with and without filters, hybrid and vector-only, deletion, `responses.create` with
 * `file_search` (streamed too); then a `kill -9` between the commit of a file's chunks and the
 * index update, after which the second server (the file's only other) has every store searchable
 * and the index rebuilt with no chunk missing or duplicated. The first server pauses only that
 * file's ingestion (`SHIMMY_TEST_PAUSE_AT=STEP@FILENAME`). The fixture's weights are random, so
 * queries repeat a chunk's text exactly.
 */
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import OpenAI, { toFile } from "openai";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { startShimmy, type ShimmyProcess } from "./helpers/shimmy-process.js";

const home = fs.mkdtempSync(path.join(os.tmpdir(), "shimmy-vs-e2e-"));
let shimmy: ShimmyProcess | undefined;
afterAll(async () => {
  await shimmy?.stop();
  fs.rmSync(home, { recursive: true, force: true });
});

const start = (env: Record<string, string> = {}) => {
  const { bert, chat } = inject("fixtureModels");
  return startShimmy({ args: ["--model", bert, "--model", chat, "--threads", "1"], env: { SHIMMY_HOME: home, ...env } });
};

const DOCS = {
  sea: "The lighthouse keeper logs every ship passing the northern cape at night.",
  bread: "Sourdough bread needs a starter, flour, water, salt and patience.",
  stars: "Astronomers measure the parallax of nearby stars against distant galaxies.",
};
const LONG = Array.from({ length: 400 }, (_, i) => `quasar${i % 37} nebula${i}`).join(" ");
const POLL = { pollIntervalMs: 50 };

let client: OpenAI;
let storeId: string;
const fileIds: Record<string, string> = {};

beforeAll(async () => {
  shimmy = await start({ SHIMMY_TEST_PAUSE_AT: "vectors:committed@again.txt" });
  client = shimmy.client();
});

describe("vector stores through the openai client", () => {
  it("uploads files, creates a store and polls each file to completed", async () => {
    for (const [name, text] of Object.entries(DOCS)) {
      const file = await client.files.create({ file: await toFile(Buffer.from(text), `${name}.txt`), purpose: "assistants" });
      expect(file).toMatchObject({ object: "file", filename: `${name}.txt`, bytes: Buffer.byteLength(text), purpose: "assistants" });
      fileIds[name] = file.id;
    }
    const store = await client.vectorStores.create({ name: "e2e", chunking_strategy: { type: "static", static: { max_chunk_size_tokens: 100, chunk_overlap_tokens: 20 } } });
    expect(store).toMatchObject({ object: "vector_store", name: "e2e", status: "completed", embedding_model: "bert", dimensions: 64 });
    storeId = store.id;
    for (const [name, year] of [["sea", 1850], ["bread", 2020]] as const) {
      const file = await client.vectorStores.files.createAndPoll(storeId, { file_id: fileIds[name]!, attributes: { topic: name, year } }, POLL);
      expect(file).toMatchObject({ status: "completed", last_error: null, attributes: { topic: name, year } });
    }
    const uploaded = await client.vectorStores.files.uploadAndPoll(storeId, await toFile(Buffer.from(DOCS.stars), "stars.md"), POLL);
    expect(uploaded.status).toBe("completed");
    fileIds.starsUploaded = uploaded.id;
    const long = await client.vectorStores.files.uploadAndPoll(storeId, await toFile(Buffer.from(LONG), "long.txt"), POLL);
    expect(long.status).toBe("completed");
    fileIds.long = long.id;
    expect((await client.vectorStores.retrieve(storeId)).file_counts).toEqual({ in_progress: 0, completed: 4, failed: 0, cancelled: 0, total: 4 });
  });

  it("searches by vector, with filters, and hybrid", async () => {
    const page = await client.vectorStores.search(storeId, { query: DOCS.bread });
    expect(page.data[0]).toMatchObject({ file_id: fileIds.bread, filename: "bread.txt", attributes: { topic: "bread", year: 2020 }, content: [{ type: "text", text: DOCS.bread }] });
    expect(page.data[0]!.score).toBeCloseTo(1, 3);
    const filtered = await client.vectorStores.search(storeId, { query: DOCS.bread, filters: { type: "lt", key: "year", value: 2000 } });
    expect(filtered.data.map((d) => d.file_id)).toEqual([fileIds.sea]);
    const missing = await client.vectorStores.search(storeId, { query: DOCS.bread, filters: { type: "eq", key: "author", value: "x" } });
    expect(missing.data).toEqual([]);
    const hybrid = await client.vectorStores.search(storeId, { query: "parallax galaxies", ranking_options: { ranker: "hybrid" as never } });
    expect(hybrid.data[0]!.file_id).toBe(fileIds.starsUploaded);
    const vectorOnly = await client.vectorStores.search(storeId, { query: DOCS.sea, max_num_results: 2, ranking_options: { ranker: "auto" } });
    expect(vectorOnly.data).toHaveLength(2);
    expect(vectorOnly.data[0]!.file_id).toBe(fileIds.sea);
  });

  it("refuses bad input with clear 4xx errors", async () => {
    await expect(client.vectorStores.search("vs_unknown", { query: "x" })).rejects.toMatchObject({ status: 404, code: "vector_store_not_found" });
    const exe = await client.files.create({ file: await toFile(Buffer.from("MZ"), "tool.exe"), purpose: "assistants" });
    await expect(client.vectorStores.files.create(storeId, { file_id: exe.id })).rejects.toMatchObject({ status: 400, code: "unsupported_file" });
    await expect(client.files.create({ file: await toFile(Buffer.alloc(0), "empty.txt"), purpose: "assistants" })).rejects.toMatchObject({ status: 400, code: "unsupported_file" });
    await expect(client.vectorStores.create({ name: "x", embedding_model: "chat-llama-nope" } as never)).rejects.toMatchObject({ status: 404 });
  });

  it("deleting a file from the store removes its chunks from every kind of search", async () => {
    await client.vectorStores.files.delete(fileIds.sea!, { vector_store_id: storeId });
    const keyword = await client.vectorStores.search(storeId, { query: "lighthouse", ranking_options: { ranker: "keyword" as never } });
    expect(keyword.data).toEqual([]);
    const vector = await client.vectorStores.search(storeId, { query: DOCS.sea, max_num_results: 50 });
    expect(vector.data.map((d) => d.file_id)).not.toContain(fileIds.sea);
  });

  it("runs file_search in responses.create", async () => {
    const response = await client.responses.create({
      model: "chat-llama", input: DOCS.bread, max_output_tokens: 8, include: ["file_search_call.results"],
      tools: [{ type: "file_search", vector_store_ids: [storeId], max_num_results: 1 }],
    });
    const call = response.output[0] as OpenAI.Responses.ResponseFileSearchToolCall;
    expect(call).toMatchObject({ type: "file_search_call", status: "completed", queries: [DOCS.bread] });
    expect(call.results![0]).toMatchObject({ file_id: fileIds.bread, filename: "bread.txt" });
    const message = response.output.find((item) => item.type === "message") as OpenAI.Responses.ResponseOutputMessage;
    expect((message.content[0] as OpenAI.Responses.ResponseOutputText).annotations).toContainEqual(expect.objectContaining({ type: "file_citation", file_id: fileIds.bread }));
  });

  it("streams the file_search_call item and the citations as OpenAI does", async () => {
    const stream = client.responses.stream({
      model: "chat-llama", input: DOCS.bread, max_output_tokens: 8, include: ["file_search_call.results"],
      tools: [{ type: "file_search", vector_store_ids: [storeId], max_num_results: 1 }],
    });
    const events: OpenAI.Responses.ResponseStreamEvent[] = [];
    for await (const event of stream) events.push(event);
    expect(events.map((e) => e.sequence_number)).toEqual(events.map((_, i) => i));
    expect(events.slice(0, 7).map((e) => e.type)).toEqual([
      "response.created", "response.in_progress", "response.output_item.added", "response.file_search_call.in_progress",
      "response.file_search_call.searching", "response.file_search_call.completed", "response.output_item.done",
    ]);
    const added = events[2] as OpenAI.Responses.ResponseOutputItemAddedEvent;
    expect(added).toMatchObject({ output_index: 0, item: { type: "file_search_call", status: "in_progress" } });
    expect(events[3]).toMatchObject({ output_index: 0, item_id: added.item.id });
    expect((events[6] as OpenAI.Responses.ResponseOutputItemDoneEvent).item).toMatchObject({
      id: added.item.id, type: "file_search_call", status: "completed", queries: [DOCS.bread], results: [expect.objectContaining({ file_id: fileIds.bread })],
    });
    const citation = events.find((e) => e.type === "response.output_text.annotation.added") as OpenAI.Responses.ResponseOutputTextAnnotationAddedEvent;
    expect(citation).toMatchObject({ output_index: 1, content_index: 0, annotation_index: 0, annotation: { type: "file_citation", file_id: fileIds.bread, filename: "bread.txt" } });
    const final = await stream.finalResponse();
    expect(final.output[0]).toMatchObject({ type: "file_search_call", status: "completed" });
    const text = (final.output[1] as OpenAI.Responses.ResponseOutputMessage).content[0] as OpenAI.Responses.ResponseOutputText;
    expect(text.annotations).toEqual([{ type: "file_citation", index: text.text.length, file_id: fileIds.bread, filename: "bread.txt" }]);
    // The stored response is the streamed one: the item and the citation once each.
    const stored = await client.responses.retrieve(final.id);
    expect(stored.output.map((item) => item.type)).toEqual(final.output.map((item) => item.type));
    expect(((stored.output[1] as OpenAI.Responses.ResponseOutputMessage).content[0] as OpenAI.Responses.ResponseOutputText).annotations).toHaveLength(1);
  });
});

describe("restarts", () => {
  it("rebuilds the index after a kill -9 between the chunks' commit and the index update, and keeps the store searchable", async () => {
    const file = await client.files.create({ file: await toFile(Buffer.from(LONG), "again.txt"), purpose: "assistants" });
    await client.vectorStores.files.create(storeId, { file_id: file.id });
    await shimmy!.waitForLog((line) => String(line.raw ?? "").includes("shimmy-test: paused at vectors:committed"), 15_000);
    shimmy!.child.kill("SIGKILL");
    await new Promise((resolve) => shimmy!.child.once("exit", resolve));
    shimmy = await start();
    client = shimmy.client();
    // What was ingested before the restart is searchable (as after a clean stop: small stores are read from the database at each start).
    const before = await client.vectorStores.search(storeId, { query: DOCS.bread });
    expect(before.data[0]!.file_id).toBe(fileIds.bread);
    const done = await client.vectorStores.files.poll(storeId, file.id, POLL);
    expect(done.status).toBe("completed");
    const chunks = await client.vectorStores.files.content(file.id, { vector_store_id: storeId });
    const clean = await client.vectorStores.files.content(fileIds.long!, { vector_store_id: storeId });
    const texts = (page: typeof chunks) => page.data.map((c) => c.text);
    // The same text ingested cleanly gives the same chunks: none missing, none twice.
    expect(texts(chunks)).toEqual(texts(clean));
    for (const text of texts(chunks).slice(0, 3)) {
      const page = await client.vectorStores.search(storeId, { query: text!, max_num_results: 2 });
      expect(page.data.map((d) => d.content[0]!.text)).toEqual([text, text]);
    }
    const store = await client.vectorStores.retrieve(storeId);
    expect(store.file_counts).toMatchObject({ in_progress: 0, failed: 0 });
  });
});
