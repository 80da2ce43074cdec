/**
 * `shimmy pull` as users run it: the compiled CLI in a child process, against a fake Hugging Face
 * hub on 127.0.0.1 (HF_ENDPOINT), with HOME, SHIMMY_HOME and HF_HOME in a temporary folder.
 */
import { spawn } from "node:child_process";
import { createHash } from "node:crypto";
import fs from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { discoverModels } from "../core/src/models/discovery.js";
import { writeTinyModel } from "../core/src/models/fake-homes.fixture.js";
import { startFakeHub, type FakeHub } from "../core/src/models/pull/fake-hub.fixture.js";
import { HubCacheRepo } from "../core/src/models/pull/hub-cache.js";
import { runShimmy } from "./helpers/shimmy-cli.js";
import { BIN } from "./helpers/shimmy-process.js";

let tmp: string;
let hub: FakeHub;
let model: Buffer;

beforeAll(async () => {
  tmp = await fs.mkdtemp(path.join(os.tmpdir(), "shimmy-pull-e2e-"));
  await writeTinyModel(path.join(tmp, "src.gguf"), { tensors: [256 * 1024] });
  model = await fs.readFile(path.join(tmp, "src.gguf"));
  hub = await startFakeHub({
    "org/tiny-GGUF": { files: { "tiny-Q4_K_M.gguf": model, "tiny-Q8_0.gguf": model.subarray(0, 2000) }, license: "apache-2.0" },
    "org/cut-GGUF": { files: { "cut-Q4_0.gguf": model }, cutAfterBytes: 400_000, cuts: 1 },
    "org/gated-GGUF": { files: { "g-Q4_0.gguf": model }, gated: true },
    "org/killed-GGUF": { files: { "k-Q4_0.gguf": model }, stallAfterBytes: 600_000, stalls: 1 },
  });
});
afterAll(async () => {
  await hub?.close();
  await fs.rm(tmp, { recursive: true, force: true });
});

/** Runs `shimmy ARGS…` with only PATH and the temporary homes in its environment. */
const shimmy = (args: string[], env: Record<string, string> = {}) =>
  runShimmy(args, { env: { HOME: tmp, SHIMMY_HOME: path.join(tmp, ".shimmy"), HF_HOME: path.join(tmp, "hf"), HF_ENDPOINT: hub.url, ...env } });

describe("shimmy pull (compiled CLI)", () => {
  it("is listed in shimmy --help", async () => {
    expect((await shimmy(["--help"])).stdout).toMatch(/^ {2}pull {7}Download a GGUF model from Hugging Face/m);
  });

  it("pulls hf.co/ORG/REPO:QUANT into HF_HOME/hub, prints the path on stdout, and discovery lists it", async () => {
    const result = await shimmy(["pull", "hf.co/org/tiny-GGUF:q4_k_m"]);
    const link = path.join(tmp, "hf", "hub", "models--org--tiny-GGUF", "snapshots", hub.commit, "tiny-Q4_K_M.gguf");
    expect(result).toMatchObject({ code: 0, stdout: `${link}\n` });
    expect(result.stderr).toContain(`pulling org/tiny-GGUF:Q4_K_M: tiny-Q4_K_M.gguf, 1.0 MB\n  licence apache-2.0 (${hub.url}/org/tiny-GGUF)\n`);
    expect(result.stderr).toMatch(/^downloading 1\.0 MB \/ 1\.0 MB(, [\d.]+ [KMG]?B\/s, ETA 0s)?: 100%$/m);
    expect(result.stderr).toMatch(/sha256 verified\n$/);
    const found = await discoverModels({ env: { HF_HOME: path.join(tmp, "hf") }, cwd: tmp, modelFiles: [], modelsDirs: [], discovery: true });
    expect(found.models.map((m) => m.id)).toContain("org/tiny-GGUF:Q4_K_M");
  });

  it("resumes a pull whose connection was cut", async () => {
    const first = await shimmy(["pull", "org/cut-GGUF"]);
    expect(first.code).toBe(1);
    expect(first.stderr).toMatch(/shimmy pull: the download of org\/cut-GGUF stopped after \d+ of \d+ bytes .*run the pull again to resume\n$/);
    const second = await shimmy(["pull", "org/cut-GGUF"]);
    expect(second.code).toBe(0);
    expect(second.stderr).toMatch(/KB already here/);
    expect(hub.ranges.at(-1)).toMatch(/^bytes=[1-9]\d*-$/);
  });

  it("resumes after the pulling process is killed with SIGKILL mid-download, and links nothing before", async () => {
    const env = { PATH: process.env.PATH ?? "", HOME: tmp, SHIMMY_HOME: path.join(tmp, ".shimmy"), HF_HOME: path.join(tmp, "hf"), HF_ENDPOINT: hub.url };
    const child = spawn(process.execPath, [BIN, "pull", "-q", "org/killed-GGUF"], { env, stdio: "ignore" });
    const exited = new Promise((resolve) => child.once("exit", (_code, signal) => resolve(signal)));
    try {
      await hub.stalled();
      // The hub has sent 600,000 bytes and holds the rest: wait until they are all on disk.
      const partial = new HubCacheRepo(path.join(tmp, "hf", "hub"), "org/killed-GGUF").partialPath(createHash("sha256").update(model).digest("hex"));
      for (let i = 0; i < 200 && (await fs.stat(partial).catch(() => null))?.size !== 600_000; i++) await new Promise((r) => setTimeout(r, 50));
      child.kill("SIGKILL");
      expect(await exited).toBe("SIGKILL");
    } finally {
      child.kill("SIGKILL");
      hub.release();
    }
    await expect(fs.stat(path.join(tmp, "hf", "hub", "models--org--killed-GGUF", "snapshots"))).rejects.toThrow();
    const again = await shimmy(["pull", "org/killed-GGUF"]);
    expect(again).toMatchObject({ code: 0, stderr: expect.stringContaining("600 KB already here") });
    expect(hub.ranges.at(-1)).toBe("bytes=600000-");
    expect((await fs.readFile(again.stdout.trim())).equals(model)).toBe(true);
  });

  it("exits 1 for a repository that does not exist and for a gated one without HF_TOKEN", async () => {
    const missing = await shimmy(["pull", "org/nothing"]);
    expect(missing).toMatchObject({ code: 1, stdout: "", stderr: `shimmy pull: org/nothing was not found on ${hub.url} (if it is private, set HF_TOKEN)\n` });
    const gated = await shimmy(["pull", "org/gated-GGUF"]);
    expect(gated).toMatchObject({ code: 1, stdout: "" });
    expect(gated.stderr).toContain(`accept its licence on ${hub.url}/org/gated-GGUF, then set HF_TOKEN`);
    expect((await shimmy(["pull", "org/gated-GGUF", "-q"], { HF_TOKEN: "hf_test" })).code).toBe(0);
  });

  it("exits 2 for a usage mistake", async () => {
    expect((await shimmy(["pull"])).code).toBe(2);
    expect((await shimmy(["pull", "not-a-repo"])).code).toBe(2);
    expect((await shimmy(["pull", "--frobnicate", "a/b"])).code).toBe(2);
  });
});
