import fs from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { discoverModels } from "../discovery.js";
import { writeTinyModel } from "../fake-homes.fixture.js";
import { startFakeHub, type FakeHub, type FakeRepo } from "./fake-hub.fixture.js";
import { HubCacheRepo } from "./hub-cache.js";
import { pullModel, type PullEvent, type PullOptions } from "./pull-model.js";

let tmp: string;
let hub: FakeHub;
let model: Buffer;
let repos: Record<string, FakeRepo>;

beforeEach(async () => {
  tmp = await fs.mkdtemp(path.join(os.tmpdir(), "shimmy-pull-"));
  // About 1 MB, so a connection can be cut in the middle of the body.
  await writeTinyModel(path.join(tmp, "src.gguf"), { tensors: [256 * 1024] });
  model = await fs.readFile(path.join(tmp, "src.gguf"));
  repos = {
    "org/tiny-GGUF": { files: { "tiny-Q4_K_M.gguf": model, "tiny-Q8_0.gguf": Buffer.from("not this one"), "README.md": Buffer.from("hi") }, license: "apache-2.0" },
    "org/gated-GGUF": { files: { "g-Q4_0.gguf": model }, gated: true, license: "llama3.2" },
    "org/bad-GGUF": { files: { "b-Q4_0.gguf": model }, wrongSha256: "f".repeat(64) },
    "org/cut-GGUF": { files: { "c-Q4_0.gguf": model }, cutAfterBytes: 300_000, cuts: 1 },
  };
  hub = await startFakeHub(repos);
});

afterEach(async () => {
  await hub.close();
  await fs.rm(tmp, { recursive: true, force: true });
});

const hubCache = () => path.join(tmp, "hf", "hub");
function pull(model: string, extra: Partial<PullOptions> = {}) {
  return pullModel({ model, hubCache: hubCache(), endpoint: hub.url, token: null, idleTimeoutMs: 5000, timeoutMs: 5000, ...extra });
}

describe("pullModel against a hub on 127.0.0.1", () => {
  it("downloads the Q4_K_M file into the hub cache layout, where discovery lists it", async () => {
    const events: PullEvent[] = [];
    const result = await pull("hf.co/org/tiny-GGUF", { onEvent: (e) => events.push(e) });
    const repoDir = path.join(hubCache(), "models--org--tiny-GGUF");
    const sha = result.plan.files[0]!.sha256;
    expect(result.plan).toMatchObject({ repo: "org/tiny-GGUF", quant: "Q4_K_M", totalBytes: model.length, license: "apache-2.0", presentBytes: 0 });
    expect(result.paths).toEqual([path.join(repoDir, "snapshots", hub.commit, "tiny-Q4_K_M.gguf")]);
    expect(await fs.readlink(result.paths[0]!)).toBe(path.join("..", "..", "blobs", sha));
    expect(await fs.readFile(path.join(repoDir, "refs", "main"), "utf8")).toBe(hub.commit);
    expect((await fs.readFile(result.paths[0]!)).equals(model)).toBe(true);
    expect(events[0]).toMatchObject({ type: "plan" });
    expect(events.filter((e) => e.type === "progress").at(-1)).toMatchObject({ bytes: model.length, totalBytes: model.length });
    expect(events.at(-1)).toEqual({ type: "verified", file: "tiny-Q4_K_M.gguf" });

    const found = await discoverModels({ env: { HF_HOME: path.join(tmp, "hf") }, cwd: tmp, modelFiles: [], modelsDirs: [], discovery: true });
    expect(found.models.map((m) => [m.id, m.source, m.path])).toEqual([["org/tiny-GGUF:Q4_K_M", "huggingface", result.paths[0]]]);
  });

  it("downloads nothing the second time", async () => {
    await pull("org/tiny-GGUF");
    const again = await pull("org/tiny-GGUF:q4_k_m");
    expect(again).toMatchObject({ alreadyPresent: true, plan: { presentBytes: model.length } });
    expect(hub.ranges).toHaveLength(1);
  });

  it("resumes with Range after the connection is cut mid-body", async () => {
    const first = await pull("org/cut-GGUF").catch((e: unknown) => e);
    expect(first).toMatchObject({ code: "download_failed", message: expect.stringContaining("run the pull again to resume") });
    const cache = new HubCacheRepo(hubCache(), "org/cut-GGUF");
    const sha = (await pull("org/cut-GGUF").catch(() => null))?.plan.files[0]!.sha256;
    // Every byte that arrived before the cut (the 300,000 sent) is on disk, and not asked for again.
    expect(hub.ranges).toEqual([null, "bytes=300000-"]);
    expect((await fs.readFile(cache.blobPath(sha!))).equals(model)).toBe(true);
    await expect(fs.stat(cache.partialPath(sha!))).rejects.toThrow();
  });

  it("refuses a file whose sha256 is not the published one and removes it", async () => {
    await expect(pull("org/bad-GGUF")).rejects.toMatchObject({ code: "checksum_mismatch", message: expect.stringContaining("it was removed") });
    const blobs = await fs.readdir(path.join(hubCache(), "models--org--bad-GGUF", "blobs"));
    expect(blobs).toEqual([]);
    await expect(fs.stat(path.join(hubCache(), "models--org--bad-GGUF", "snapshots"))).rejects.toThrow();
  });

  it("says a repository that does not exist was not found", async () => {
    await expect(pull("org/missing")).rejects.toMatchObject({ code: "repo_not_found", message: `org/missing was not found on ${hub.url} (if it is private, set HF_TOKEN)` });
  });

  it("asks for HF_TOKEN and the licence for a gated repository, and pulls it with the token", async () => {
    await expect(pull("org/gated-GGUF")).rejects.toMatchObject({ code: "gated", message: expect.stringMatching(/accept its licence on http:\/\/127\.0\.0\.1:\d+\/org\/gated-GGUF, then set HF_TOKEN/) });
    await expect(pull("org/gated-GGUF", { token: "wrong" })).rejects.toMatchObject({ code: "gated", message: expect.stringContaining("HF_TOKEN was refused") });
    const result = await pull("org/gated-GGUF", { token: "hf_test" });
    expect(result.plan.license).toBe("llama3.2");
  });

  it.runIf(process.platform === "linux")("leaves no model behind when the disk is full", async () => {
    const sha = (await pull("org/tiny-GGUF")).plan.files[0]!.sha256;
    await fs.rm(path.join(hubCache(), "models--org--tiny-GGUF"), { recursive: true });
    // /dev/full fails every write with ENOSPC, as a full disk does.
    const cache = new HubCacheRepo(hubCache(), "org/tiny-GGUF");
    await fs.mkdir(path.dirname(cache.partialPath(sha)), { recursive: true });
    await fs.symlink("/dev/full", cache.partialPath(sha));
    await expect(pull("org/tiny-GGUF")).rejects.toMatchObject({ code: "disk_full", message: expect.stringContaining("the disk is full") });
    const found = await discoverModels({ env: { HF_HOME: path.join(tmp, "hf") }, cwd: tmp, modelFiles: [], modelsDirs: [], discovery: true });
    expect(found.models).toEqual([]);
  });
});
