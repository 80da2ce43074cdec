/**
 * Recovery of the vector stores service: a file left `in_progress` by a killed process is ingested
 * again at start, once (no duplicate chunks), and an index saved before chunks were committed (or
 * deleted) is rebuilt from the database.
 */
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { FakeEngine } from "../engine/fake-engine.js";
import { createLogger } from "../logger.js";
import { openStateDb, stateDbPath } from "../state/state-db.js";
import { EngineEmbeddingBackend } from "./embedding-backend.js";
import { UsearchIndexFactory } from "./usearch-index.js";
import { VectorStores } from "./vector-stores.js";
import { staticChunking } from "./chunker.js";
import { ShimmyError } from "../errors.js";

const homes: string[] = [];
afterEach(() => homes.splice(0).forEach((h) => fs.rmSync(h, { recursive: true, force: true })));

/** A service over a home's database, with indexes that turn to HNSW past 2 vectors. */
function open(home: string, engine = new FakeEngine({ dimensions: 16 }), expirySweepMs?: number) {
  const state = openStateDb({ file: stateDbPath(home) });
  const vectors = new VectorStores({
    db: state.db, home, backend: new EngineEmbeddingBackend(engine), logger: createLogger("silent"),
    indexes: new UsearchIndexFactory({ dir: path.join(home, "vectors"), exactMax: 2 }), ...(expirySweepMs ? { expirySweepMs } : {}),
  });
  return { state, vectors, close: async () => (await vectors.dispose(), state.dispose()) };
}

const chunking = staticChunking({ max_chunk_size_tokens: 100, chunk_overlap_tokens: 0 });
const words = (prefix: string, n: number) => Array.from({ length: n }, (_, i) => `${prefix}${i}`).join(" ");

describe("VectorStores recovery", () => {
  it("ingests again, without duplicates, a file a killed process left in_progress", async () => {
    const home = fs.mkdtempSync(path.join(os.tmpdir(), "shimmy-vs-"));
    homes.push(home);
    const first = open(home);
    const store = await first.vectors.createStore({ name: "s", fileIds: [], chunking, metadata: {}, expiresAfter: null }, new AbortController().signal);
    const file = first.vectors.uploadFile("long.txt", "assistants", Buffer.from(words("alpha", 600)));
    first.vectors.attachFile(store.id, { fileId: file.id, attributes: {}, chunking });
    await first.vectors.idle();
    const chunks = first.vectors.stores.chunkIdsOfFile(store.id, file.id);
    expect(chunks.length).toBeGreaterThan(3);
    expect(fs.existsSync(path.join(home, "vectors", `${store.id}.usearch`))).toBe(true);
    // As after a kill between the commit and the end: the status back to in_progress, the index file stale.
    first.vectors.stores.setStatus(store.id, file.id, "in_progress");
    await first.close();

    const second = open(home);
    const { requeued } = await second.vectors.resume();
    expect(requeued).toBe(1);
    await second.vectors.idle();
    expect(second.vectors.stores.getStoreFile(store.id, file.id)?.status).toBe("completed");
    const again = second.vectors.stores.chunkIdsOfFile(store.id, file.id);
    expect(again).toHaveLength(chunks.length);
    expect(second.vectors.stores.chunkIdsDigest(store.id).count).toBe(chunks.length);
    const index = await second.vectors.index(store.id);
    expect(index.size()).toBe(chunks.length);
    await second.close();
  });

  it("rebuilds an index that lacks chunks the database committed", async () => {
    const home = fs.mkdtempSync(path.join(os.tmpdir(), "shimmy-vs-"));
    homes.push(home);
    const first = open(home);
    const store = await first.vectors.createStore({ name: "s", fileIds: [], chunking, metadata: {}, expiresAfter: null }, new AbortController().signal);
    const a = first.vectors.uploadFile("a.txt", "assistants", Buffer.from(words("beta", 300)));
    first.vectors.attachFile(store.id, { fileId: a.id, attributes: {}, chunking });
    await first.vectors.idle();
    const saved = (await first.vectors.index(store.id)).size();
    // Chunks committed to the database behind the index's back, as a crash before the index save leaves them.
    first.vectors.stores.attachFile({ storeId: store.id, fileId: "file-x", batchId: null, status: "in_progress", lastError: null, attributes: {}, maxChunkSizeTokens: 100, chunkOverlapTokens: 0, usageBytes: 0, createdAt: 0 });
    first.vectors.stores.commitChunks(store.id, "file-x", [{ position: 0, text: "gamma", tokens: 2, vector: new Float32Array(16).fill(0.25) }], 10);
    await first.close();

    const second = open(home);
    const index = await second.vectors.index(store.id);
    expect(index.size()).toBe(saved + 1);
    const hits = await second.vectors.search(store.id, { queries: ["gamma"], maxResults: 3, filter: null, ranker: "keyword", scoreThreshold: 0 }, new AbortController().signal);
    expect(hits.map((h) => h.text)).toEqual(["gamma"]);
    await second.close();
  });

  it("halves a chunk the model finds too long until every piece fits", async () => {
    const home = fs.mkdtempSync(path.join(os.tmpdir(), "shimmy-vs-"));
    homes.push(home);
    // A model whose context holds 60 characters: far less than the chunker's estimate allows.
    const engine = new FakeEngine({
      dimensions: 16,
      fail: (request) => ("inputs" in request && request.inputs.some((i) => typeof i === "string" && i.length > 60) ? new ShimmyError("context_length_exceeded", "too long") : undefined),
    });
    const service = open(home, engine);
    const store = await service.vectors.createStore({ name: "s", fileIds: [], chunking, metadata: {}, expiresAfter: null }, new AbortController().signal);
    const text = words("delta", 200);
    const file = service.vectors.uploadFile("d.txt", "assistants", Buffer.from(text));
    service.vectors.attachFile(store.id, { fileId: file.id, attributes: {}, chunking });
    await service.vectors.idle();
    expect(service.vectors.stores.getStoreFile(store.id, file.id)).toMatchObject({ status: "completed", lastError: null });
    const hits = service.vectors.stores.chunkHits(store.id, service.vectors.stores.chunkIdsOfFile(store.id, file.id)).sort((a, b) => a.position - b.position);
    expect(hits.every((h) => h.text.length <= 60)).toBe(true);
    expect(hits.map((h) => h.text).join(" ")).toBe(text);
    await service.close();
  });
});

