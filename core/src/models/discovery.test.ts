import fs from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { gguf } from "../../../test/fixtures/gguf-writer.js";
import { discoverModels, type DiscoverOptions } from "./discovery.js";
import { addToHuggingFaceCache, addToOllama, writeSplitModel, writeTinyModel } from "./fake-homes.fixture.js";
import { HeaderCache } from "./header.js";
import type { DiscoveredModel } from "./types.js";

const fixtures = inject("fixtureModels");
let tmp: string, home: string, cwd: string, options: DiscoverOptions;
const byId = (models: DiscoveredModel[], id: string) => {
  const model = models.find((m) => m.id === id);
  if (!model) throw new Error(`no model ${id} in ${models.map((m) => m.id).join(", ")}`);
  return model;
};

/** One fake machine with every layout discovery knows, each root under `tmp`. */
beforeAll(async () => {
  tmp = await fs.realpath(await fs.mkdtemp(path.join(os.tmpdir(), "shimmy-discovery-")));
  home = path.join(tmp, "home");
  cwd = path.join(tmp, "work");
  const models = path.join(cwd, "models");
  const tiny = path.join(tmp, "tiny.gguf");
  await writeTinyModel(tiny);
  const f16 = path.join(tmp, "tiny-f16.gguf");
  await writeTinyModel(f16, { metadata: { "general.file_type": gguf.u32(1) } });

  // SHIMMY_MODEL_PATHS: a file (also reachable through ./models) and a folder.
  await writeTinyModel(path.join(tmp, "extra", "dir", "two.gguf"));
  // --models-dir, then ./models: three files called chat.gguf.
  await fs.mkdir(path.join(tmp, "mdir"), { recursive: true });
  await fs.copyFile(tiny, path.join(tmp, "mdir", "chat.gguf"));
  await fs.mkdir(models, { recursive: true });
  await fs.copyFile(fixtures.chat, path.join(models, "chat.gguf"));
  await writeTinyModel(path.join(models, "sub", "chat.gguf"), { tensors: [8] });
  await writeTinyModel(path.join(models, "chat-2.gguf"), { tensors: [16] });
  await fs.copyFile(fixtures.bert, path.join(models, "bert.gguf"));
  await fs.symlink(path.join(tmp, "mdir", "chat.gguf"), path.join(models, "link-to-mdir.gguf"));
  await fs.symlink(path.join(tmp, "nowhere.gguf"), path.join(models, "dangling.gguf"));
  await fs.writeFile(path.join(models, "corrupt.gguf"), Buffer.from(Array.from({ length: 2048 }, (_, i) => (i * 31) % 256)));
  const chatBytes = await fs.readFile(fixtures.chat);
  await fs.writeFile(path.join(models, "truncated.gguf"), chatBytes.subarray(0, chatBytes.length / 2));
  await writeTinyModel(path.join(models, "crash.gguf"), { metadata: { "llama.feed_forward_length": undefined } });
  await writeTinyModel(path.join(models, "vocab.gguf"), { tensors: [] });
  await writeTinyModel(path.join(models, "projector.gguf"), { arch: "clip" });
  await writeTinyModel(path.join(models, "mmproj-chat-f16.gguf"));
  await writeSplitModel(path.join(models, "big"), 2);
  await writeSplitModel(path.join(models, "broken"), 3, { skip: [2] });
  await fs.writeFile(path.join(models, "notes.txt"), "not a model");
  // $SHIMMY_HOME/models (SHIMMY_HOME unset: ~/.shimmy).
  await writeTinyModel(path.join(home, ".shimmy", "models", "mine.gguf"));

  // Hugging Face: refs/main names rev1; rev0 is older and also holds a Q8_0 only it has.
  const hub = path.join(home, ".cache", "huggingface", "hub");
  await addToHuggingFaceCache(hub, "org/Chat-GGUF", "Chat.Q8_0.gguf", tiny, "0".repeat(40), false);
  await addToHuggingFaceCache(hub, "org/Chat-GGUF", "Chat.Q4_K_M.gguf", f16, "0".repeat(40), false);
  await addToHuggingFaceCache(hub, "org/Chat-GGUF", "Chat.Q4_K_M.gguf", fixtures.chat, "1".repeat(40));
  await addToHuggingFaceCache(hub, "org/Chat-GGUF", "mmproj-Chat-f16.gguf", tiny, "1".repeat(40));
  await addToHuggingFaceCache(hub, "org/Plain-GGUF", "model.gguf", f16, "2".repeat(40));
  const splitDir = path.join(tmp, "split-src");
  const parts = await writeSplitModel(path.join(splitDir, "Split-Q4_K_M"), 2);
  for (const part of parts) await addToHuggingFaceCache(hub, "org/Split-GGUF", `Q4_K_M/${path.basename(part)}`, part, "3".repeat(40));

  // Ollama: the library, a namespace, another registry, and three manifests that cannot be used.
  const ollama = path.join(home, ".ollama", "models");
  await addToOllama(ollama, { model: "llama3.2", tag: "1b" }, tiny);
  await addToOllama(ollama, { namespace: "someone", model: "custom", tag: "latest" }, f16);
  await addToOllama(ollama, { registry: "hf.co", namespace: "bartowski", model: "Llama-GGUF", tag: "Q4_K_M" }, fixtures.chat);
  const manifests = path.join(ollama, "manifests", "registry.ollama.ai", "library");
  await fs.mkdir(path.join(manifests, "bad"), { recursive: true });
  await fs.writeFile(path.join(manifests, "bad", "nolayer"), JSON.stringify({ schemaVersion: 2, layers: [] }));
  await fs.writeFile(path.join(manifests, "bad", "escape"), JSON.stringify({ schemaVersion: 2, layers: [{ mediaType: "application/vnd.ollama.image.model", digest: "sha256:../../../../etc/passwd" }] }));
  await fs.writeFile(path.join(manifests, "bad", "huge"), Buffer.alloc(1024 * 1024 + 1, 0x20));

  // LM Studio (PUBLISHER/REPO/FILE and a loose file) and llama.cpp's cache (flat and hub layout).
  await writeTinyModel(path.join(home, ".lmstudio", "models", "lmstudio-community", "Qwen-GGUF", "Qwen-Q4_K_M.gguf"));
  await writeTinyModel(path.join(home, ".lmstudio", "models", "loose.gguf"));
  await writeTinyModel(path.join(home, ".cache", "llama.cpp", "org_repo_file-Q8_0.gguf"));
  await addToHuggingFaceCache(path.join(home, ".cache", "llama.cpp"), "ggml-org/Tiny-GGUF", "tiny-q8_0.gguf", tiny, "4".repeat(40));

  options = {
    env: { HOME: home, SHIMMY_MODEL_PATHS: [path.join(models, "bert.gguf"), path.join(tmp, "extra", "dir"), path.join(tmp, "missing")].join(path.delimiter) },
    cwd, modelFiles: [], modelsDirs: [path.join(tmp, "mdir")], discovery: true,
  };
});

