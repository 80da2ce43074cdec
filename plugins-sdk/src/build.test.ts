import { promises as fs } from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import createPlugin from "@extism/extism";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { buildPlugin, PluginBuildError, wasmExports, wasmImports, wasmMemoryLimits, type BuildResult } from "./build.js";

type Plugin = Awaited<ReturnType<typeof createPlugin>>;

const CALCULATOR = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../../plugins/calculator");

let first: BuildResult;
let second: BuildResult;
let wasm: Buffer;
let plugin: Plugin;

beforeAll(async () => {
  first = await buildPlugin(CALCULATOR);
  second = await buildPlugin(CALCULATOR);
  wasm = await fs.readFile(first.wasmPath);
  plugin = await createPlugin({ wasm: [{ data: wasm }] }, { useWasi: false, runInWorker: false });
});

afterAll(async () => {
  await plugin?.close();
});

async function calculate(expression: string): Promise<string> {
  const out = await plugin.call("calculate", JSON.stringify({ expression }));
  return (out!.json() as { result: string }).result;
}

async function calculateError(expression: string): Promise<string> {
  try {
    await plugin.call("calculate", JSON.stringify({ expression }));
  } catch (error) {
    return (error as Error).message;
  }
  throw new Error(`"${expression}" did not fail`);
}

describe("buildPlugin", () => {
  it("writes plugin.wasm and is deterministic", () => {
    expect(first.wasmPath).toBe(path.join(CALCULATOR, "plugin.wasm"));
    expect(first.sha256).toMatch(/^[0-9a-f]{64}$/);
    expect(second.sha256).toBe(first.sha256);
  });

  it("gives the same bytes from another folder", async () => {
    const dir = await fs.mkdtemp(path.join(os.tmpdir(), "shimmy-build-copy-"));
    try {
      await fs.mkdir(path.join(dir, "assembly"));
      await fs.copyFile(path.join(CALCULATOR, "shimmy-plugin.json"), path.join(dir, "shimmy-plugin.json"));
      await fs.copyFile(path.join(CALCULATOR, "assembly/index.ts"), path.join(dir, "assembly/index.ts"));
      expect((await buildPlugin(dir)).sha256).toBe(first.sha256);
    } finally {
      await fs.rm(dir, { recursive: true, force: true });
    }
  });

  it("declares the manifest's memory maximum", () => {
    expect(first.manifest.limits.memoryMaxPages).toBe(256);
    expect(wasmMemoryLimits(wasm)?.maximum).toBe(256);
  });

  it("imports no Shimmy host function and only Extism's kernel", () => {
    const imports = wasmImports(wasm);
    expect(imports.filter((i) => i.module !== "extism:host/env")).toEqual([]);
    const exports = wasmExports(wasm).map((e) => e.name);
    expect(exports.sort()).toEqual(["calculate", "memory"]);
  });

  it("reports a bad manifest and a compile error", async () => {
    const dir = await fs.mkdtemp(path.join(os.tmpdir(), "shimmy-build-bad-"));
    try {
      await fs.writeFile(path.join(dir, "shimmy-plugin.json"), JSON.stringify({ name: "Bad Name" }));
      await expect(buildPlugin(dir)).rejects.toThrow(/not a valid manifest/);
      const manifest = JSON.parse(await fs.readFile(path.join(CALCULATOR, "shimmy-plugin.json"), "utf8"));
      manifest.name = "broken";
      await fs.writeFile(path.join(dir, "shimmy-plugin.json"), JSON.stringify(manifest));
      await fs.mkdir(path.join(dir, "assembly"));
      await fs.writeFile(path.join(dir, "assembly/index.ts"), "export function calculate(): i32 { return nope; }\n");
      const failure = await buildPlugin(dir).catch((e: unknown) => e);
      expect(failure).toBeInstanceOf(PluginBuildError);
      expect((failure as Error).message).toMatch(/nope/);
      await fs.writeFile(path.join(dir, "assembly/index.ts"), "export function other(): i32 { return 0; }\n");
      await expect(buildPlugin(dir)).rejects.toThrow(/export "calculate"/);
    } finally {
      await fs.rm(dir, { recursive: true, force: true });
    }
  });
});

