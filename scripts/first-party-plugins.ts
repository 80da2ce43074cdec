/**
 * Builds and packs every first-party plugin (`plugins/NAME/shimmy-plugin.json`) from source: for
 * `npm run plugins:pack` (each `.tgz` beside its sources) and once per test run (into a temporary
 * folder). A plugin that fails to build is reported per plugin, so a test of another plugin still
 * runs; the test that needs it fails with the compiler's message.
 */
import { readdir, stat } from "node:fs/promises";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { packPlugin } from "@shimmy/plugin-sdk/pack";

/** One packed first-party plugin, or why it could not be built. */
export type PackedPlugin =
  | { ok: true; dir: string; tgz: string; integrity: string; wasmSha256: string; version: string }
  | { ok: false; dir: string; error: string };

/** The repository's `plugins/` folder. */
export const PLUGINS_DIR = fileURLToPath(new URL("../plugins/", import.meta.url));

/**
 * Packs each plugin under {@link PLUGINS_DIR}, one after another, into `outDir/NAME.tgz`, or into
 * its own folder as `NAME-VERSION.tgz` when no `outDir` is given.
 */
export async function packFirstPartyPlugins(outDir?: string): Promise<Record<string, PackedPlugin>> {
  const packed: Record<string, PackedPlugin> = {};
  for (const name of (await readdir(PLUGINS_DIR)).sort()) {
    const dir = path.join(PLUGINS_DIR, name);
    const hasManifest = await stat(path.join(dir, "shimmy-plugin.json")).then(
      (s) => s.isFile(),
      () => false,
    );
    if (!hasManifest) continue;
    try {
      const result = await packPlugin(dir, outDir ? { out: path.join(outDir, `${name}.tgz`) } : {});
      packed[name] = { ok: true, dir, tgz: result.file, integrity: result.integrity, wasmSha256: result.wasmSha256, version: result.manifest.version };
    } catch (error) {
      packed[name] = { ok: false, dir, error: (error as Error)?.message ?? String(error) };
    }
  }
  return packed;
}

/** The packed plugin `name`, or an error carrying its build failure. */
export function packedPlugin(all: Record<string, PackedPlugin>, name: string): Extract<PackedPlugin, { ok: true }> {
  const plugin = all[name];
  if (!plugin) throw new Error(`no first-party plugin "${name}" under ${PLUGINS_DIR}`);
  if (!plugin.ok) throw new Error(`plugins/${name} did not build: ${plugin.error}`);
  return plugin;
}
