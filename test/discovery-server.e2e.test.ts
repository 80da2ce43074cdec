/**
 * Discovery through the real server: a fake home with the real layouts of Hugging Face, Ollama and
 * LM Studio, plus a corrupt and a truncated file in ./models. What is found, under which ids,
 * invalid files listed with reasons and absent from /v1/models, requests served by discovered ids,
 * a file dropped into a watched folder picked up without a restart, ~/.shimmy/models created while
 * the server runs and watched from then on, and the server serving on.
 */
import fs from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { addToHuggingFaceCache, addToOllama } from "../core/src/models/fake-homes.fixture.js";
import { NEVER_END } from "./helpers/sampling.js";
import { startShimmy, type ShimmyProcess } from "./helpers/shimmy-process.js";

let tmp: string;
let home: string;
let cwd: string;
let shimmy: ShimmyProcess;

interface AdminModel {
  id: string;
  source: string;
  invalid_reason?: string;
}

beforeAll(async () => {
  const fixtures = inject("fixtureModels");
  tmp = await fs.mkdtemp(path.join(os.tmpdir(), "shimmy-discovery-server-"));
  home = path.join(tmp, "home");
  cwd = path.join(tmp, "work");
  await fs.mkdir(path.join(cwd, "models"), { recursive: true });
  await fs.writeFile(path.join(cwd, "models", "corrupt.gguf"), Buffer.from("GGUF but not really, just bytes"));
  const chat = await fs.readFile(fixtures.chat);
  await fs.writeFile(path.join(cwd, "models", "truncated.gguf"), chat.subarray(0, chat.length - 1000));
  await addToHuggingFaceCache(path.join(home, ".cache", "huggingface", "hub"), "acme/Chat-GGUF", "chat.Q8_0.gguf", fixtures.chat);
  await addToOllama(path.join(home, ".ollama", "models"), { model: "tinychat", tag: "1b" }, fixtures.chat);
  const lmstudio = path.join(home, ".lmstudio", "models", "acme", "Embed-GGUF");
  await fs.mkdir(lmstudio, { recursive: true });
  await fs.copyFile(fixtures.bert, path.join(lmstudio, "embed.F32.gguf"));
  shimmy = await startShimmy({ cwd, home });
});
afterAll(async () => {
  await shimmy?.stop();
  await fs.rm(tmp, { recursive: true, force: true });
});

const adminModels = async () => ((await (await fetch(`${shimmy.url}/api/models`)).json()) as { models: AdminModel[] }).models;

describe("discovery in the server", () => {
  it("finds models in every layout under readable ids, and lists invalid files with reasons", async () => {
    const models = await adminModels();
    const byId = Object.fromEntries(models.map((m) => [m.id, m]));
    expect(byId["acme/Chat-GGUF:Q8_0"]).toMatchObject({ source: "huggingface" });
    expect(byId["tinychat:1b"]).toMatchObject({ source: "ollama" });
    expect(byId["acme/Embed-GGUF:F32"]).toMatchObject({ source: "lmstudio" });
    expect(byId.corrupt?.invalid_reason).toBeTruthy();
    expect(byId.truncated?.invalid_reason).toMatch(/past the end|truncated|file can hold/i);
    const served = (await shimmy.client().models.list()).data.map((m) => m.id);
    expect(served).toEqual(expect.arrayContaining(["acme/Chat-GGUF:Q8_0", "tinychat:1b", "acme/Embed-GGUF:F32"]));
    expect(served).not.toContain("corrupt");
    expect(served).not.toContain("truncated");
  });

  it("serves requests by the discovered ids", async () => {
    const client = shimmy.client();
    for (const model of ["acme/Chat-GGUF:Q8_0", "tinychat:1b"]) {
      const answer = await client.chat.completions.create({ model, messages: [{ role: "user", content: "hi" }], max_tokens: 3, ...NEVER_END });
      expect(answer.usage?.completion_tokens).toBe(3);
    }
    const embedding = await client.embeddings.create({ model: "acme/Embed-GGUF:F32", input: "hello world" });
    expect(embedding.data[0]!.embedding.length).toBeGreaterThan(0);
    await expect(client.chat.completions.create({ model: "truncated", messages: [{ role: "user", content: "x" }] })).rejects.toMatchObject({
      status: 400, code: "model_invalid",
    });
  });

  it("picks up a model dropped into a watched folder without a restart", async () => {
    await fs.copyFile(inject("fixtureModels").chat, path.join(cwd, "models", "newcomer.gguf"));
    await expect.poll(async () => (await shimmy.client().models.list()).data.map((m) => m.id), { timeout: 10_000, interval: 200 }).toContain("newcomer");
    await fs.rm(path.join(cwd, "models", "newcomer.gguf"));
    await expect.poll(async () => (await shimmy.client().models.list()).data.map((m) => m.id), { timeout: 10_000, interval: 200 }).not.toContain("newcomer");
    const answer = await shimmy.client().chat.completions.create({ model: "tinychat:1b", messages: [{ role: "user", content: "still?" }], max_tokens: 2, ...NEVER_END });
    expect(answer.choices[0]?.finish_reason).toBe("length");
  });

  it("lists a model copied into ~/.shimmy/models, a folder created after the start, without a rescan request", async () => {
    const folder = path.join(home, ".shimmy", "models");
    await expect(fs.stat(folder)).rejects.toMatchObject({ code: "ENOENT" });
    await fs.mkdir(folder, { recursive: true });
    await fs.copyFile(inject("fixtureModels").chat, path.join(folder, "late-arrival.gguf"));
    await expect.poll(async () => (await shimmy.client().models.list()).data.map((m) => m.id), { timeout: 10_000, interval: 100 }).toContain("late-arrival");
  });

  it("rescans on POST /api/models/discover", async () => {
    await fs.copyFile(inject("fixtureModels").chat, path.join(cwd, "models", "rescanned.gguf"));
    const response = await fetch(`${shimmy.url}/api/models/discover`, { method: "POST", headers: { "content-type": "application/json" }, body: "{}" });
    const { models } = (await response.json()) as { models: AdminModel[] };
    expect(models.map((m) => m.id)).toContain("rescanned");
  });
});
