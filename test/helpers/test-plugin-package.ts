/**
 * Packs one of the host's AssemblyScript test plugins (`core/test-plugins/`) as an installable
 * `.tgz`: compiled as host.test.ts compiles them (the same flags, and the same compile cache), with
 * the manifest a test gives.
 */
import { writeFile } from "node:fs/promises";
import path from "node:path";
import { compileTestPlugin } from "../../core/src/plugins/test-plugins.fixture.js";
import { rawTarball } from "./raw-tar.js";

/** Compiles `core/test-plugins/SOURCE.ts` and writes `DIR/NAME.tgz` holding it and `manifest`; its path. */
export async function packTestPlugin(source: string, manifest: { name: string; version: string }, dir: string): Promise<string> {
  const wasm = await compileTestPlugin(source, dir, manifest.name, 32);
  const tgz = path.join(dir, `${manifest.name}.tgz`);
  await writeFile(
    tgz,
    rawTarball([
      { name: "package/package.json", body: JSON.stringify({ name: manifest.name, version: manifest.version }) },
      { name: "package/shimmy-plugin.json", body: JSON.stringify(manifest) },
      { name: "package/plugin.wasm", body: wasm },
      { name: "package/README.md", body: `# ${manifest.name}\n\nA test plugin.\n` },
    ]),
  );
  return tgz;
}
