/**
 * The load-time checks on a plugin's wasm module, before any instance exists: the SDK's module
 * check, the one the registry runs at publish: a memory with a maximum within the manifest's cap,
 * only Extism's kernel and the Shimmy host functions imported, each import that reaches the world
 * covered by a declared permission, every tool's export present.
 */
import { checkModule as checkWithSdk, ModuleCheckError, type CompiledModule, type PluginManifest } from "@shimmy/plugin-sdk";
import { PluginCallError } from "./plugin-call-error.js";

export { EXTISM_ENV, EXTISM_USER, SHIMMY_FUNCTIONS, type CompiledModule, type ShimmyFunctionName } from "@shimmy/plugin-sdk";

/**
 * Checks `wasm` against `manifest` and compiles it once; the module is what every pooled instance
 * is made from, so it is compiled and checked exactly once per load.
 *
 * @throws {PluginCallError} `memory_limit`, `invalid_module` or `permission_denied`.
 */
export async function checkModule(wasm: Uint8Array, manifest: PluginManifest): Promise<CompiledModule> {
  try {
    return await checkWithSdk(wasm, manifest);
  } catch (error) {
    if (error instanceof ModuleCheckError) throw new PluginCallError(error.code, error.message, { cause: error });
    throw error;
  }
}
