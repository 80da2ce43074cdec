/**
 * Reads a wasm module's declared memory limits before it is instantiated. The Extism Node SDK has
 * no memory cap (notes-extism.md), so the host refuses a module whose memory has no declared
 * maximum or one above the manifest's `memoryMaxPages`: the engine then enforces that maximum.
 *
 * The parser is bounds-checked everywhere: malformed or truncated input only ever throws a
 * {@link PluginCallError} with code `invalid_module`, and never reads past the buffer.
 */
import { PluginCallError } from "./plugin-call-error.js";

/** A module's memory: limits in 64 KiB pages, and whether it is imported rather than defined. */
export interface MemoryLimits {
  min: number;
  max: number | null;
  imported: boolean;
}

/** The largest page count a 32-bit memory can have (4 GiB). */
const MAX_PAGES_32 = 65536;

function invalid(message: string): PluginCallError {
  return new PluginCallError("invalid_module", `invalid wasm module: ${message}`);
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

  /** Skips a `vec(byte)` (a name). */
  name(): void {
    this.skip(this.uleb());
  }

  atEnd(): boolean {
    return this.pos >= this.end;
  }
}

/** Reads a memory type's limits; 64-bit memories are refused as unsupported. */
function memoryLimits(r: Reader, imported: boolean): MemoryLimits {
  const flags = r.byte();
  if (flags >= 0x04) {
    throw new PluginCallError("memory_limit", `unsupported memory type (flags 0x${flags.toString(16)}: memory64 or custom page sizes); only 32-bit memories are accepted`);
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

/**
 * The memory limits a wasm binary declares, in its memory section (id 5) or as a memory import
 * (import section id 2, kind 0x02); null when it has no memory.
 *
 * @throws {PluginCallError} `invalid_module` when malformed, `memory_limit` for memory64 or
 *   more than one memory.
 */
export function readMemoryLimits(wasm: Uint8Array): MemoryLimits | null {
  const header = [0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00];
  if (wasm.length < 8 || header.some((b, i) => wasm[i] !== b)) throw invalid("not a wasm binary (bad magic or version)");
  const memories: MemoryLimits[] = [];
  const r = new Reader(wasm, 8, wasm.length);
  while (!r.atEnd()) {
    const id = r.byte();
    const size = r.uleb();
    const start = r.pos;
    r.skip(size); // checks the section lies inside the buffer before it is parsed
    if (id !== 2 && id !== 5) continue;
    const s = new Reader(wasm, start, start + size);
    const count = s.uleb();
    for (let i = 0; i < count; i++) {
      if (id === 5) {
        memories.push(memoryLimits(s, false));
        continue;
      }
      s.name(); // module
      s.name(); // field
      const kind = s.byte();
      if (kind === 0x00) s.uleb(); // function: type index
      else if (kind === 0x01) skipTableType(s);
      else if (kind === 0x02) memories.push(memoryLimits(s, true));
      else if (kind === 0x03) s.skip(2); // global: value type, mutability (numeric types are one byte)
      else if (kind === 0x04) { s.byte(); s.uleb(); } // tag: attribute, type index
      else throw invalid(`unknown import kind 0x${kind.toString(16)}`);
    }
    if (!s.atEnd()) throw invalid(`section ${id} has trailing bytes`);
  }
  if (memories.length > 1) throw new PluginCallError("memory_limit", `the module has ${memories.length} memories; only one is supported`);
  return memories[0] ?? null;
}

/**
 * Refuses a module before instantiation unless its memory declares a maximum within
 * `memoryMaxPages` (64 KiB pages). A module with no memory is refused too: Extism plugins
 * exchange data through memory, and "no memory" from a parser usually means a broken file.
 *
 * @throws {PluginCallError} `memory_limit` (or `invalid_module` from {@link readMemoryLimits}).
 */
export function checkMemoryLimit(wasm: Uint8Array, memoryMaxPages: number): void {
  const limits = readMemoryLimits(wasm);
  if (!limits) throw new PluginCallError("memory_limit", "the module declares no memory");
  const what = limits.imported ? "imported memory" : "memory";
  if (limits.max === null) {
    throw new PluginCallError(
      "memory_limit",
      `the module's ${what} declares no maximum; rebuild it with one of at most ${memoryMaxPages} pages (AssemblyScript: --maximumMemory)`,
    );
  }
  if (limits.max > memoryMaxPages || limits.max > MAX_PAGES_32) {
    throw new PluginCallError(
      "memory_limit",
      `the module's ${what} maximum is ${limits.max} pages (${limits.max * 64} KiB), above the cap of ${memoryMaxPages} pages`,
    );
  }
  if (limits.min > limits.max) throw invalid(`memory minimum ${limits.min} is above its maximum ${limits.max}`);
}
