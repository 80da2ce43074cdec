/**
 * The publish-time check of a plugin's `plugin.wasm` against its manifest: a valid module, every
 * capability's export present, and imports limited to Extism's kernel and the Shimmy host
 * functions its permissions allow (ARCHITECTURE.md, "Plugin ABI"). The core repeats the same
 * rules at load (core/src/plugins/module-check.ts); the registry does not import the core, so this
 * is its own small copy of the pure part.
 */
import type { PluginManifest } from "@shimmy/plugin-sdk";
import { RegistryError } from "./errors.js";

const EXTISM_ENV = "extism:host/env";
const EXTISM_USER = "extism:host/user";

/** Each Shimmy host function and the permission it needs (null: none). */
export const SHIMMY_FUNCTIONS: Readonly<Record<string, "net" | "fs" | null>> = {
  shimmy_http: "net",
  shimmy_fs_read: "fs",
  shimmy_fs_list: "fs",
  shimmy_fs_write: "fs",
  shimmy_now: null,
};

/** Extism's own kernel imports that reach the network. */
const ENV_NEEDS_NET = new Set(["http_request", "http_status_code"]);

interface Descriptor {
  module: string;
  name: string;
  kind: string;
}

// The project's lib has no WebAssembly typings; V8's API is there at run time.
const wasm = (
  globalThis as unknown as {
    WebAssembly: {
      compile(bytes: Uint8Array): Promise<object>;
      Module: { imports(module: object): Descriptor[]; exports(module: object): Omit<Descriptor, "module">[] };
    };
  }
).WebAssembly;

const invalid = (message: string) => new RegistryError("invalid_module", message);

/** Whether the manifest grants the permission a host function needs. */
function granted(manifest: PluginManifest, needs: "net" | "fs"): boolean {
  if (needs === "net") return (manifest.permissions?.net?.length ?? 0) > 0;
  const fs = manifest.permissions?.fs;
  return (fs?.read?.length ?? 0) + (fs?.write?.length ?? 0) > 0;
}

/**
 * Compiles `bytes` and checks it against `manifest`.
 *
 * @throws {RegistryError} `invalid_module` naming the first problem.
 */
export async function checkWasm(bytes: Uint8Array, manifest: PluginManifest): Promise<void> {
  let module: object;
  try {
    module = await wasm.compile(bytes);
  } catch (error) {
    throw invalid(`plugin.wasm is not a valid WebAssembly module: ${(error as Error).message}`);
  }
  for (const imp of wasm.Module.imports(module)) {
    const what = `"${imp.module}" "${imp.name}"`;
    if (imp.module === EXTISM_ENV) {
      if (ENV_NEEDS_NET.has(imp.name) && !granted(manifest, "net")) {
        throw invalid(`plugin.wasm imports ${what}, which needs permissions.net, and the manifest declares none`);
      }
      continue;
    }
    // hasOwn: a name such as "constructor" must not find Object.prototype's.
    const known = imp.module === EXTISM_USER && imp.kind === "function" && Object.hasOwn(SHIMMY_FUNCTIONS, imp.name);
    const needs = known ? SHIMMY_FUNCTIONS[imp.name] : undefined;
    if (needs === undefined) {
      throw invalid(`plugin.wasm imports ${what}; a plugin may import only ${EXTISM_ENV} and the Shimmy functions in ${EXTISM_USER} (${Object.keys(SHIMMY_FUNCTIONS).join(", ")})`);
    }
    if (needs !== null && !granted(manifest, needs)) {
      throw invalid(`plugin.wasm imports ${imp.name}, which needs permissions.${needs}, and the manifest declares none`);
    }
  }
  const exported = new Set(wasm.Module.exports(module).filter((e) => e.kind === "function").map((e) => e.name));
  for (const capability of manifest.capabilities) {
    if (!exported.has(capability.export)) {
      throw invalid(`the manifest's ${capability.kind} "${capability.name}" calls the export "${capability.export}", which plugin.wasm does not have`);
    }
  }
}
