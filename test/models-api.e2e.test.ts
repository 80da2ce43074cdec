/**
 * Hot swapping through `/api/models`: load, unload, keep-alive, eviction at --max-loaded-models 1,
 * requests alternating between two models under load with zero failures, a concurrent burst that
 * never holds both models, an unload that waits
 * for the request in flight, aliases, and a file that fails its probe-load refused without harm.
 */
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type OpenAI from "openai";
import { gguf, writeGguf } from "./fixtures/gguf-writer.js";
import { writeChatLlamaFixture } from "./fixtures/models.js";
import { NEVER_END } from "./helpers/sampling.js";
import { rawRequest } from "./helpers/raw-http.js";
import { execFile } from "node:child_process";
import { promisify } from "node:util";
import { BIN, startShimmy, type ShimmyProcess } from "./helpers/shimmy-process.js";

let dir: string;
let shimmy: ShimmyProcess;
let client: OpenAI;

interface AdminModel {
  id: string;
  loaded: boolean;
  memory_bytes: number | null;
  expires_at: string | null;
  invalid_reason?: string;
  source: string;
  capabilities: string[];
}

/** Metadata a header check passes, with a tensor of the wrong shape: llama.cpp refuses it at load. */
async function writeBadTensors(file: string) {
  const vocab = ["<unk>", "<s>", "</s>", ...Array.from({ length: 29 }, (_, i) => String.fromCharCode(97 + (i % 26)) + i)];
  await writeGguf(file, {
    "general.architecture": gguf.str("llama"),
    "llama.context_length": gguf.u32(128),
    "llama.embedding_length": gguf.u32(16),
    "llama.block_count": gguf.u32(1),
    "llama.feed_forward_length": gguf.u32(32),
    "llama.attention.head_count": gguf.u32(2),
    "llama.attention.layer_norm_rms_epsilon": gguf.f32(1e-5),
    "tokenizer.ggml.model": gguf.str("llama"),
    "tokenizer.ggml.tokens": gguf.strings(vocab),
    "tokenizer.ggml.scores": gguf.f32s(vocab.map(() => 0)),
    "tokenizer.ggml.token_type": gguf.i32s(vocab.map(() => 1)),
  }, [{ name: "token_embd.weight", dims: [7, 3], type: 0, data: function* () { yield new Uint8Array(7 * 3 * 4); } }]);
}

const api = (route: string, body?: object, headers: Record<string, string> = {}) =>
  rawRequest(`${shimmy.url}/api/models${route}`, {
    method: body ? "POST" : "GET",
    headers: { "content-type": "application/json", ...headers },
    body: body ? JSON.stringify(body) : undefined,
  });
const models = async () => (await api("")).json.models as unknown as AdminModel[];
const model = async (id: string) => (await models()).find((m) => m.id === id)!;

beforeAll(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), "shimmy-swap-"));
  await writeChatLlamaFixture(path.join(dir, "alpha.gguf"), { seed: 1 });
  await writeChatLlamaFixture(path.join(dir, "beta.gguf"), { seed: 2 });
  await writeBadTensors(path.join(dir, "badtensors.gguf"));
  const home = fs.mkdtempSync(path.join(os.tmpdir(), "shimmy-swap-home-"));
  fs.mkdirSync(path.join(home, ".shimmy"), { recursive: true });
  fs.writeFileSync(path.join(home, ".shimmy", "config.json"), JSON.stringify({ aliases: { fast: "alpha" } }));
  shimmy = await startShimmy({
    args: ["--models-dir", dir, "--max-loaded-models", "1", "--parallel", "2"],
    env: { SHIMMY_HOME: path.join(home, ".shimmy") },
  });
  client = shimmy.client();
});
afterAll(async () => {
  await shimmy?.stop();
  fs.rmSync(dir, { recursive: true, force: true });
});

const ask = (id: string, extra: object = {}) =>
  client.chat.completions.create({ model: id, messages: [{ role: "user", content: "hi" }], max_tokens: 4, ...NEVER_END, ...extra });

describe("/api/models", () => {
  it("lists discovered models, not loaded, with their facts", async () => {
    const list = await models();
    expect(list.map((m) => m.id).sort()).toEqual(["alpha", "badtensors", "beta"]);
    const alpha = list.find((m) => m.id === "alpha")!;
    expect(alpha).toMatchObject({ loaded: false, memory_bytes: null, source: "models-dir", capabilities: expect.arrayContaining(["chat"]) });
    expect((await client.models.list()).data.map((m) => m.id).sort()).toContain("beta");
  });

  it("loads and unloads on request, with memory and expiry", async () => {
    const loaded = await api("/load", { model: "alpha", keep_alive: "10m" });
    expect(loaded.status).toBe(200);
    expect(loaded.json).toMatchObject({ model: "alpha", loaded: true, memory_bytes: expect.any(Number) });
    const state = await model("alpha");
    expect(state.loaded).toBe(true);
    expect(state.memory_bytes).toBeGreaterThan(0);
    expect(Date.parse(state.expires_at!) - Date.now()).toBeGreaterThan(9 * 60_000);
    expect((await api("/unload", { model: "alpha" })).json).toEqual({ model: "alpha", loaded: false });
    expect((await model("alpha")).loaded).toBe(false);
  });

  it("streams load progress as server-sent events", async () => {
    const response = await api("/load", { model: "beta" }, { accept: "text/event-stream" });
    expect(response.headers["content-type"]).toMatch(/text\/event-stream/);
    const events = response.text.split("\n\n").filter(Boolean).map((e) => e.slice(6));
    expect(events.at(-1)).toBe("[DONE]");
    const final = JSON.parse(events.at(-2)!) as { loaded: boolean };
    expect(final.loaded).toBe(true);
    const progress = events.slice(0, -2).map((e) => (JSON.parse(e) as { progress: number }).progress);
    expect(progress.length).toBeGreaterThan(0);
    expect(progress.at(-1)).toBe(1);
  });

  it("names a missing or unknown model", async () => {
    expect((await api("/load", {})).json.error).toMatchObject({ code: "invalid_parameter", param: "model" });
    expect((await api("/load", { model: "nope" })).json.error).toMatchObject({ code: "model_not_found" });
  });
});

