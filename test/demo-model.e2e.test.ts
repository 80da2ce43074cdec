/**
 * What a user gets on a fresh clone: `npx shimmy serve` in the repository serves the bundled demo
 * model, answers at once, and explains itself when something is missing or wrong.
 */
import { execFile } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { BIN, ROOT, startShimmy, type ShimmyProcess } from "./helpers/shimmy-process.js";

const run = promisify(execFile);

describe("the bundled demo model", () => {
  let shimmy: ShimmyProcess;
  beforeAll(async () => {
    shimmy = await startShimmy({ cwd: ROOT });
  });
  afterAll(() => shimmy?.stop());

  it("is served from ./models and writes a story through the chat API", async () => {
    const client = shimmy.client();
    expect((await client.models.list()).data.map((m) => m.id)).toContain("stories260K");
    const answer = await client.chat.completions.create({
      model: "stories260K", messages: [{ role: "user", content: "Tell me a story." }], max_tokens: 40, seed: 11,
    });
    const text = answer.choices[0]!.message.content!;
    // A model trained on children's stories writes English words.
    expect(text.match(/\b[a-z]{3,}\b/gi)?.length ?? 0).toBeGreaterThan(4);
  });

  it("continues a story through the completions API, streamed", async () => {
    const stream = await shimmy.client().completions.create({ model: "stories260K", prompt: "Once upon a time", max_tokens: 30, seed: 3, stream: true });
    let text = "";
    for await (const chunk of stream) text += chunk.choices[0]?.text ?? "";
    expect(text.match(/\b[a-z]{3,}\b/gi)?.length ?? 0).toBeGreaterThan(4);
  });

  it("tokenizes a raw prompt as llama.cpp's server does: whole first word, special-token text as its token", async () => {
    // BOS ▁Once ▁upon ▁a ▁time (not `O n ce`), then `</s>` as the one end token (not `< / s >`).
    const count = async (prompt: string) =>
      (await shimmy.client().completions.create({ model: "stories260K", prompt, max_tokens: 1, seed: 1 })).usage?.prompt_tokens;
    expect(await count("Once upon a time")).toBe(5);
    expect(await count("Once upon a time</s>")).toBe(6);
  });
});

describe("starting without models", () => {
  let dir: string;
  let shimmy: ShimmyProcess;
  beforeAll(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), "shimmy-empty-"));
    shimmy = await startShimmy({ cwd: dir });
  });
  afterAll(async () => {
    await shimmy?.stop();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it("still starts, says where to put a model, and answers model requests with 404", async () => {
    const warning = await shimmy.waitForLog((l) => l.event === "no_models");
    expect(String(warning.msg)).toContain(path.join(fs.realpathSync(dir), "models"));
    expect(String(warning.msg)).toMatch(/--model FILE/);
    const client = shimmy.client();
    expect((await client.models.list()).data).toEqual([]);
    await expect(client.chat.completions.create({ model: "any", messages: [{ role: "user", content: "x" }] })).rejects.toMatchObject({
      status: 404, code: "model_not_found",
    });
    expect(await (await fetch(`${shimmy.url}/health`)).json()).toMatchObject({ status: "ok", models: 0 });
  });
});

describe("the shimmy command", () => {
  it("runs as npx shimmy from the repository root, through the workspace's linked bin", async () => {
    // A root package with a `shimmy` bin made npx copy the whole clone into its cache first (14-20 s);
    // the bins now come from the workspace packages, which npx runs in place: nothing lands in its cache.
    const cache = fs.mkdtempSync(path.join(os.tmpdir(), "shimmy-npx-cache-"));
    try {
      const env = { ...process.env, npm_config_cache: cache, npm_config_update_notifier: "false" };
      const { stdout } = await run("npx", ["--no-install", "shimmy", "--version"], { cwd: ROOT, env });
      const core = JSON.parse(fs.readFileSync(path.join(ROOT, "core", "package.json"), "utf8")) as { version: string };
      expect(stdout.trim()).toBe(core.version);
      const plugin = await run("npx", ["--no-install", "shimmy-plugin", "--help"], { cwd: ROOT, env });
      expect(plugin.stdout).toMatch(/^Usage: shimmy-plugin/);
      expect(fs.existsSync(path.join(cache, "_npx"))).toBe(false);
    } finally {
      fs.rmSync(cache, { recursive: true, force: true });
    }
  });

  it("prints serve's help with every flag", async () => {
    const { stdout } = await run(process.execPath, [BIN, "serve", "--help"]);
    expect(stdout).toMatch(/--ctx-size N/);
    expect(stdout).toMatch(/SHIMMY_THREADS/);
  });

  it("exits 2 with a clear message on a bad flag or config file, before listening", async () => {
    const home = fs.mkdtempSync(path.join(os.tmpdir(), "shimmy-cli-"));
    try {
      const env = { PATH: process.env.PATH ?? "", HOME: home, SHIMMY_HOME: home };
      const bad = await run(process.execPath, [BIN, "serve", "--threads", "many"], { env }).catch((e: { code: number; stderr: string }) => e);
      expect(bad).toMatchObject({ code: 2, stderr: expect.stringMatching(/--threads must be a whole number/) });
      fs.writeFileSync(path.join(home, "config.json"), JSON.stringify({ treads: 2 }));
      const file = await run(process.execPath, [BIN, "serve"], { env }).catch((e: { code: number; stderr: string }) => e);
      expect(file).toMatchObject({ code: 2, stderr: expect.stringMatching(/unknown key "treads"/) });
    } finally {
      fs.rmSync(home, { recursive: true, force: true });
    }
  });

  it("stops cleanly on SIGTERM with exit code 0", async () => {
    const shimmy = await startShimmy({ cwd: ROOT });
    const exit = new Promise<number | null>((resolve) => shimmy.child.once("exit", (code) => resolve(code)));
    await shimmy.stop();
    expect(await exit).toBe(0);
  });
});
