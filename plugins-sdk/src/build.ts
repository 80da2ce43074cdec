/**
 * `buildPlugin`: compiles a plugin folder (`shimmy-plugin.json` + `assembly/index.ts`) to
 * `plugin.wasm` with the AssemblyScript compiler, with the flags every Shimmy plugin needs.
 *
 * Authors import the SDK as `@shimmy/plugin-sdk/assembly`. Whatever copy of it (and of
 * `@extism/as-pdk`) a `node_modules` near the plugin holds, the build serves the files of the SDK
 * that runs the build, so a plugin always compiles against the library matching its builder, and a
 * plugin folder needs no `node_modules` of its own.
 */
import { createHash } from "node:crypto";
import { promises as fs } from "node:fs";
import { createRequire } from "node:module";
import path from "node:path";
import { fileURLToPath } from "node:url";
import asc from "assemblyscript/asc";
import { validateManifest, type PluginManifest } from "./manifest.js";

/** This package's root (the same from src/ and dist/). */
const SDK_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const AS_PDK_ROOT = path.dirname(createRequire(path.join(SDK_ROOT, "package.json")).resolve("@extism/as-pdk/package.json"));

/** The abort handler in the SDK's AssemblyScript library (`assembly/index.ts`), as asc names it. */
export const ABORT_HANDLER = "~lib/@shimmy/plugin-sdk/assembly/index/shimmyAbort";

/** The wasm file a build writes, in the plugin folder. */
export const WASM_FILE = "plugin.wasm";

export interface BuildResult {
  /** Absolute path of the written `plugin.wasm`. */
  wasmPath: string;
  /** Hex sha256 of its bytes (what the lock file records). */
  sha256: string;
  /** The validated manifest, limits filled in. */
  manifest: PluginManifest;
}

/** A failed build: a bad manifest, a compile error (with the compiler's messages), a bad module. */
export class PluginBuildError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "PluginBuildError";
  }
}

/** The compiler arguments for a plugin with this manifest (paths relative to the plugin folder). */
export function ascArguments(manifest: PluginManifest): string[] {
  return [
    "assembly/index.ts",
    "--outFile", WASM_FILE,
    // -O3: speed over size; the output has no debug info, names or source map, so it is the same
    // bytes on every machine.
    "--optimize",
    // The incremental GC collects during a call (the stack is scanned), so a call that allocates a
    // lot cannot run out of memory just because garbage was never freed; stub never frees and
    // minimal collects only when asked, with no stack scan (unsafe mid-call).
    "--runtime", "incremental",
    // The host refuses a module whose memory maximum is missing or above the manifest's cap.
    // The initial size is left to asc: the fewest pages that hold the static data.
    "--maximumMemory", String(manifest.limits.memoryMaxPages),
    // An assert, out-of-bounds access or out-of-memory becomes the call's error, then a trap.
    "--use", `abort=${ABORT_HANDLER}`,
    "--noColors",
  ];
}

const PACKAGE_FILE = /[\\/]node_modules[\\/](@shimmy[\\/]plugin-sdk|@extism[\\/]as-pdk)[\\/](.+)$/;

/**
 * Appended to the entry file, so the SDK (and the abort handler `--use` names) is always compiled,
 * even in a plugin that does not import it; an import that is already there costs nothing.
 */
const ENTRY_SUFFIX = '\nimport "@shimmy/plugin-sdk/assembly";\n';

/**
 * Reads a source file for asc, serving the SDK's own copies of the SDK and as-pdk, and appending
 * {@link ENTRY_SUFFIX} to the entry file.
 */
async function readSource(filename: string, baseDir: string): Promise<string | null> {
  let full = path.resolve(baseDir, filename);
  if (full === path.join(baseDir, "assembly", "index.ts")) {
    const text = await fs.readFile(full, "utf8").catch(() => null);
    return text === null ? null : text + ENTRY_SUFFIX;
  }
  const m = PACKAGE_FILE.exec(full);
  if (m) {
    const root = m[1]!.startsWith("@shimmy") ? SDK_ROOT : AS_PDK_ROOT;
    const inner = path.resolve(root, m[2]!);
    if (!inner.startsWith(root + path.sep)) return null;
    full = inner;
  }
  try {
    return await fs.readFile(full, "utf8");
  } catch {
    return null;
  }
}

/** The declared limits of a module's memory (defined or imported), in 64 KiB pages. */
export interface WasmMemoryLimits {
  initial: number;
  maximum: number | undefined;
}

/**
 * Reads the memory limits from a module's memory section (or its imported memory); undefined when
 * the module has no memory.
 */