afterAll(async () => {
  await fs.rm(tmp, { recursive: true, force: true });
});

describe("discoverModels", () => {
  it("lists every source in scan order, deduplicates real files and suffixes colliding ids", async () => {
    const { models } = await discoverModels(options);
    expect(models.map((m) => `${m.source} ${m.id}`)).toEqual([
      "path bert", "path two",
      "models-dir chat",
      "local big", "local broken", "local chat-2", "local chat-3", "local corrupt", "local crash", "local dangling", "local truncated", "local chat-4",
      "shimmy mine",
      "huggingface org/Chat-GGUF:Q4_K_M", "huggingface org/Chat-GGUF:Q8_0", "huggingface org/Plain-GGUF:F16", "huggingface org/Split-GGUF:Q4_K_M",
      "ollama hf.co/bartowski/Llama-GGUF:Q4_K_M", "ollama llama3.2:1b", "ollama someone/custom:latest",
      "lmstudio loose", "lmstudio lmstudio-community/Qwen-GGUF:Q4_K_M",
      "llama.cpp org_repo_file-Q8_0", "llama.cpp ggml-org/Tiny-GGUF:Q8_0",
    ]);
    // ./models/chat.gguf is the third "chat": chat-2 is a real file's id, so it gets chat-3.
    expect(byId(models, "chat-3").path).toBe(path.join(cwd, "models", "chat.gguf"));
    expect(byId(models, "chat-4").path).toBe(path.join(cwd, "models", "sub", "chat.gguf"));
  });

  it("reads the header facts and capabilities", async () => {
    const { models } = await discoverModels(options);
    expect(byId(models, "chat-3")).toMatchObject({
      architecture: "llama", quantization: "F16", trainedContextLength: 2048, hasChatTemplate: true,
      capabilities: ["chat", "completion", "embedding"], sizeBytes: (await fs.stat(fixtures.chat)).size,
    });
    expect(byId(models, "chat-3").parameterCount).toBeGreaterThan(100_000);
    expect(byId(models, "bert")).toMatchObject({ architecture: "bert", capabilities: ["embedding"], hasChatTemplate: false });
    expect(byId(models, "org/Chat-GGUF:Q4_K_M").path).toContain(`snapshots/${"1".repeat(40)}/Chat.Q4_K_M.gguf`);
    expect(byId(models, "org/Chat-GGUF:Q4_K_M").hasChatTemplate).toBe(true);
    expect(byId(models, "hf.co/bartowski/Llama-GGUF:Q4_K_M").path).toMatch(/blobs\/sha256-[0-9a-f]{64}$/);
  });

  it("groups split parts into one model loaded from its first part", async () => {
    const { models } = await discoverModels(options);
    const big = byId(models, "big");
    expect(big.path).toBe(path.join(cwd, "models", "big-00001-of-00002.gguf"));
    expect(big.parts).toEqual([big.path, path.join(cwd, "models", "big-00002-of-00002.gguf")]);
    expect(big).toMatchObject({ parameterCount: 192, capabilities: ["chat", "completion", "embedding"] });
    expect(big).not.toHaveProperty("invalidReason");
    expect(byId(models, "org/Split-GGUF:Q4_K_M").parts).toHaveLength(2);
    expect(byId(models, "broken").invalidReason).toBe("split model is missing part 2 of 3 (broken-00002-of-00003.gguf)");
  });

  it("lists invalid files with their reasons and skips files that are not models", async () => {
    const { models, skipped } = await discoverModels(options);
    expect(byId(models, "corrupt").invalidReason).toMatch(/not a valid GGUF file: it does not start with the GGUF magic/);
    expect(byId(models, "truncated").invalidReason).toMatch(/^truncated/);
    expect(byId(models, "crash").invalidReason).toMatch(/feed_forward_length is missing/);
    expect(byId(models, "dangling").invalidReason).toMatch(/dangling\.gguf does not exist \(it is a link to .*nowhere\.gguf\)$/);
    expect(byId(models, "crash").capabilities).toEqual([]);
    expect(skipped.map((s) => `${path.basename(s.path)}: ${s.reason.split(" (")[0]}`).sort()).toEqual([
      "mmproj-Chat-f16.gguf: a vision projector",
      "mmproj-chat-f16.gguf: a vision projector",
      "projector.gguf: a vision projector",
      "vocab.gguf: a vocabulary only",
    ]);
  });

  it("reports unusable roots and manifests", async () => {
    const { problems } = await discoverModels(options);
    expect(problems).toEqual([
      `${path.join(tmp, "missing")} does not exist`,
      expect.stringMatching(/manifests\/registry.ollama.ai\/library\/bad\/escape \(bad:escape\) has a model layer with an unexpected digest/),
      expect.stringMatching(/bad\/huge \(bad:huge\) is 1048577 bytes, too large for a manifest/),
      expect.stringMatching(/bad\/nolayer \(bad:nolayer\) has no application\/vnd.ollama.image.model layer/),
    ]);
  });

  it("reads no header again when nothing changed, and one when a file changes", async () => {
    const cache = new HeaderCache();
    await discoverModels({ ...options, cache });
    const cold = { ...cache.stats };
    expect(cold.reads).toBeGreaterThan(25);
    await discoverModels({ ...options, cache });
    expect(cache.stats.reads).toBe(cold.reads);
    const mine = path.join(home, ".shimmy", "models", "mine.gguf");
    const later = new Date(Date.now() + 5000);
    await fs.utimes(mine, later, later);
    await discoverModels({ ...options, cache });
    expect(cache.stats.reads).toBe(cold.reads + 1);
  });

  it("serves only the --model files with discovery off", async () => {
    const { models, problems } = await discoverModels({ ...options, discovery: false, modelFiles: [fixtures.chat, path.join(tmp, "gone.gguf")] });
    expect(models.map((m) => [m.source, m.id, m.invalidReason ?? null])).toEqual([
      ["path", "chat-llama", null],
      ["path", "gone", `${path.join(tmp, "gone.gguf")} does not exist`],
    ]);
    expect(problems).toEqual([]);
  });

  it("ends in a folder that links to its parent and reports each dangling link once", async () => {
    const loop = path.join(tmp, "loop");
    const models = path.join(loop, "models");
    await writeTinyModel(path.join(models, "real.gguf"));
    await fs.symlink("..", path.join(models, "up"));
    await fs.symlink(".", path.join(models, "here"));
    await fs.symlink(path.join(loop, "nowhere.gguf"), path.join(models, "dangling.gguf"));
    // The same folder reached a second time, through the loop, as a --models-dir.
    const { models: found, problems } = await discoverModels({
      env: {}, cwd: loop, modelFiles: [], modelsDirs: [path.join(models, "up", "models", "here")], discovery: true,
    });
    expect(found.map((m) => [m.id, path.relative(loop, m.path), m.invalidReason ?? null])).toEqual([
      ["dangling", path.join("models", "up", "models", "here", "dangling.gguf"),
        `${path.join(models, "up", "models", "here", "dangling.gguf")} does not exist (it is a link to ${path.join(loop, "nowhere.gguf")})`],
      ["real", path.join("models", "up", "models", "here", "real.gguf"), null],
    ]);
    expect(problems).toEqual([]);
  });

  it("puts --model files first and keeps valid aliases", async () => {
    const { models, aliases, problems } = await discoverModels({
      ...options,
      modelFiles: [path.join(tmp, "mdir", "chat.gguf")],
      aliases: { fast: "llama3.2:1b", embed: "bert", chat: "bert", ghost: "nope", oops: "crash" },
    });
    expect(models[0]).toMatchObject({ source: "path", id: "chat" });
    expect(models.filter((m) => m.source === "models-dir")).toEqual([]);
    expect(aliases).toEqual({ fast: "llama3.2:1b", embed: "bert" });
    expect(problems.slice(-3)).toEqual([
      'alias "chat" is also a model id; the model keeps it and the alias is ignored',
      'alias "ghost" points to "nope", which is not the id of a discovered model',
      expect.stringMatching(/^alias "oops" points to "crash", which cannot be loaded: llama.feed_forward_length/),
    ]);
  });
});
