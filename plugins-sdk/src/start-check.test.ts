import { describe, expect, it } from "vitest";
import { ModuleCheckError } from "./module-check-error.js";
import { checkModuleStarts } from "./start-check.js";
import { spinningModule, validWasm } from "./wasm-module.fixture.js";

const typedImports = [{ module: "extism:host/env", name: "input_length" }, { module: "extism:host/user", name: "shimmy_now" }];

describe("checkModuleStarts", () => {
  it("accepts a module whose start function and hs_init return, calling its typed imports' stubs", async () => {
    const wasm = spinningModule({ spin: "none", exports: ["run"], imports: typedImports });
    expect(validWasm(wasm)).toBe(true);
    await expect(checkModuleStarts(wasm, { timeoutMs: 5000 })).resolves.toBeUndefined();
  });

  it.each(["start", "hs_init"] as const)("refuses a module whose %s never returns, at the deadline", async (spin) => {
    const wasm = spinningModule({ spin, exports: ["run"], imports: typedImports });
    expect(validWasm(wasm)).toBe(true);
    const error = await checkModuleStarts(wasm, { timeoutMs: 300 }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ModuleCheckError);
    expect(error).toMatchObject({ code: "start_failed", message: expect.stringContaining("did not finish instantiating within 300 ms") });
  });

  it("refuses a binary it cannot read, and leaves a module V8 refuses to the module check", async () => {
    const header = [0, 0x61, 0x73, 0x6d, 1, 0, 0, 0];
    await expect(checkModuleStarts(new Uint8Array([...header, 0x0a, 0x09, 0x05]))).rejects.toMatchObject({ code: "invalid_module" });
    const invalid = new Uint8Array([...header, 0x0a, 0x01, 0x05]);
    expect(validWasm(invalid)).toBe(false);
    await expect(checkModuleStarts(invalid)).resolves.toBeUndefined();
  });
});