describe("VectorStores expiry", () => {
  const search = { queries: ["epsilon1"], maxResults: 3, filter: null, ranker: "vector" as const, scoreThreshold: 0 };
  /** A store of one file, ingested, its index saved to disk; then made to have expired a second ago. */
  async function expiredStore(service: ReturnType<typeof open>) {
    const store = await service.vectors.createStore({ name: "old", fileIds: [], chunking, metadata: {}, expiresAfter: { anchor: "last_active_at", days: 1 } }, new AbortController().signal);
    const file = service.vectors.uploadFile("e.txt", "assistants", Buffer.from(words("epsilon", 300)));
    service.vectors.attachFile(store.id, { fileId: file.id, attributes: {}, chunking });
    await service.vectors.idle();
    expect((await service.vectors.search(store.id, search, new AbortController().signal)).length).toBeGreaterThan(0);
    const row = service.vectors.getStore(store.id);
    service.vectors.stores.updateStore({ ...row, expiresAt: Math.floor(Date.now() / 1000) - 1 });
    return { store, file };
  }

  it("empties an expired store at start: chunks and index files go, the record stays, search is refused", async () => {
    const home = fs.mkdtempSync(path.join(os.tmpdir(), "shimmy-vs-"));
    homes.push(home);
    const first = open(home);
    const { store, file } = await expiredStore(first);
    const live = await first.vectors.createStore({ name: "live", fileIds: [], chunking, metadata: {}, expiresAfter: null }, new AbortController().signal);
    const kept = first.vectors.uploadFile("k.txt", "assistants", Buffer.from(words("zeta", 300)));
    first.vectors.attachFile(live.id, { fileId: kept.id, attributes: {}, chunking });
    await first.vectors.idle();
    const indexFile = path.join(home, "vectors", `${store.id}.usearch`);
    expect(fs.existsSync(indexFile)).toBe(true);
    await first.close();

    const second = open(home);
    expect(await second.vectors.resume()).toMatchObject({ expired: 1, stores: 1 });
    expect(fs.existsSync(indexFile)).toBe(false);
    expect(fs.existsSync(`${indexFile}.json`)).toBe(false);
    expect(second.vectors.stores.chunkIdsDigest(store.id).count).toBe(0);
    expect(second.vectors.stores.keywordSearch(store.id, "epsilon1", 10)).toEqual([]);
    expect(second.vectors.getStore(store.id)).toMatchObject({ id: store.id, name: "old" });
    expect(second.vectors.stores.getStoreFile(store.id, file.id)).toMatchObject({ status: "completed", usageBytes: 0 });
    await expect(second.vectors.search(store.id, search, new AbortController().signal)).rejects.toMatchObject({ code: "vector_store_expired", status: 400 });
    expect(() => second.vectors.attachFile(store.id, { fileId: kept.id, attributes: {}, chunking })).toThrow(expect.objectContaining({ code: "vector_store_expired" }));
    // The other store is untouched.
    expect(second.vectors.stores.chunkIdsDigest(live.id).count).toBeGreaterThan(3);
    expect(fs.existsSync(path.join(home, "vectors", `${live.id}.usearch`))).toBe(true);
    await second.close();
  });

  it("empties a store on the timer once it expires while the server runs", async () => {
    const home = fs.mkdtempSync(path.join(os.tmpdir(), "shimmy-vs-"));
    homes.push(home);
    const service = open(home, undefined, 20);
    await service.vectors.resume();
    const { store } = await expiredStore(service);
    const deadline = Date.now() + 5000;
    while (service.vectors.stores.chunkIdsDigest(store.id).count > 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
    expect(service.vectors.stores.chunkIdsDigest(store.id).count).toBe(0);
    expect(fs.existsSync(path.join(home, "vectors", `${store.id}.usearch`))).toBe(false);
    expect(await service.vectors.expireStores()).toEqual([]);
    await service.close();
  });
});
