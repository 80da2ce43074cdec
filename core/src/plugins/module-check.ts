/**
 * The load-time checks on a plugin's wasm module, before any instance exists: its memory declares a
 * maximum within the manifest's cap, it imports nothing but Extism's kernel and the Shimmy host
 * functions (no WASI, no `env`), every import that reaches the world is covered by a permission the
 * manifest declares, and every tool's export exists.
 */
import type { PluginManifest } from "@shimmy/plugin-sdk";
import { checkMemoryLimit } from "./wasm-memory.js";
import { PluginCallError } from "./plugin-call-error.js";

/** Extism's kernel namespace: input, output, vars, config, log, error (and its own HTTP). */
export const EXTISM_ENV = "extism:host/env";
/** Where plugins import Shimmy's host functions from. */
export const EXTISM_USER = "extism:host/user";

/** The Shimmy ABI (ARCHITECTURE.md, "Plugin ABI"): each import and the permission it needs. */
export const SHIMMY_FUNCTIONS = {
  shimmy_http: "net",
  shimmy_fs_read: "fs",
  shimmy_fs_list: "fs",
  shimmy_fs_write: "fs",
  shimmy_now: null,
} as const satisfies Record<string, "net" | "fs" | null>;

/** One of the Shimmy host function names. */
export type ShimmyFunctionName = keyof typeof SHIMMY_FUNCTIONS;

/**
 * A compiled `WebAssembly.Module`, opaque here (the project's lib has no WebAssembly typings);
 * handed to Extism as `{ wasm: [{ module }] }`.
 */
export type CompiledModule = object;

interface Descriptor {
  module?: string;
  name: string;
  kind: string;
}

// The project's lib has no DOM/WebAssembly value typings; V8's API is there at run time.
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

function hasNet(manifest: PluginManifest): boolean {
  return (manifest.permissions?.net?.length ?? 0) > 0;
}

function hasFs(manifest: PluginManifest): boolean {
  const fs = manifest.permissions?.fs;
  return (fs?.read?.length ?? 0) + (fs?.write?.length ?? 0) > 0;
}

/**
 * Checks `wasm` against `manifest` and compiles it once; the module is what every pooled instance
 * is made from, so it is compiled and checked exactly once per load.
 *
 * @throws {PluginCallError} `memory_limit`, `invalid_module` or `permission_denied`.
 */
export async function checkModule(wasm: Uint8Array, manifest: PluginManifest): Promise<CompiledModule> {
  // First, on the raw bytes: a module with an unbounded memory is never compiled at all.
  checkMemoryLimit(wasm, manifest.limits.memoryMaxPages);
  let module: CompiledModule;
  try {
    module = await wasmApi.compile(wasm);
  } catch (error) {
    throw new PluginCallError("invalid_module", `invalid wasm module: ${(error as Error).message}`, { cause: error });
  }
  for (const imp of wasmApi.Module.imports(module)) {
    const what = `"${imp.module}" "${imp.name}"`;
    if (imp.module === "wasi_snapshot_preview1" || imp.module.startsWith("wasi")) {
      throw new PluginCallError("invalid_module", `the module imports WASI (${what}); Shimmy runs plugins with WASI off, use the shimmy_fs_* host functions`);
    }
    if (imp.module === EXTISM_ENV) {
      if (ENV_NEEDS_NET.has(imp.name) && !hasNet(manifest)) {
        throw new PluginCallError("permission_denied", `the module imports ${what} but the manifest declares no permissions.net`);
      }
      continue; // a kernel function the SDK lacks fails instantiation with the engine's own message
    }
    if (imp.module === EXTISM_USER && Object.hasOwn(SHIMMY_FUNCTIONS, imp.name)) {
      if (imp.kind !== "function") throw new PluginCallError("invalid_module", `the module imports ${what} as a ${imp.kind}, not a function`);
      const needs = SHIMMY_FUNCTIONS[imp.name as ShimmyFunctionName];
      if (needs === "net" && !hasNet(manifest)) {
        throw new PluginCallError("permission_denied", `the module imports ${imp.name} but the manifest declares no permissions.net`);
      }
      if (needs === "fs" && !hasFs(manifest)) {
        throw new PluginCallError("permission_denied", `the module imports ${imp.name} but the manifest declares no permissions.fs`);
      }
      continue;
    }
    throw new PluginCallError(
      "invalid_module",
      `the module imports ${what}; a plugin may import only ${EXTISM_ENV} and the Shimmy functions in ${EXTISM_USER} (${Object.keys(SHIMMY_FUNCTIONS).join(", ")})`,
    );
  }
  const exported = new Set(wasmApi.Module.exports(module).filter((e) => e.kind === "function").map((e) => e.name));
  for (const cap of manifest.capabilities) {
    if (!exported.has(cap.export)) {
      throw new PluginCallError("invalid_module", `the manifest's ${cap.kind} "${cap.name}" calls the export "${cap.export}", which the module does not have`);
    }
  }
  return module;
}
