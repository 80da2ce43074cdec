import fs from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { readSseData } from "../cli/sse.js";
import { FakeEngine } from "../engine/fake-engine.js";
import { startTestApp, type TestApp } from "../http/test-app.fixture.js";
import { discoverModels } from "../models/discovery.js";
import { writeTinyModel } from "../models/fake-homes.fixture.js";
import { startFakeHub, type FakeHub, type FakeRepo } from "../models/pull/fake-hub.fixture.js";
import { readPulled } from "../models/pull/pulled-record.js";

let tmp: string;
let hub: FakeHub;
let app: TestApp;
let model: Buffer;
let repos: Record<string, FakeRepo>;
let engine: FakeEngine;

beforeEach(async () => {
  tmp = await fs.mkdtemp(path.join(os.tmpdir(), "shimmy-pull-route-"));
  await writeTinyModel(path.join(tmp, "src.gguf"), { tensors: [256 * 1024] });
  model = await fs.readFile(path.join(tmp, "src.gguf"));
  repos = {
    "org/tiny-GGUF": { files: { "tiny-Q4_K_M.gguf": model }, license: "apache-2.0" },
    "org/slow-GGUF": { files: { "slow-Q4_0.gguf": model }, stallAfterBytes: 300_000, stalls: 1 },
    "org/gated-GGUF": { files: { "g-Q4_0.gguf": model }, gated: true },
  };
  hub = await startFakeHub(repos);
  engine = new FakeEngine({ models: [] });
  const env = { HF_HOME: path.join(tmp, "hf") };
  app = await startTestApp({
    engine,
    // The server's own rescan: discovery over the same hub cache, handed to the engine.
    rediscover: async () => engine.setModels((await discoverModels({ env, cwd: tmp, modelFiles: [], modelsDirs: [], discovery: true })).models),
    pull: { hubCache: path.join(tmp, "hf", "hub"), endpoint: hub.url, token: null, recordFile: path.join(tmp, "shimmy", "pulled.json") },
  });
});

afterEach(async () => {
  hub.release();
  await app.close();
  await hub.close();
  await fs.rm(tmp, { recursive: true, force: true });
});

/** Starts a streamed pull and returns its events as they come. */
async function streamPull(model: string, signal?: AbortSignal) {
  const response = await fetch(`${app.base}/api/models/pull`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ model }), signal });
  return { response, events: readSseData(response.body!) };
}

const blobsOf = (repo: string) => path.join(tmp, "hf", "hub", `models--${repo.replace("/", "--")}`, "blobs");

