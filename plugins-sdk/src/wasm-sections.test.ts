import { describe, expect, it } from "vitest";
import { ModuleCheckError } from "./module-check-error.js";
import { checkMemoryLimit, readImportSignatures, readMemoryLimits } from "./wasm-sections.js";
import { HEADER, limits, section, spinningModule, str, validWasm as validate } from "./wasm-module.fixture.js";

/** A module that defines one memory. */
const definesMemory = (min: number, max: number | null) => new Uint8Array([...HEADER, ...section(5, [1, ...limits(min, max)])]);
/** A module that imports a function, a table, a global, and its memory, plus a custom section. */
const importsMemory = (min: number, max: number | null, shared = false) =>
  new Uint8Array([
    ...HEADER,
    ...section(0, [...str("name"), 1, 2, 3]),
    ...section(1, [1, 0x60, 0, 0]), // one type: () -> ()
    ...section(2, [
      4,
      ...str("env"), ...str("f"), 0x00, 0,
      ...str("env"), ...str("t"), 0x01, 0x70, 0x00, 1,
      ...str("env"), ...str("g"), 0x03, 0x7f, 0x00,
      ...str("env"), ...str("memory"), 0x02, ...limits(min, max, shared),
    ]),
  ]);

function codeOf(fn: () => unknown): string {
  try {
    fn();
  } catch (error) {
    expect(error).toBeInstanceOf(ModuleCheckError);
    return (error as ModuleCheckError).code;
  }
  return "ok";
}

