/**
 * `shimmy show` and `shimmy rm` as users run them: the compiled CLI in a child process, with HOME,
 * SHIMMY_HOME and HF_HOME in a temporary folder, models pulled from a fake hub on 127.0.0.1, and
 * SHIMMY_URL at a port where nothing listens (no server to update).
 */
import fs from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { addToHuggingFaceCache, writeTinyModel } from "../core/src/models/fake-homes.fixture.js";
import { startFakeHub, type FakeHub } from "../core/src/models/pull/fake-hub.fixture.js";
import { CHATML_TEMPLATE, CHAT_LLAMA_SHAPE } from "./fixtures/models.js";
import { runShimmy } from "./helpers/shimmy-cli.js";

let tmp: string;
let hub: FakeHub;

beforeAll(async () => {
  tmp = await fs.mkdtemp(path.join(os.tmpdir(), "shimmy-rm-show-"));
  await writeTinyModel(path.join(tmp, "src.gguf"), { tensors: [64 * 1024] });
  const model = await fs.readFile(path.join(tmp, "src.gguf"));
  hub = await startFakeHub({
    "org/tiny-GGUF": { files: { "tiny-Q4_K_M.gguf": model } },
    "org/shared-GGUF": { files: { "shared-Q4_0.gguf": model } },
  });
});
afterAll(async () => {
  await hub?.close();
  await fs.rm(tmp, { recursive: true, force: true });
});

const hubDir = () => path.join(tmp, "hf", "hub");

/** Runs `shimmy ARGS…` with only PATH and the temporary homes in its environment; stdin is a pipe. */
const shimmy = (args: string[]) =>
  runShimmy(args, { env: { HOME: tmp, SHIMMY_HOME: path.join(tmp, ".shimmy"), HF_HOME: path.join(tmp, "hf"), HF_ENDPOINT: hub.url, SHIMMY_URL: "http://127.0.0.1:1" }, cwd: tmp });

const exists = (file: string) => fs.lstat(file).then(() => true, () => false);

describe("shimmy show", () => {
  it("prints the fixture model's header as text and as JSON", async () => {
    const chat = inject("fixtureModels").chat;
    const text = await shimmy(["show", chat]);
    expect(text.code).toBe(0);
    expect(text.stdout).toMatch(/^architecture {4}llama$/m);
    expect(text.stdout).toMatch(new RegExp(`^context length {2}${CHAT_LLAMA_SHAPE.contextLength}$`, "m"));
    expect(text.stdout).toMatch(new RegExp(`^embedding size {2}${CHAT_LLAMA_SHAPE.nEmbd}$`, "m"));
    expect(text.stdout).toContain(`file            ${chat}\n`);
    expect(text.stdout).toContain(`chat template\n  ${CHATML_TEMPLATE}\n`);

    const json = await shimmy(["show", chat, "--json"]);
    const details = JSON.parse(json.stdout);
    expect(details).toMatchObject({
      id: null, path: chat, architecture: "llama", context_length: CHAT_LLAMA_SHAPE.contextLength, embedding_length: CHAT_LLAMA_SHAPE.nEmbd,
      chat_template: CHATML_TEMPLATE, size_bytes: (await fs.stat(chat)).size, files: [{ path: chat, size_bytes: (await fs.stat(chat)).size }],
    });
    expect(details.parameter_count).toBeGreaterThan(0);
  });

  it("finds a model by the id discovery gives it, and says when there is none", async () => {
    expect((await shimmy(["pull", "-q", "org/tiny-GGUF"])).code).toBe(0);
    const shown = await shimmy(["show", "org/tiny-GGUF:Q4_K_M", "--json"]);
    expect(shown.code).toBe(0);
    expect(JSON.parse(shown.stdout)).toMatchObject({ id: "org/tiny-GGUF:Q4_K_M", path: path.join(hubDir(), "models--org--tiny-GGUF", "snapshots", hub.commit, "tiny-Q4_K_M.gguf"), architecture: "llama" });
    const missing = await shimmy(["show", "org/none:Q4_0"]);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toMatch(/^shimmy show: no model "org\/none:Q4_0" here/);
    expect((await shimmy(["show"])).code).toBe(2);
  });
});