describe("calculator", () => {
  it.each([
    ["1+2*3", "7"],
    ["0.1+0.2", "0.3"],
    ["(2+3)*4", "20"],
    ["10/4", "2.5"],
    // division: 20 decimal places, rounded half to even
    ["1/3", "0.33333333333333333333"],
    ["2/3", "0.66666666666666666667"],
    ["1/8", "0.125"],
    ["0.000000000000000000005/1", "0"], // 5e-21 rounds (half to even) to 0 at 20 places
    ["0.000000000000000000015/1", "0.00000000000000000002"],
    ["2^64", "18446744073709551616"],
    // ^ binds tighter than unary minus (as in mathematics), and is right-associative
    ["-3^2", "-9"],
    ["(-3)^2", "9"],
    ["2^3^2", "512"],
    ["0.5^3", "0.125"],
    ["7^0", "1"],
    ["50%", "0.5"],
    ["200*15%", "30"],
    ["123456789012345678901234567890*10", "1234567890123456789012345678900"],
    ["123456789012345678901234567890.123456789 + 0.876543211", "123456789012345678901234567891"],
    ["1.50*2", "3"],
    ["3-5", "-2"],
    ["-0", "0"],
    [" 2 * ( 3 + 4 ) ", "14"],
    ["-(-2)", "2"],
  ])("%s = %s", async (expression, result) => {
    expect(await calculate(expression)).toBe(result);
  });

  it("reports bad input as the plugin error, not a trap", async () => {
    expect(await calculateError("1/0")).toBe("Plugin-originated error: division by zero at position 2");
    expect(await calculateError("(1+2")).toMatch(/unbalanced parentheses: '\(' at position 1 is not closed/);
    expect(await calculateError("1+2)")).toMatch(/unbalanced parentheses: '\)' at position 4/);
    expect(await calculateError("2 $ 3")).toMatch(/unexpected character '\$' at position 3$/);
    expect(await calculateError("")).toMatch(/expression is empty/);
    expect(await calculateError("   ")).toMatch(/expression is empty/);
    expect(await calculateError("1".repeat(1001))).toMatch(/too long: 1001 characters, at most 1000/);
    expect(await calculateError("2^-1")).toMatch(/non-negative integer/);
    expect(await calculateError("2^0.5")).toMatch(/non-negative integer/);
    expect(await calculateError("2^1001")).toMatch(/larger than 1000/);
    expect(await calculateError("99^1000*99^1000*99^1000*99^1000*99^1000*99^1000")).toMatch(/more than 10000 digits/);
    expect(await calculateError("1+")).toMatch(/unexpected end of expression/);
    expect(await calculateError("5.")).toMatch(/invalid number '5\.'/);
  });

  it("sends non-ASCII in an error as UTF-8", async () => {
    expect(await calculateError("2 × 3")).toBe("Plugin-originated error: unexpected character '×' at position 3");
    expect(await calculateError("😀+1")).toMatch(/unexpected character '😀' at position 1$/);
    expect(await calculateError("😀😀 $")).toMatch(/'😀' at position 1$/);
  });

  it("rejects input that is not the declared shape", async () => {
    await expect(plugin.call("calculate", "{not json")).rejects.toThrow(/input is not JSON/);
    await expect(plugin.call("calculate", JSON.stringify({ expr: "1" }))).rejects.toThrow(/string "expression"/);
  });

  it("stays usable across many calls (memory is reclaimed)", async () => {
    for (let i = 0; i < 200; i++) expect(await calculate(`99^200/7^100 - 99^200/7^100 + ${i}`)).toBe(String(i));
    expect(await calculate("99999^1000/7^900").then((r) => r.length)).toBeGreaterThan(4000);
  });
});