describe("readMemoryLimits", () => {
  it("reads a defined memory with and without a maximum (modules V8 accepts)", () => {
    expect(validate(definesMemory(1, 16))).toBe(true);
    expect(readMemoryLimits(definesMemory(1, 16))).toEqual({ min: 1, max: 16, imported: false });
    expect(readMemoryLimits(definesMemory(2, null))).toEqual({ min: 2, max: null, imported: false });
    expect(readMemoryLimits(definesMemory(300, 65536))).toEqual({ min: 300, max: 65536, imported: false });
  });

  it("reads an imported memory past other imports and a custom section", () => {
    expect(validate(importsMemory(1, 8))).toBe(true);
    expect(readMemoryLimits(importsMemory(1, 8))).toEqual({ min: 1, max: 8, imported: true });
    expect(readMemoryLimits(importsMemory(1, 8, true))).toEqual({ min: 1, max: 8, imported: true });
    expect(readMemoryLimits(importsMemory(3, null))).toEqual({ min: 3, max: null, imported: true });
  });

  it("returns null for a module without memory", () => {
    expect(readMemoryLimits(new Uint8Array(HEADER))).toBeNull();
  });

  it("refuses memory64, custom page sizes and several memories", () => {
    const mem64 = new Uint8Array([...HEADER, ...section(5, [1, 0x05, 1, 2])]);
    expect(codeOf(() => readMemoryLimits(mem64))).toBe("memory_limit");
    expect(codeOf(() => readMemoryLimits(new Uint8Array([...HEADER, ...section(5, [1, 0x08, 1, 0])])))).toBe("memory_limit");
    const two = new Uint8Array([...HEADER, ...section(5, [2, ...limits(1, 2), ...limits(1, 2)])]);
    expect(codeOf(() => readMemoryLimits(two))).toBe("memory_limit");
  });

  it("refuses bad headers, oversized LEB128 values, overlong sections and trailing bytes", () => {
    expect(codeOf(() => readMemoryLimits(new Uint8Array([])))).toBe("invalid_module");
    expect(codeOf(() => readMemoryLimits(new Uint8Array([...HEADER.slice(0, 4), 2, 0, 0, 0])))).toBe("invalid_module");
    expect(codeOf(() => readMemoryLimits(new Uint8Array([...HEADER, 5, 0xff, 0xff, 0xff, 0xff, 0x7f])))).toBe("invalid_module");
    expect(codeOf(() => readMemoryLimits(new Uint8Array([...HEADER, 5, 0x80, 0x80, 0x80, 0x80, 0x80, 0x01])))).toBe("invalid_module");
    expect(codeOf(() => readMemoryLimits(new Uint8Array([...HEADER, 5, 50, 1, 0, 1])))).toBe("invalid_module");
    expect(codeOf(() => readMemoryLimits(new Uint8Array([...HEADER, ...section(5, [1, 0x00, 1, 0xaa])])))).toBe("invalid_module");
    expect(codeOf(() => readMemoryLimits(new Uint8Array([...HEADER, ...section(2, [1, ...str("a"), ...str("b"), 0x09])])))).toBe("invalid_module");
  });

  it("only ever throws its own error on every truncation and many corruptions", () => {
    for (const wasm of [definesMemory(1, 16), importsMemory(1, 8)]) {
      for (let len = 0; len < wasm.length; len++) {
        const code = codeOf(() => readMemoryLimits(wasm.slice(0, len)));
        // A cut exactly between sections is a valid (shorter) module.
        expect(["invalid_module", "ok"]).toContain(code);
      }
      let seed = 7;
      const rand = () => (seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
      for (let i = 0; i < 2000; i++) {
        const copy = wasm.slice();
        copy[8 + Math.floor(rand() * (copy.length - 8))] = Math.floor(rand() * 256);
        expect(["invalid_module", "memory_limit", "ok"]).toContain(codeOf(() => readMemoryLimits(copy)));
      }
    }
  });

  it("reads only the given view, not the buffer behind it", () => {
    // The bytes after the view would complete the section; the parser must not see them.
    const full = definesMemory(1, 16);
    const backing = new Uint8Array(full.length + 8);
    backing.set(full);
    const view = backing.subarray(0, full.length - 1);
    expect(codeOf(() => readMemoryLimits(view))).toBe("invalid_module");
  });
});

describe("checkMemoryLimit", () => {
  it("accepts a maximum within the cap", () => {
    expect(() => checkMemoryLimit(definesMemory(1, 16), 16)).not.toThrow();
    expect(() => checkMemoryLimit(importsMemory(1, 8), 16)).not.toThrow();
  });

  it("refuses no maximum, a maximum above the cap, and no memory, with clear messages", () => {
    expect(() => checkMemoryLimit(definesMemory(1, null), 16)).toThrow(/declares no maximum/);
    expect(() => checkMemoryLimit(importsMemory(1, null), 16)).toThrow(/imported memory declares no maximum/);
    expect(() => checkMemoryLimit(definesMemory(1, 17), 16)).toThrow(/maximum is 17 pages .* above the cap of 16/);
    expect(() => checkMemoryLimit(importsMemory(1, 4096), 256)).toThrow(/above the cap/);
    expect(() => checkMemoryLimit(new Uint8Array(HEADER), 16)).toThrow(/no memory/);
    expect(codeOf(() => checkMemoryLimit(definesMemory(1, 17), 16))).toBe("memory_limit");
  });

  it("refuses a minimum above the maximum and truncated input", () => {
    expect(codeOf(() => checkMemoryLimit(definesMemory(9, 4), 16))).toBe("invalid_module");
    expect(codeOf(() => checkMemoryLimit(definesMemory(1, 16).slice(0, 12), 16))).toBe("invalid_module");
  });
});

describe("readImportSignatures", () => {
  it("gives each imported function its module, name and signature, in import order", () => {
    const wasm = spinningModule({ spin: "none", exports: ["run"], imports: [{ module: "extism:host/env", name: "input_length" }, { module: "extism:host/user", name: "shimmy_now" }] });
    expect(validate(wasm)).toBe(true);
    expect(readImportSignatures(wasm)).toEqual([
      { module: "extism:host/env", name: "input_length", params: ["i64"], results: ["i64"] },
      { module: "extism:host/user", name: "shimmy_now", params: ["i64"], results: ["i64"] },
    ]);
  });

  it("leaves out imports of other kinds, and refuses a function import of a type that does not exist", () => {
    expect(readImportSignatures(importsMemory(1, 8))).toEqual([{ module: "env", name: "f", params: [], results: [] }]);
    const dangling = new Uint8Array([...HEADER, ...section(1, [1, 0x60, 0, 0]), ...section(2, [1, ...str("env"), ...str("f"), 0x00, 5])]);
    expect(codeOf(() => readImportSignatures(dangling))).toBe("invalid_module");
  });
});
