/**
 * Hand-assembled wasm binaries for tests of the module checks: the encoding helpers, and whole
 * modules that a test needs exactly (a memory of given limits, a start function that never
 * returns) without an AssemblyScript build.
 */

/** The magic number and version every wasm binary starts with. */
export const HEADER = [0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00];

/** `n` as unsigned LEB128. */
export function uleb(n: number): number[] {
  const out: number[] = [];
  do {
    let b = n % 128;
    n = Math.floor(n / 128);
    if (n > 0) b |= 0x80;
    out.push(b);
  } while (n > 0);
  return out;
}

/** A section: its id, then its body's length and bytes. */
export const section = (id: number, body: number[]) => [id, ...uleb(body.length), ...body];
/** A name: its UTF-8 length, then its bytes. */
export const str = (s: string) => [...uleb(Buffer.byteLength(s)), ...Buffer.from(s)];
/** Memory limits, with or without a maximum. */
export const limits = (min: number, max: number | null, shared = false) =>
  max === null ? [shared ? 0x02 : 0x00, ...uleb(min)] : [shared ? 0x03 : 0x01, ...uleb(min), ...uleb(max)];

/** Whether V8 accepts `bytes` as a module (the project's lib has no WebAssembly typings). */
export const validWasm = (bytes: Uint8Array): boolean =>
  (globalThis as unknown as { WebAssembly: { validate(b: Uint8Array): boolean } }).WebAssembly.validate(bytes);

/** Options of {@link spinningModule}. */
export interface SpinningModuleOptions {
  /** Where it never returns: the wasm start function, `hs_init`, or nowhere (a module that starts). */
  spin: "start" | "hs_init" | "none";
  /** Exported functions `() -> i32` that return 0, for the manifest's capabilities. */
  exports: string[];
  /** Imported `(i64) -> i64` functions, called once by the start code with 0 (the stubs are typed). */
  imports?: { module: string; name: string }[];
}

/**
 * A module with a one-page memory (max 1) whose start function (or `hs_init`) loops forever, or
 * returns; it calls each import once first, so a stub of the wrong type would trap.
 */
export function spinningModule(options: SpinningModuleOptions): Uint8Array {
  const imports = options.imports ?? [];
  // Types: 0 () -> (), 1 () -> i32, 2 (i64) -> i64.
  const types = section(1, [3, 0x60, 0, 0, 0x60, 0, 1, 0x7f, 0x60, 1, 0x7e, 1, 0x7e]);
  const importSection = imports.length ? section(2, [imports.length, ...imports.flatMap((imp) => [...str(imp.module), ...str(imp.name), 0x00, 2])]) : [];
  const first = imports.length; // defined functions are numbered after the imported ones
  // Defined: [first] init () -> (), then one () -> i32 per export.
  const functions = section(3, [1 + options.exports.length, 0, ...options.exports.map(() => 1)]);
  const memory = section(5, [1, ...limits(1, 1)]);
  const exportEntries = [
    ...str("memory"), 0x02, 0,
    ...options.exports.flatMap((name, i) => [...str(name), 0x00, ...uleb(first + 1 + i)]),
    ...(options.spin === "hs_init" ? [...str("hs_init"), 0x00, ...uleb(first)] : []),
  ];
  const exportCount = 1 + options.exports.length + (options.spin === "hs_init" ? 1 : 0);
  const exportSection = section(7, [exportCount, ...exportEntries]);
  const start = options.spin === "start" ? section(8, uleb(first)) : [];
  // init: call each import with i64 0 and drop the result, then loop forever (br 0 inside a loop), or end.
  const calls = imports.flatMap((_, i) => [0x42, 0x00, 0x10, ...uleb(i), 0x1a]);
  const spinBody = options.spin === "none" ? [] : [0x03, 0x40, 0x0c, 0x00, 0x0b];
  const initBody = [0x00, ...calls, ...spinBody, 0x0b];
  const exportBody = [0x00, 0x41, 0x00, 0x0b]; // i32.const 0
  const bodies = [initBody, ...options.exports.map(() => exportBody)];
  const code = section(10, [bodies.length, ...bodies.flatMap((body) => [...uleb(body.length), ...body])]);
  return new Uint8Array([...HEADER, ...types, ...importSection, ...functions, ...memory, ...exportSection, ...start, ...code]);
}
