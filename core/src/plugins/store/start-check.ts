/**
 * The install-time start check: a plugin's module is instantiated once (its start function, then
 * `hs_init`) under the start deadline, with nothing granted since the user has not approved it yet,
 * and closed. A module that does not come up (it traps, or spins past the deadline) is refused
 * before it reaches the store, so no server ever waits on it.
 */
import type { PluginManifest } from "@shimmy/plugin-sdk";
import { PluginHost } from "../host.js";
import { PluginCallError } from "../plugin-call-error.js";
import { StoreError } from "./store-error.js";

/** Options of {@link checkPluginStarts}. */
export interface StartCheckOptions {
  /** What `~` in the plugin's paths stands for. */
  home: string;
  /** The start deadline. @default PLUGIN_START_TIMEOUT_MS (5 s) */
  startTimeoutMs?: number;
}

const QUIET = { info() {}, warn() {}, debug() {} };

/**
 * Instantiates `wasm` once with the plugin's settings and no grants, then disposes it.
 *
 * @throws {StoreError} `invalid_package` naming why the module did not come up.
 */
export async function checkPluginStarts(wasm: Uint8Array, manifest: PluginManifest, config: Record<string, unknown>, options: StartCheckOptions): Promise<void> {
  let host: PluginHost;
  try {
    host = await PluginHost.load({
      manifest,
      wasm,
      config,
      home: options.home,
      serverAddresses: [],
      logger: QUIET,
      poolSize: 1,
      grants: "none",
      ...(options.startTimeoutMs === undefined ? {} : { startTimeoutMs: options.startTimeoutMs }),
    });
  } catch (error) {
    if (error instanceof PluginCallError) throw new StoreError("invalid_package", `package/plugin.wasm is refused: ${error.message}`, { cause: error });
    throw error;
  }
  await host.dispose();
}
