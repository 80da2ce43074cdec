/**
 * The Files and Vector Stores routes in process, over the fake engine (its embeddings depend only
 * on the text, so a query equal to a chunk finds it first): wire shapes, ingestion status, search
 * modes and filters, deletion, and every refusal. Semantic search with a real model is in
 * test/vector-stores.e2e.test.ts.
 */
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { FakeEngine, fakeModel } from "../engine/fake-engine.js";
import { startTestApp, type TestApp } from "../http/test-app.fixture.js";
import { openStateDb, type StateDb } from "../state/state-db.js";

let app: TestApp;
let state: StateDb;
let home: string;

beforeAll(async () => {
  home = fs.mkdtempSync(path.join(os.tmpdir(), "shimmy-vs-routes-"));
  state = openStateDb({ file: ":memory:" });
  app = await startTestApp({ engine: new FakeEngine({ dimensions: 64 }), state, vectorStores: { home, maxFileBytes: 4096, embeddingModel: null } });
});
afterAll(async () => {
  await app.close();
  state.dispose();
  fs.rmSync(home, { recursive: true, force: true });
});

async function upload(filename: string, content: string | Uint8Array, purpose = "assistants") {
  const form = new FormData();
  form.append("purpose", purpose);
  form.append("file", new Blob([content]), filename);
  const response = await fetch(`${app.base}/v1/files`, { method: "POST", body: form });
  return { status: response.status, body: (await response.json()) as Record<string, any> };
}

async function completed(storeId: string, fileId: string) {
  for (let i = 0; i < 200; i++) {
    const file = (await app.request("GET", `/v1/vector_stores/${storeId}/files/${fileId}`)).json();
    if (file.status !== "in_progress") return file;
    await new Promise((r) => setTimeout(r, 10));
  }
  throw new Error("ingestion never finished");
}

const search = (storeId: string, body: object) => app.request("POST", `/v1/vector_stores/${storeId}/search`, body);

describe("/v1/files", () => {
  it("uploads, lists, reads and deletes a file in OpenAI's shapes", async () => {
    const { status, body } = await upload("notes.md", "# Notes\nhello there");
    expect(status).toBe(200);
    expect(body).toEqual({
      id: expect.stringMatching(/^file-/), object: "file", bytes: 19, created_at: expect.any(Number), filename: "notes.md",
      purpose: "assistants", status: "processed", expires_at: null, status_details: null,
    });
    expect((await app.request("GET", `/v1/files/${body.id}`)).json()).toEqual(body);
    const content = await app.request("GET", `/v1/files/${body.id}/content`);
    expect(content.text).toBe("# Notes\nhello there");
    const list = (await app.request("GET", "/v1/files?purpose=assistants")).json();
    expect(list).toMatchObject({ object: "list", has_more: false });
    expect(list.data.map((f: { id: string }) => f.id)).toContain(body.id);
    expect((await app.request("DELETE", `/v1/files/${body.id}`)).json()).toEqual({ id: body.id, object: "file", deleted: true });
    expect((await app.request("GET", `/v1/files/${body.id}`)).json().error).toMatchObject({ code: "file_not_found", param: "file_id" });
  });

  it("refuses a file over --max-file-bytes with 413", async () => {
    const { status, body } = await upload("big.txt", "x".repeat(5000));
    expect(status).toBe(413);
    expect(body.error).toMatchObject({ code: "file_too_large", type: "invalid_request_error" });
  });

  it("refuses an empty file, an unknown purpose, and a JSON body", async () => {
    expect((await upload("empty.txt", "")).body.error.code).toBe("unsupported_file");
    expect((await upload("a.txt", "a", "fine-tune")).body.error).toMatchObject({ code: "invalid_parameter", param: "purpose" });
    const json = await app.request("POST", "/v1/files", { purpose: "assistants" });
    expect(json.status).toBe(415);
  });
});

