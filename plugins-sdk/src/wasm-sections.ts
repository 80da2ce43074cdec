/**
 * Reads what a wasm binary declares before it is compiled or instantiated: its memory limits and
 * the signatures of the functions it imports. The Extism Node SDK has no memory cap
 * (notes-extism.md), so the host and the registry refuse a module whose memory has no declared
 * maximum or one above the manifest's `memoryMaxPages`: the engine then enforces that maximum. The
 * import signatures let the registry's start check give each import a stub of the right type.
 *
 * The parser is bounds-checked everywhere: malformed or truncated input only ever throws a
 * {@link ModuleCheckError} with code `invalid_module`, and never reads past the buffer.
 */
import { ModuleCheckError } from "./module-check-error.js";

/** A module's memory: limits in 64 KiB pages, and whether it is imported rather than defined. */
export interface MemoryLimits {
  min: number;
  max: number | null;
  imported: boolean;
}

/** The largest page count a 32-bit memory can have (4 GiB). */
const MAX_PAGES_32 = 65536;

function invalid(message: string): ModuleCheckError {
  return new ModuleCheckError("invalid_module", `invalid wasm module: ${message}`);
}

/** A cursor over the bytes with checked reads. */
class Reader {
  constructor(private readonly bytes: Uint8Array, public pos: number, private readonly end: number) {}

  byte(): number {
    if (this.pos >= this.end) throw invalid(`unexpected end at byte ${this.pos}`);
    return this.bytes[this.pos++] as number;
  }

  /** Unsigned LEB128 of at most `bits` bits (32 for sizes and counts). */
  uleb(bits = 32): number {
    let result = 0;
    let scale = 1;
    const maxBytes = Math.ceil(bits / 7);
    for (let i = 0; i < maxBytes; i++) {
      const b = this.byte();
      result += (b & 0x7f) * scale; // arithmetic, not shifts: shifts wrap at 32 bits
      if ((b & 0x80) === 0) {
        if (result >= 2 ** bits) throw invalid(`integer too large at byte ${this.pos - 1}`);
        return result;
      }
      scale *= 128;
    }
    throw invalid(`integer too long at byte ${this.pos}`);
  }

  skip(n: number): void {
    if (n > this.end - this.pos) throw invalid(`length ${n} at byte ${this.pos} runs past the end`);
    this.pos += n;
  }

  /** Reads a `vec(byte)` name as UTF-8. */
  text(): string {
    const length = this.uleb();
    const start = this.pos;
    this.skip(length);
    return Buffer.from(this.bytes.subarray(start, start + length)).toString("utf8");
  }

  atEnd(): boolean {
    return this.pos >= this.end;
  }
}

/** Reads a memory type's limits; 64-bit memories are refused as unsupported. */
function memoryLimits(r: Reader, imported: boolean): MemoryLimits {
  const flags = r.byte();
  if (flags >= 0x04) {
    throw new ModuleCheckError("memory_limit", `unsupported memory type (flags 0x${flags.toString(16)}: memory64 or custom page sizes); only 32-bit memories are accepted`);
  }
  // 0x00 min only, 0x01 min and max, 0x02/0x03 the same for a shared memory.
  const min = r.uleb();
  const max = flags & 0x01 ? r.uleb() : null;
  return { min, max, imported };
}

/** Skips a table type: a reference type, then limits (possibly table64 with 64-bit bounds). */
function skipTableType(r: Reader): void {
  const refType = r.byte();
  if (refType === 0x64 || refType === 0x63) r.uleb(33); // GC proposal `ref [null] heaptype` (s33)
  else if (refType !== 0x70 && refType !== 0x6f) throw invalid(`unknown reference type 0x${refType.toString(16)}`);
  const flags = r.byte();
  const bits = flags & 0x04 ? 64 : 32;
  r.uleb(bits);
  if (flags & 0x01) r.uleb(bits);
}

/** A value type of a function signature, as the JS API converts it. */
export type WasmValueType = "i32" | "i64" | "f32" | "f64" | "v128" | "ref";

const VALUE_TYPES: Record<number, WasmValueType> = { 0x7f: "i32", 0x7e: "i64", 0x7d: "f32", 0x7c: "f64", 0x7b: "v128", 0x70: "ref", 0x6f: "ref" };

function valueType(r: Reader): WasmValueType {
  const code = r.byte();
  if (code === 0x64 || code === 0x63) {
    r.uleb(33); // GC proposal `ref [null] heaptype`
    return "ref";
  }
  const type = VALUE_TYPES[code];
  if (!type) throw invalid(`unknown value type 0x${code.toString(16)}`);
  return type;
}

/** One imported function and its signature. */
export interface ImportSignature {
  module: string;
  name: string;
  params: WasmValueType[];
  results: WasmValueType[];
}

/** One entry of the import section: a function's type index, a memory's limits, or another kind. */
type ImportEntry = { module: string; name: string } & ({ kind: "function"; typeIndex: number } | { kind: "memory"; limits: MemoryLimits } | { kind: "other" });