export function wasmMemoryLimits(bytes: Uint8Array): WasmMemoryLimits | undefined {
  let pos = 8;
  const u32 = (): number => {
    let result = 0;
    let shift = 0;
    for (;;) {
      if (pos >= bytes.length) throw new Error("truncated wasm module");
      const b = bytes[pos++]!;
      result += (b & 0x7f) * 2 ** shift;
      shift += 7;
      if ((b & 0x80) === 0) return result;
    }
  };
  const limits = (): WasmMemoryLimits => {
    const flags = u32();
    const initial = u32();
    const maximum = flags & 1 ? u32() : undefined;
    return { initial, maximum };
  };
  const name = (): string => {
    const n = u32();
    const s = Buffer.from(bytes.subarray(pos, pos + n)).toString("utf8");
    pos += n;
    return s;
  };
  if (bytes.length < 8 || bytes[0] !== 0 || bytes[1] !== 0x61 || bytes[2] !== 0x73 || bytes[3] !== 0x6d) {
    throw new Error("not a wasm module");
  }
  while (pos < bytes.length) {
    const id = bytes[pos++]!;
    const size = u32();
    const end = pos + size;
    if (id === 5) {
      if (u32() > 0) return limits();
    } else if (id === 2) {
      const count = u32();
      for (let i = 0; i < count; i++) {
        name();
        name();
        const kind = bytes[pos++]!;
        if (kind === 0) u32(); // function: type index
        else if (kind === 1) { pos++; limits(); } // table: reftype + limits
        else if (kind === 2) return limits(); // memory
        else if (kind === 3) pos += 2; // global: valtype + mutability
        else if (kind === 4) { pos++; u32(); } // tag
        else throw new Error(`unknown import kind ${kind}`);
      }
    }
    pos = end;
  }
  return undefined;
}

/** One import or export of a wasm module, as `WebAssembly.Module.imports/exports` list them. */
export interface WasmExternDescriptor {
  module?: string;
  name: string;
  kind: "function" | "table" | "memory" | "global" | "tag";
}

interface WasmModuleApi {
  Module: {
    new (bytes: Uint8Array): object;
    imports(module: object): Required<WasmExternDescriptor>[];
    exports(module: object): WasmExternDescriptor[];
  };
}

// The root tsconfig's libs (ES2023, Node's types) do not declare the WebAssembly global.
const WASM = (globalThis as unknown as { WebAssembly: WasmModuleApi }).WebAssembly;

/** A module's imports (`module`, `name`, `kind`), by compiling it (nothing runs). */
export function wasmImports(bytes: Uint8Array): Required<WasmExternDescriptor>[] {
  return WASM.Module.imports(new WASM.Module(bytes));
}

/** A module's exports (`name`, `kind`), by compiling it (nothing runs). */
export function wasmExports(bytes: Uint8Array): WasmExternDescriptor[] {
  return WASM.Module.exports(new WASM.Module(bytes));
}

/** Reads and validates `DIR/shimmy-plugin.json`. */
export async function readManifest(dir: string): Promise<PluginManifest> {
  const file = path.join(dir, "shimmy-plugin.json");
  let text: string;
  try {
    text = await fs.readFile(file, "utf8");
  } catch {
    throw new PluginBuildError(`${file} not found: a plugin folder needs a shimmy-plugin.json`);
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    throw new PluginBuildError(`${file} is not valid JSON: ${(error as Error).message}`);
  }
  const result = validateManifest(json);
  if (!result.ok) {
    const lines = result.errors.map((e) => `  ${e.path || "(root)"}: ${e.message}`);
    throw new PluginBuildError(`${file} is not a valid manifest:\n${lines.join("\n")}`);
  }
  return result.manifest;
}

/**
 * Builds the plugin in `dir`: validates `shimmy-plugin.json`, compiles `assembly/index.ts` to
 * `plugin.wasm`, checks the module (memory maximum, one exported function per capability) and
 * returns its path and sha256. The same sources give the same bytes.
 */
export async function buildPlugin(dir: string): Promise<BuildResult> {
  const root = path.resolve(dir);
  const manifest = await readManifest(root);
  try {
    await fs.access(path.join(root, "assembly", "index.ts"));
  } catch {
    throw new PluginBuildError(`${path.join(root, "assembly", "index.ts")} not found: it is the plugin's entry file`);
  }

  let wasm: Uint8Array | undefined;
  const messages: string[] = [];
  const stream = {
    write(chunk: string | Uint8Array): void {
      messages.push(typeof chunk === "string" ? chunk : Buffer.from(chunk).toString("utf8"));
    },
  };
  const { error } = await asc.main([...ascArguments(manifest), "--baseDir", root], {
    stdout: stream,
    stderr: stream,
    readFile: readSource,
    writeFile: (name: string, contents: Uint8Array | string) => {
      if (name === WASM_FILE && typeof contents !== "string") wasm = contents;
    },
    listFiles: () => [],
  });
  if (error || wasm === undefined) {
    const detail = messages.join("").trim();
    throw new PluginBuildError(`compiling ${path.join(root, "assembly", "index.ts")} failed${error ? `: ${error.message}` : ""}${detail ? `\n${detail}` : ""}`);
  }

  const memory = wasmMemoryLimits(wasm);
  if (memory?.maximum !== manifest.limits.memoryMaxPages) {
    throw new PluginBuildError(`the module's memory maximum is ${memory?.maximum ?? "missing"}, expected ${manifest.limits.memoryMaxPages} pages`);
  }
  const exported = new Set(
    wasmExports(wasm)
      .filter((e) => e.kind === "function")
      .map((e) => e.name),
  );
  const missing = manifest.capabilities.filter((c) => !exported.has(c.export));
  if (missing.length > 0) {
    throw new PluginBuildError(
      missing.map((c) => `capability "${c.name}" calls export "${c.export}", which assembly/index.ts does not export`).join("\n"),
    );
  }

  const wasmPath = path.join(root, WASM_FILE);
  const temp = `${wasmPath}.${process.pid}.tmp`;
  await fs.writeFile(temp, wasm);
  await fs.rename(temp, wasmPath);
  const sha256 = createHash("sha256").update(wasm).digest("hex");
  return { wasmPath, sha256, manifest };
}