describe("/v1/vector_stores", () => {
  let storeId: string;
  let fileA: string;
  let fileB: string;
  const TEXT_A = "The lighthouse keeper logs every ship passing the northern cape.";
  const TEXT_B = "Sourdough bread needs a starter, flour, water and patience.";

  beforeAll(async () => {
    fileA = (await upload("a.txt", TEXT_A)).body.id;
    fileB = (await upload("b.md", TEXT_B)).body.id;
    const created = await app.request("POST", "/v1/vector_stores", { name: "docs", metadata: { team: "x" }, expires_after: { anchor: "last_active_at", days: 7 } });
    expect(created.status).toBe(200);
    storeId = created.json().id;
    for (const [fileId, attributes] of [[fileA, { topic: "sea", year: 1900 }], [fileB, { topic: "food", year: 2020 }]] as const) {
      const attached = await app.request("POST", `/v1/vector_stores/${storeId}/files`, { file_id: fileId, attributes });
      expect(attached.json()).toMatchObject({ id: fileId, object: "vector_store.file", vector_store_id: storeId, attributes, chunking_strategy: { type: "static", static: { max_chunk_size_tokens: 800, chunk_overlap_tokens: 400 } } });
      expect(await completed(storeId, fileId)).toMatchObject({ status: "completed", last_error: null, usage_bytes: expect.any(Number) });
    }
  });

  it("answers a store in OpenAI's shape, with Shimmy's embedding_model", async () => {
    const store = (await app.request("GET", `/v1/vector_stores/${storeId}`)).json();
    expect(store).toEqual({
      id: storeId, object: "vector_store", created_at: expect.any(Number), name: "docs", usage_bytes: expect.any(Number),
      file_counts: { in_progress: 0, completed: 2, failed: 0, cancelled: 0, total: 2 }, status: "completed",
      expires_after: { anchor: "last_active_at", days: 7 }, expires_at: expect.any(Number), last_active_at: expect.any(Number),
      metadata: { team: "x" }, embedding_model: "fake-embed", dimensions: 64,
    });
    expect(store.usage_bytes).toBeGreaterThan(0);
    expect(store.expires_at - store.last_active_at).toBe(7 * 86400);
    const renamed = (await app.request("POST", `/v1/vector_stores/${storeId}`, { name: "renamed" })).json();
    expect(renamed.name).toBe("renamed");
    expect((await app.request("GET", "/v1/vector_stores")).json().data.map((s: { id: string }) => s.id)).toContain(storeId);
  });

  it("searches by vector, keyword and hybrid, as a search_results page", async () => {
    const vector = (await search(storeId, { query: TEXT_A })).json();
    expect(vector).toMatchObject({ object: "vector_store.search_results.page", search_query: [TEXT_A], has_more: false, next_page: null });
    expect(vector.data[0]).toEqual({ file_id: fileA, filename: "a.txt", score: expect.closeTo(1, 4), attributes: { topic: "sea", year: 1900 }, content: [{ type: "text", text: TEXT_A }] });
    const keyword = (await search(storeId, { query: "sourdough flour", ranking_options: { ranker: "keyword" } })).json();
    expect(keyword.data.map((d: { file_id: string }) => d.file_id)).toEqual([fileB]);
    const hybrid = (await search(storeId, { query: "sourdough flour", ranking_options: { ranker: "hybrid" } })).json();
    expect(hybrid.data[0].file_id).toBe(fileB);
    expect(hybrid.data[0].score).toBeGreaterThan(0);
    const threshold = (await search(storeId, { query: "sourdough flour", ranking_options: { ranker: "keyword", score_threshold: 0.99 } })).json();
    expect(threshold.data).toEqual([]);
  });

  it("filters by attributes; a missing attribute matches nothing", async () => {
    const eq = (await search(storeId, { query: TEXT_A, filters: { type: "eq", key: "topic", value: "food" } })).json();
    expect(eq.data.map((d: { file_id: string }) => d.file_id)).toEqual([fileB]);
    const compound = (await search(storeId, { query: TEXT_B, filters: { type: "and", filters: [{ type: "lt", key: "year", value: 2000 }, { type: "in", key: "topic", value: ["sea", "sky"] }] } })).json();
    expect(compound.data.map((d: { file_id: string }) => d.file_id)).toEqual([fileA]);
    const missing = await search(storeId, { query: TEXT_A, filters: { type: "eq", key: "nope", value: 1 } });
    expect(missing.status).toBe(200);
    expect(missing.json().data).toEqual([]);
    const bad = await search(storeId, { query: TEXT_A, filters: { type: "like", key: "topic", value: "x" } });
    expect(bad.status).toBe(400);
    expect(bad.json().error).toMatchObject({ code: "invalid_parameter", param: "filters.type" });
  });

  it("refuses unknown stores and files, bad bodies, an unsupported type", async () => {
    const unknown = await search("vs_nope", { query: "x" });
    expect(unknown.status).toBe(404);
    expect(unknown.json().error).toMatchObject({ code: "vector_store_not_found", type: "invalid_request_error" });
    expect((await app.request("POST", `/v1/vector_stores/${storeId}/files`, { file_id: "file-nope" })).json().error.code).toBe("file_not_found");
    expect((await search(storeId, { query: "x", ranking_options: { ranker: "best" } })).json().error).toMatchObject({ code: "invalid_parameter", param: "ranking_options.ranker" });
    expect((await search(storeId, { query: "x", max_num_results: 51 })).status).toBe(400);
    const exe = (await upload("tool.exe", "MZ binary")).body.id;
    const refused = await app.request("POST", `/v1/vector_stores/${storeId}/files`, { file_id: exe });
    expect(refused.status).toBe(400);
    expect(refused.json().error).toMatchObject({ code: "unsupported_file", param: "file_id" });
    const chunking = await app.request("POST", "/v1/vector_stores", { chunking_strategy: { type: "static", static: { max_chunk_size_tokens: 200, chunk_overlap_tokens: 150 } } });
    expect(chunking.json().error).toMatchObject({ code: "invalid_parameter", param: "chunking_strategy.static.chunk_overlap_tokens" });
  });

  it("detaching a file removes its chunks from vector and keyword search", async () => {
    const fileC = (await upload("c.txt", "Quartz crystals oscillate at a steady frequency.")).body.id;
    await app.request("POST", `/v1/vector_stores/${storeId}/files`, { file_id: fileC });
    await completed(storeId, fileC);
    expect((await search(storeId, { query: "quartz", ranking_options: { ranker: "keyword" } })).json().data).toHaveLength(1);
    expect((await app.request("DELETE", `/v1/vector_stores/${storeId}/files/${fileC}`)).json()).toEqual({ id: fileC, object: "vector_store.file.deleted", deleted: true });
    expect((await search(storeId, { query: "quartz", ranking_options: { ranker: "keyword" } })).json().data).toEqual([]);
    const vector = (await search(storeId, { query: "Quartz crystals oscillate at a steady frequency." })).json();
    expect(vector.data.map((d: { file_id: string }) => d.file_id)).not.toContain(fileC);
    expect((await app.request("GET", `/v1/vector_stores/${storeId}/files/${fileC}`)).status).toBe(404);
  });

  it("runs file batches and lists their files", async () => {
    const f1 = (await upload("d.txt", "delta")).body.id;
    const f2 = (await upload("e.txt", "echo")).body.id;
    const batch = (await app.request("POST", `/v1/vector_stores/${storeId}/file_batches`, { file_ids: [f1, f2], attributes: { kind: "batch" } })).json();
    expect(batch).toMatchObject({ id: expect.stringMatching(/^vsfb_/), object: "vector_store.files_batch", vector_store_id: storeId, file_counts: { total: 2 } });
    await completed(storeId, f1);
    await completed(storeId, f2);
    expect((await app.request("GET", `/v1/vector_stores/${storeId}/file_batches/${batch.id}`)).json()).toMatchObject({ status: "completed", file_counts: { completed: 2, total: 2 } });
    const files = (await app.request("GET", `/v1/vector_stores/${storeId}/file_batches/${batch.id}/files?filter=completed`)).json();
    expect(files.data.map((f: { id: string }) => f.id).sort()).toEqual([f1, f2].sort());
    expect(files.data[0].attributes).toEqual({ kind: "batch" });
    expect((await app.request("POST", `/v1/vector_stores/${storeId}/file_batches/${batch.id}/cancel`)).json().status).toBe("cancelled");
  });

  it("runs the file_search tool of the Responses API: a file_search_call item and file citations", async () => {
    const answer = await app.request("POST", "/v1/responses", {
      model: "fake-chat", input: TEXT_A, include: ["file_search_call.results"],
      tools: [{ type: "file_search", vector_store_ids: [storeId], max_num_results: 1 }],
    });
    expect(answer.status).toBe(200);
    const body = answer.json();
    expect(body.output[0]).toEqual({
      id: expect.stringMatching(/^fs_/), type: "file_search_call", status: "completed", queries: [TEXT_A],
      results: [{ file_id: fileA, filename: "a.txt", score: expect.closeTo(1, 4), attributes: { topic: "sea", year: 1900 }, text: TEXT_A }],
    });
    const message = body.output.find((item: { type: string }) => item.type === "message");
    expect(message.content[0].annotations).toEqual([{ type: "file_citation", index: message.content[0].text.length, file_id: fileA, filename: "a.txt" }]);
    const without = (await app.request("POST", "/v1/responses", { model: "fake-chat", input: TEXT_A, tools: [{ type: "file_search", vector_store_ids: [storeId] }] })).json();
    expect(without.output[0].results).toBeNull();
    const unknown = await app.request("POST", "/v1/responses", { model: "fake-chat", input: "x", tools: [{ type: "file_search", vector_store_ids: ["vs_nope"] }] });
    expect(unknown.status).toBe(404);
    expect(unknown.json().error).toMatchObject({ code: "vector_store_not_found", param: "tools.0.vector_store_ids" });
  });

  it("deletes a store", async () => {
    const other = (await app.request("POST", "/v1/vector_stores", { name: "tmp" })).json();
    expect((await app.request("DELETE", `/v1/vector_stores/${other.id}`)).json()).toEqual({ id: other.id, object: "vector_store.deleted", deleted: true });
    expect((await app.request("GET", `/v1/vector_stores/${other.id}`)).status).toBe(404);
  });
});

describe("without an embedding model", () => {
  it("refuses to create a store with a clear 400", async () => {
    const bare = await startTestApp({ engine: new FakeEngine({ models: [fakeModel("chat-only")] }) });
    try {
      const answer = await bare.request("POST", "/v1/vector_stores", { name: "x" });
      expect(answer.status).toBe(400);
      expect(answer.json().error).toMatchObject({ code: "embedding_model_unavailable", param: "embedding_model" });
    } finally {
      await bare.close();
    }
  });
});