describe("shimmy rm", () => {
  it("refuses without --yes when stdin is not a terminal, then removes a pulled model, its blob and its folders", async () => {
    expect((await shimmy(["pull", "-q", "org/tiny-GGUF"])).code).toBe(0);
    const repoDir = path.join(hubDir(), "models--org--tiny-GGUF");
    const refused = await shimmy(["rm", "org/tiny-GGUF:Q4_K_M"]);
    expect(refused).toMatchObject({ code: 2, stderr: "shimmy rm: stdin is not a terminal, so nobody can confirm; pass --yes to delete without asking\n" });
    expect(await exists(repoDir)).toBe(true);

    const removed = await shimmy(["rm", "-y", "org/tiny-GGUF:Q4_K_M", "--json"]);
    expect(removed.code).toBe(0);
    const answer = JSON.parse(removed.stdout);
    expect(answer.model).toBe("org/tiny-GGUF:Q4_K_M");
    expect(answer.freed_bytes).toBeGreaterThan(0);
    expect(answer.removed.some((f: string) => f.includes(`${path.sep}blobs${path.sep}`))).toBe(true);
    expect(await exists(repoDir)).toBe(false);
    expect(await exists(hubDir())).toBe(true);
    expect(JSON.parse(await fs.readFile(path.join(tmp, ".shimmy", "pulled.json"), "utf8")).files).toEqual([]);
    expect((await shimmy(["show", "org/tiny-GGUF:Q4_K_M"])).code).toBe(1);
  });

  it("keeps a file Shimmy did not download unless --force", async () => {
    const link = await addToHuggingFaceCache(hubDir(), "other/tool-GGUF", "tool-Q8_0.gguf", path.join(tmp, "src.gguf"));
    const refused = await shimmy(["rm", "-y", "other/tool-GGUF:Q8_0"]);
    expect(refused).toMatchObject({ code: 1, stderr: `shimmy rm: ${link} was not downloaded by shimmy pull, so it is kept; pass --force to delete it anyway\n` });
    expect(await exists(link)).toBe(true);
    const forced = await shimmy(["rm", "-y", "--force", "other/tool-GGUF:Q8_0"]);
    expect(forced.code).toBe(0);
    expect(forced.stdout).toMatch(/^Removed other\/tool-GGUF:Q8_0, [\d.]+ [KM]?B freed\n$/);
    expect(await exists(path.join(hubDir(), "models--other--tool-GGUF"))).toBe(false);
  });

  it("keeps a blob that another snapshot links to", async () => {
    const pulled = (await shimmy(["pull", "-q", "org/shared-GGUF"])).stdout.trim();
    const repoDir = path.join(hubDir(), "models--org--shared-GGUF");
    // A later commit of the repository with the same file, as the hub's tools leave it.
    const later = path.join(repoDir, "snapshots", "f".repeat(40), "shared-Q4_0.gguf");
    await fs.mkdir(path.dirname(later), { recursive: true });
    await fs.symlink(await fs.readlink(pulled), later);
    const blob = path.resolve(path.dirname(pulled), await fs.readlink(pulled));

    const removed = await shimmy(["rm", "--yes", pulled]);
    expect(removed).toMatchObject({ code: 0, stdout: "Removed org/shared-GGUF:Q4_0 (its blob is used by another snapshot, so no space was freed)\n" });
    expect(await exists(pulled)).toBe(false);
    expect(await exists(path.dirname(pulled))).toBe(false);
    expect(await exists(blob)).toBe(true);
    expect((await fs.stat(later)).size).toBe((await fs.stat(blob)).size);
  });
});
