import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { PluginHost } from "../../core/src/plugins/host.js";
import { readBuiltPlugin } from "../../test/helpers/packed-plugin.js";

let home: string;
let host: PluginHost;

beforeAll(async () => {
  const { manifest, wasm } = await readBuiltPlugin("calculator");
  home = await mkdtemp(path.join(tmpdir(), "shimmy-calculator-test-"));
  const logger = { info: () => {}, warn: () => {}, debug: () => {} };
  host = await PluginHost.load({ manifest, wasm, config: {}, home, serverAddresses: [], logger, poolSize: 1 });
});

afterAll(async () => {
  await host?.dispose();
  if (home) await rm(home, { recursive: true, force: true });
});

const calculate = (expression: string) => host.callTool("calculate", { expression }) as Promise<{ result: string }>;

describe("calculator", () => {
  it("evaluates nested parentheses, signs and powers up to its nesting limit", async () => {
    await expect(calculate("(".repeat(100) + "1+2" + ")".repeat(100))).resolves.toEqual({ result: "3" });
    await expect(calculate("-".repeat(100) + "1")).resolves.toEqual({ result: "1" });
    await expect(calculate(Array(50).fill("1").join("^"))).resolves.toEqual({ result: "1" });
  });

  it("answers deeper nesting, anywhere the schema's 1,000 characters allow, with a tool error instead of a trap", async () => {
    for (const expression of ["(".repeat(101) + "1" + ")".repeat(101), "(".repeat(200) + "1" + ")".repeat(200), "(".repeat(1000), "-".repeat(999) + "1", "-(".repeat(333) + "1" + ")".repeat(333), Array(500).fill("1").join("^")]) {
      await expect(calculate(expression)).rejects.toMatchObject({ code: "plugin_error", message: expect.stringContaining("more than 100 levels") });
    }
    await expect(calculate("1+1")).resolves.toEqual({ result: "2" });
  });
});