describe("POST /api/models/pull", () => {
  it("streams plan, progress, verified and done, and the model is listed at once", async () => {
    const { response, events } = await streamPull("hf.co/org/tiny-GGUF:q4_k_m");
    expect(response.status).toBe(200);
    expect(response.headers.get("content-type")).toMatch(/^text\/event-stream/);
    const received: string[] = [];
    for await (const data of events) received.push(data);
    expect(received.at(-1)).toBe("[DONE]");
    const parsed = received.slice(0, -1).map((d) => JSON.parse(d));
    expect(parsed[0]).toMatchObject({ type: "plan", repo: "org/tiny-GGUF", quant: "Q4_K_M", total_bytes: model.length, present_bytes: 0, license: "apache-2.0" });
    const progress = parsed.filter((e) => e.type === "progress");
    expect(progress.at(-1)).toMatchObject({ file: "tiny-Q4_K_M.gguf", bytes: model.length, total_bytes: model.length });
    expect(typeof progress.at(-1).rate).toBe("number");
    expect(parsed.at(-2)).toEqual({ type: "verified", file: "tiny-Q4_K_M.gguf" });
    const link = path.join(tmp, "hf", "hub", "models--org--tiny-GGUF", "snapshots", hub.commit, "tiny-Q4_K_M.gguf");
    expect(parsed.at(-1)).toMatchObject({ type: "done", models: ["org/tiny-GGUF:Q4_K_M"], paths: [link], commit: hub.commit, already_present: false });
    expect((await app.request("GET", "/api/models")).json().models.map((m: { id: string }) => m.id)).toEqual(["org/tiny-GGUF:Q4_K_M"]);
    expect((await readPulled(path.join(tmp, "shimmy", "pulled.json"))).map((f) => f.path)).toEqual([link]);
  });

  it("answers one JSON document with stream: false", async () => {
    const answer = await app.request("POST", "/api/models/pull", { model: "org/tiny-GGUF", stream: false });
    expect(answer.status).toBe(200);
    expect(answer.json()).toMatchObject({ type: "done", models: ["org/tiny-GGUF:Q4_K_M"], already_present: false });
    const again = await app.request("POST", "/api/models/pull", { model: "org/tiny-GGUF", stream: false });
    expect(again.json()).toMatchObject({ models: ["org/tiny-GGUF:Q4_K_M"], already_present: true });
  });

  it("refuses before any output with catalog errors: bad body, unknown repo, missing quant, gated", async () => {
    expect((await app.request("POST", "/api/models/pull", { model: "" })).json().error).toMatchObject({ code: "invalid_parameter", param: "model" });
    expect((await app.request("POST", "/api/models/pull", { model: "org/x", stream: "yes" })).json().error).toMatchObject({ code: "invalid_parameter", param: "stream" });
    const bad = await app.request("POST", "/api/models/pull", { model: "not-a-repo" });
    expect(bad.status).toBe(400);
    expect(bad.json().error).toMatchObject({ code: "invalid_parameter", param: "model" });
    const missing = await app.request("POST", "/api/models/pull", { model: "org/nothing" });
    expect(missing.status).toBe(404);
    expect(missing.headers.get("content-type")).toMatch(/json/);
    expect(missing.json().error).toMatchObject({ code: "hub_repo_not_found", message: `org/nothing was not found on ${hub.url} (if it is private, set HF_TOKEN)` });
    const quant = await app.request("POST", "/api/models/pull", { model: "org/tiny-GGUF:Q2_K" });
    expect([quant.status, quant.json().error.code]).toEqual([404, "hub_file_not_found"]);
    const gated = await app.request("POST", "/api/models/pull", { model: "org/gated-GGUF" });
    expect([gated.status, gated.json().error.code]).toEqual([403, "hub_gated"]);
  });

  it("refuses a second pull of the same file with 409 while the first runs, and the first completes intact", async () => {
    const first = await streamPull("org/slow-GGUF");
    const plan = await first.events.next();
    expect(JSON.parse(plan.value as string)).toMatchObject({ type: "plan" });
    const second = await app.request("POST", "/api/models/pull", { model: "org/slow-GGUF", stream: false });
    expect(second.status).toBe(409);
    expect(second.json().error.code).toBe("pull_in_progress");
    await hub.stalled();
    hub.release();
    const rest: string[] = [];
    for await (const data of first.events) rest.push(data);
    expect(JSON.parse(rest.at(-2)!)).toMatchObject({ type: "done", models: ["org/slow-GGUF:Q4_0"] });
    const [blob] = (await fs.readdir(blobsOf("org/slow-GGUF"))).filter((name) => /^[0-9a-f]{64}$/.test(name));
    expect((await fs.readFile(path.join(blobsOf("org/slow-GGUF"), blob!))).equals(model)).toBe(true);
  });

  it("cancels the pull when the client disconnects, keeping the partial file to resume from", async () => {
    const abort = new AbortController();
    const first = await streamPull("org/slow-GGUF", abort.signal);
    // Read until bytes are on disk: a progress event is sent after each write.
    let bytes = 0;
    for (let i = 0; i < 1000 && bytes === 0; i++) {
      const next = await first.events.next();
      const event = JSON.parse(next.value as string);
      if (event.type === "progress") bytes = event.bytes;
    }
    expect(bytes).toBeGreaterThan(0);
    abort.abort();
    // The pull ends (and gives back its lock) without the hub sending the rest.
    const blobs = blobsOf("org/slow-GGUF");
    for (let i = 0; i < 200 && (await fs.readdir(blobs)).some((name) => name.endsWith(".lock")); i++) await new Promise((r) => setTimeout(r, 25));
    const names = await fs.readdir(blobs);
    expect(names.filter((name) => name.endsWith(".lock"))).toEqual([]);
    const partial = names.find((name) => name.endsWith(".incomplete"))!;
    const kept = (await fs.stat(path.join(blobs, partial))).size;
    expect(kept).toBeGreaterThanOrEqual(bytes);
    expect(kept).toBeLessThan(model.length);

    const again = await app.request("POST", "/api/models/pull", { model: "org/slow-GGUF", stream: false });
    expect(again.json()).toMatchObject({ models: ["org/slow-GGUF:Q4_0"] });
    expect(hub.ranges.at(-1)).toBe(`bytes=${kept}-`);
  });
});