function importEntry(s: Reader): ImportEntry {
  const module = s.text();
  const name = s.text();
  const kind = s.byte();
  switch (kind) {
    case 0x00:
      return { module, name, kind: "function", typeIndex: s.uleb() };
    case 0x01:
      skipTableType(s);
      return { module, name, kind: "other" };
    case 0x02:
      return { module, name, kind: "memory", limits: memoryLimits(s, true) };
    case 0x03:
      valueType(s); // global: value type, then mutability
      s.byte();
      return { module, name, kind: "other" };
    case 0x04:
      s.byte(); // tag: attribute, type index
      s.uleb();
      return { module, name, kind: "other" };
    default:
      throw invalid(`unknown import kind 0x${kind.toString(16)}`);
  }
}

/** The wasm binary's sections after the header, each as a reader over its body; checks the header. */
function* sections(wasm: Uint8Array): Generator<{ id: number; body: Reader }> {
  const header = [0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00];
  if (wasm.length < 8 || header.some((b, i) => wasm[i] !== b)) {
    throw new ModuleCheckError("invalid_module", "plugin.wasm is not a valid WebAssembly module: its first bytes are not wasm's magic number and version 1");
  }
  const r = new Reader(wasm, 8, wasm.length);
  while (!r.atEnd()) {
    const id = r.byte();
    const size = r.uleb();
    const start = r.pos;
    r.skip(size); // checks the section lies inside the buffer before it is parsed
    yield { id, body: new Reader(wasm, start, start + size) };
  }
}

/**
 * The functions a wasm binary imports, with their signatures (type section id 1, import section
 * id 2), in import order; other kinds of import are left out.
 *
 * @throws {ModuleCheckError} `invalid_module` when malformed.
 */
export function readImportSignatures(wasm: Uint8Array): ImportSignature[] {
  const types: { params: WasmValueType[]; results: WasmValueType[] }[] = [];
  const imports: ImportSignature[] = [];
  for (const { id, body: s } of sections(wasm)) {
    if (id === 1) {
      const count = s.uleb();
      for (let i = 0; i < count; i++) {
        const form = s.byte();
        if (form !== 0x60) throw invalid(`type ${i} is not a function type (form 0x${form.toString(16)})`);
        const params = Array.from({ length: s.uleb() }, () => valueType(s));
        const results = Array.from({ length: s.uleb() }, () => valueType(s));
        types.push({ params, results });
      }
    } else if (id === 2) {
      const count = s.uleb();
      for (let i = 0; i < count; i++) {
        const entry = importEntry(s);
        if (entry.kind !== "function") continue;
        const type = types[entry.typeIndex];
        if (!type) throw invalid(`import "${entry.module}" "${entry.name}" names type ${entry.typeIndex}, which does not exist`);
        imports.push({ module: entry.module, name: entry.name, params: type.params, results: type.results });
      }
    } else continue;
    if (!s.atEnd()) throw invalid(`section ${id} has trailing bytes`);
  }
  return imports;
}

/**
 * The memory limits a wasm binary declares, in its memory section (id 5) or as a memory import
 * (import section id 2, kind 0x02); null when it has no memory.
 *
 * @throws {ModuleCheckError} `invalid_module` when malformed, `memory_limit` for memory64 or
 *   more than one memory.
 */
export function readMemoryLimits(wasm: Uint8Array): MemoryLimits | null {
  const memories: MemoryLimits[] = [];
  for (const { id, body: s } of sections(wasm)) {
    if (id !== 2 && id !== 5) continue;
    const count = s.uleb();
    for (let i = 0; i < count; i++) {
      if (id === 5) {
        memories.push(memoryLimits(s, false));
        continue;
      }
      const entry = importEntry(s);
      if (entry.kind === "memory") memories.push(entry.limits);
    }
    if (!s.atEnd()) throw invalid(`section ${id} has trailing bytes`);
  }
  if (memories.length > 1) throw new ModuleCheckError("memory_limit", `the module has ${memories.length} memories; only one is supported`);
  return memories[0] ?? null;
}

/**
 * Refuses a module before instantiation unless its memory declares a maximum within
 * `memoryMaxPages` (64 KiB pages). A module with no memory is refused too: Extism plugins
 * exchange data through memory, and "no memory" from a parser usually means a broken file.
 *
 * @throws {ModuleCheckError} `memory_limit` (or `invalid_module` from {@link readMemoryLimits}).
 */
export function checkMemoryLimit(wasm: Uint8Array, memoryMaxPages: number): void {
  const limits = readMemoryLimits(wasm);
  if (!limits) throw new ModuleCheckError("memory_limit", "the module declares no memory");
  const what = limits.imported ? "imported memory" : "memory";
  if (limits.max === null) {
    throw new ModuleCheckError(
      "memory_limit",
      `the module's ${what} declares no maximum; rebuild it with one of at most ${memoryMaxPages} pages (AssemblyScript: --maximumMemory)`,
    );
  }
  if (limits.max > memoryMaxPages || limits.max > MAX_PAGES_32) {
    throw new ModuleCheckError(
      "memory_limit",
      `the module's ${what} maximum is ${limits.max} pages (${limits.max * 64} KiB), above the cap of ${memoryMaxPages} pages`,
    );
  }
  if (limits.min > limits.max) throw invalid(`memory minimum ${limits.min} is above its maximum ${limits.max}`);
}
