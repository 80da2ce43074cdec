import { promises as fs } from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { run } from "./run-cli.fixture.js";

const CALCULATOR = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../../plugins/calculator");

describe("shimmy-plugin CLI", () => {
  let dir: string;

  // A copy far from this repository: the SDK's library must resolve without a node_modules there.
  beforeAll(async () => {
    dir = await fs.mkdtemp(path.join(os.tmpdir(), "shimmy-plugin-cli-"));
    await fs.mkdir(path.join(dir, "assembly"));
    await fs.copyFile(path.join(CALCULATOR, "shimmy-plugin.json"), path.join(dir, "shimmy-plugin.json"));
    await fs.copyFile(path.join(CALCULATOR, "assembly/index.ts"), path.join(dir, "assembly/index.ts"));
  });

  afterAll(async () => {
    await fs.rm(dir, { recursive: true, force: true });
  });

  it("build prints the wasm path and its sha256", async () => {
    const { code, out, err } = await run(["build", dir]);
    expect(err).toBe("");
    expect(code).toBe(0);
    expect(out).toMatch(new RegExp(`^${path.join(dir, "plugin.wasm").replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}\\nsha256 [0-9a-f]{64}\\n$`));
    await fs.access(path.join(dir, "plugin.wasm"));
  });

  it("build reports a folder without a manifest", async () => {
    const { code, err } = await run(["build", path.join(dir, "assembly")]);
    expect(code).toBe(1);
    expect(err).toMatch(/shimmy-plugin\.json not found/);
  });

  it("prints usage and refuses unknown commands and arguments", async () => {
    expect((await run(["--help"])).out).toMatch(/build \[DIR\]/);
    expect((await run([])).code).toBe(2);
    const unknown = await run(["frobnicate"]);
    expect(unknown.code).toBe(2);
    expect(unknown.err).toMatch(/unknown command "frobnicate"/);
    expect((await run(["build", "--fast"])).code).toBe(2);
  });
});
