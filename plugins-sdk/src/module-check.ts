/**
 * The check of a plugin's `plugin.wasm` against its manifest, before any instance exists: a memory
 * with a maximum within the manifest's cap, a valid module that imports nothing but Extism's kernel and the Shimmy host functions (no WASI, no
 * `env`), every import that reaches the world covered by a permission the manifest declares, and
 * every capability's export present (ARCHITECTURE.md, "Plugin ABI"). The registry runs it at
 * publish and the core at load, so a module one accepts the other accepts too.
 */
import type { PluginManifest } from "./manifest.js";
import { ModuleCheckError } from "./module-check-error.js";
import { checkMemoryLimit } from "./wasm-sections.js";

export { ModuleCheckError, type ModuleCheckCode } from "./module-check-error.js";

/** Extism's kernel namespace: input, output, vars, config, log, error (and its own HTTP). */
export const EXTISM_ENV = "extism:host/env";
/** Where plugins import Shimmy's host functions from. */
export const EXTISM_USER = "extism:host/user";

/** The Shimmy ABI: each host function a plugin may import and the permission it needs. */
export const SHIMMY_FUNCTIONS = {
  shimmy_http: "net",
  shimmy_fs_read: "fs",
  shimmy_fs_list: "fs",
  shimmy_fs_write: "fs",
  shimmy_now: null,
  shimmy_chat: "models",
} as const satisfies Record<string, "net" | "fs" | "models" | null>;

/** One of the Shimmy host function names. */
export type ShimmyFunctionName = keyof typeof SHIMMY_FUNCTIONS;

/**
 * A compiled `WebAssembly.Module`, opaque here (the project's lib has no WebAssembly typings);
 * the core hands it to Extism as `{ wasm: [{ module }] }`.
 */
export type CompiledModule = object;


interface Descriptor {
  module?: string;
  name: string;
  kind: string;
}

// The project's lib has no WebAssembly value typings; V8's API is there at run time.
const wasmApi = (
  globalThis as unknown as {
    WebAssembly: {
      compile(bytes: Uint8Array): Promise<CompiledModule>;
      Module: { imports(module: CompiledModule): Required<Descriptor>[]; exports(module: CompiledModule): Descriptor[] };
    };
  }
).WebAssembly;

// Extism's own kernel imports that reach the network.
const ENV_NEEDS_NET = new Set(["http_request", "http_status_code"]);

/** Whether the manifest grants what a host function needs. */
function granted(manifest: PluginManifest, needs: "net" | "fs" | "models"): boolean {
  if (needs === "net") return (manifest.permissions?.net?.length ?? 0) > 0;
  if (needs === "models") return (manifest.permissions?.models?.length ?? 0) > 0;
  const fs = manifest.permissions?.fs;
  return (fs?.read?.length ?? 0) + (fs?.write?.length ?? 0) > 0;
}

const denied = (what: string, needs: "net" | "fs" | "models") =>
  new ModuleCheckError("permission_denied", `plugin.wasm imports ${what}, which needs permissions.${needs}, and the manifest declares none`);

/**
 * Checks `wasm` against `manifest` and compiles it once; returns the compiled module (what every
 * instance is made from). First, on the raw bytes, its memory must declare a maximum within the
 * manifest's `memoryMaxPages`: a module with an unbounded memory is never compiled at all.
 *
 * @throws {ModuleCheckError} `memory_limit`, `invalid_module` or `permission_denied`, naming the
 *   first problem.
 * @example
 * const module = await checkModule(files.get("plugin.wasm")!, manifest);
 */
export async function checkModule(wasm: Uint8Array, manifest: PluginManifest): Promise<CompiledModule> {
  checkMemoryLimit(wasm, manifest.limits.memoryMaxPages);
  let module: CompiledModule;
  try {
    module = await wasmApi.compile(wasm);
  } catch (error) {
    throw new ModuleCheckError("invalid_module", `plugin.wasm is not a valid WebAssembly module: ${(error as Error).message}`, { cause: error });
  }
  for (const imp of wasmApi.Module.imports(module)) {
    const what = `"${imp.module}" "${imp.name}"`;
    if (imp.module.startsWith("wasi")) {
      throw new ModuleCheckError("invalid_module", `plugin.wasm imports WASI (${what}); Shimmy runs plugins with WASI off, use the shimmy_fs_* host functions`);
    }
    if (imp.module === EXTISM_ENV) {
      if (ENV_NEEDS_NET.has(imp.name) && !granted(manifest, "net")) throw denied(what, "net");
      continue; // a kernel function the host lacks fails instantiation with the engine's own message
    }
    // hasOwn: a name such as "constructor" must not find Object.prototype's.
    if (imp.module === EXTISM_USER && Object.hasOwn(SHIMMY_FUNCTIONS, imp.name)) {
      if (imp.kind !== "function") throw new ModuleCheckError("invalid_module", `plugin.wasm imports ${what} as a ${imp.kind}, not a function`);
      const needs = SHIMMY_FUNCTIONS[imp.name as ShimmyFunctionName];
      if (needs !== null && !granted(manifest, needs)) throw denied(imp.name, needs);
      continue;
    }
    throw new ModuleCheckError(
      "invalid_module",
      `plugin.wasm imports ${what}; a plugin may import only ${EXTISM_ENV} and the Shimmy functions in ${EXTISM_USER} (${Object.keys(SHIMMY_FUNCTIONS).join(", ")})`,
    );
  }
  const exported = new Set(wasmApi.Module.exports(module).filter((e) => e.kind === "function").map((e) => e.name));
  for (const capability of manifest.capabilities) {
    if (!exported.has(capability.export)) {
      throw new ModuleCheckError("invalid_module", `the manifest's ${capability.kind} "${capability.name}" calls the export "${capability.export}", which plugin.wasm does not have`);
    }
  }
  return module;
}