describe("hot swapping", () => {
  it("evicts the least recently used model at --max-loaded-models 1", async () => {
    await ask("alpha");
    await ask("beta");
    const list = await models();
    expect(list.filter((m) => m.loaded).map((m) => m.id)).toEqual(["beta"]);
  });

  it("serves requests alternating between two models under load, with unloads between, and fails none", async () => {
    const results = await Promise.allSettled(
      Array.from({ length: 24 }, async (_, i) => {
        if (i % 6 === 5) await api("/unload", { model: i % 2 ? "alpha" : "beta" });
        return ask(i % 2 ? "alpha" : "beta", { max_tokens: 6 });
      }),
    );
    const failed = results.filter((r) => r.status === "rejected");
    expect(failed).toEqual([]);
    for (const r of results) expect((r as PromiseFulfilledResult<OpenAI.Chat.Completions.ChatCompletion>).value.usage?.completion_tokens).toBe(6);
  });

  it("answers a concurrent burst across two models while never holding both at --max-loaded-models 1", async () => {
    let polling = true;
    let mostLoaded = 0;
    let polls = 0;
    const poller = (async () => {
      while (polling) {
        mostLoaded = Math.max(mostLoaded, (await models()).filter((m) => m.loaded).length);
        polls++;
        await new Promise((r) => setTimeout(r, 10));
      }
    })();
    const order = ["alpha", "beta", "beta", "alpha", "beta", "alpha", "alpha", "beta", "alpha", "beta", "beta", "alpha"];
    const answers = await Promise.allSettled(order.map((id) => ask(id, { max_tokens: 4 })));
    polling = false;
    await poller;
    expect(answers.filter((a) => a.status === "rejected")).toEqual([]);
    for (const a of answers) expect((a as PromiseFulfilledResult<OpenAI.Chat.Completions.ChatCompletion>).value.usage?.completion_tokens).toBe(4);
    expect(polls).toBeGreaterThan(2);
    expect(mostLoaded).toBe(1);
  });

  it("lets a request in flight finish when its model is unloaded", async () => {
    await ask("alpha");
    const stream = await client.chat.completions.create({
      model: "alpha", messages: [{ role: "user", content: "long" }], max_tokens: 400, stream: true, ...NEVER_END,
    });
    let chunks = 0;
    let finish: string | null = null;
    let unloaded: Promise<unknown> | undefined;
    for await (const chunk of stream) {
      if (++chunks === 3) unloaded = api("/unload", { model: "alpha" });
      finish = chunk.choices[0]?.finish_reason ?? finish;
    }
    expect(finish).toBe("length");
    expect(((await unloaded) as { json: unknown }).json).toEqual({ model: "alpha", loaded: false });
    expect((await model("alpha")).loaded).toBe(false);
  });

  it("unloads right after a request with keep_alive 0, and after the keep-alive it names", async () => {
    await ask("beta", { keep_alive: 0 } as object);
    await expect.poll(async () => (await model("beta")).loaded, { timeout: 5_000 }).toBe(false);
    await ask("beta", { keep_alive: "1s" } as object);
    expect((await model("beta")).loaded).toBe(true);
    await expect.poll(async () => (await model("beta")).loaded, { timeout: 5_000 }).toBe(false);
  });

  it("answers to an alias from config.json", async () => {
    const answer = await ask("fast");
    expect(answer.choices[0]?.finish_reason).toBe("length");
  });
});

describe("shimmy models against the running server", () => {
  const shimmyCli = (...args: string[]) => promisify(execFile)(process.execPath, [BIN, "models", ...args, "--url", shimmy.url], { env: { PATH: process.env.PATH ?? "" } });

  it("loads, lists, shows and unloads models", async () => {
    const loaded = await shimmyCli("load", "alpha", "--keep-alive", "-1");
    expect(loaded.stdout).toMatch(/^Loaded alpha in .*never expires/m);
    const ps = JSON.parse((await shimmyCli("ps", "--json")).stdout) as { models: AdminModel[] };
    expect(ps.models.map((m) => m.id)).toEqual(["alpha"]);
    const list = await shimmyCli("list");
    expect(list.stdout).toMatch(/^alpha\s.*loaded, never expires$/m);
    expect(list.stdout).toMatch(/^badtensors\s|^beta\s/m);
    expect((await shimmyCli("unload", "alpha")).stdout.trim()).toBe("Unloaded alpha");
    const missing = await shimmyCli("load", "nope").catch((e: { code: number; stderr: string }) => e);
    expect(missing).toMatchObject({ code: 1, stderr: expect.stringMatching(/nope/) });
  });
});

describe("probe-load", () => {
  it("refuses a file whose tensors llama.cpp cannot load, lists it as invalid, and keeps serving", async () => {
    const error = await ask("badtensors").catch((e: unknown) => e);
    expect(error).toMatchObject({ status: 400, code: "model_invalid" });
    const bad = await model("badtensors");
    expect(bad.invalid_reason).toMatch(/wrong shape|missing tensor/);
    expect((await client.models.list()).data.map((m) => m.id)).not.toContain("badtensors");
    expect((await ask("beta")).choices[0]?.finish_reason).toBe("length");
  });
});
