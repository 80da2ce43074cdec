/** A first-party plugin as the test run built it: its validated manifest and `plugin.wasm`. */
import { readFile } from "node:fs/promises";
import path from "node:path";
import { validateManifest, type PluginManifest } from "@shimmy/plugin-sdk";
import { inject } from "vitest";
import { packedPlugin } from "../../scripts/first-party-plugins.js";

/** Reads `plugins/NAME` as built by the global setup (limits filled in by the validator). */
export async function readBuiltPlugin(name: string): Promise<{ dir: string; manifest: PluginManifest; wasm: Uint8Array }> {
  const { dir } = packedPlugin(inject("firstPartyPlugins"), name);
  const validation = validateManifest(JSON.parse(await readFile(path.join(dir, "shimmy-plugin.json"), "utf8")));
  if (!validation.ok) throw new Error(`plugins/${name}/shimmy-plugin.json is invalid: ${JSON.stringify(validation.errors)}`);
  return { dir, manifest: validation.manifest, wasm: new Uint8Array(await readFile(path.join(dir, "plugin.wasm"))) };
}
