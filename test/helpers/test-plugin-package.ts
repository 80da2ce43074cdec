/**
 * Packs one of the host's AssemblyScript test plugins (`core/test-plugins/`) as an installable
 * `.tgz`: compiled with `asc` as host.test.ts compiles them, with the manifest a test gives.
 */
import { execFile } from "node:child_process";
import { readFile, writeFile } from "node:fs/promises";
import path from "node:path";
import { promisify } from "node:util";
import { rawTarball } from "./raw-tar.js";
import { ROOT } from "./shimmy-process.js";

const run = promisify(execFile);

/** Compiles `core/test-plugins/SOURCE.ts` and writes `DIR/NAME.tgz` holding it and `manifest`; its path. */
export async function packTestPlugin(source: string, manifest: { name: string; version: string }, dir: string): Promise<string> {
  const wasmFile = path.join(dir, `${manifest.name}.wasm`);
  const args = [path.join("core/test-plugins", `${source}.ts`), "--outFile", wasmFile, "--runtime", "stub", "-O2", "--use", "abort=core/test-plugins/common/pluginAbort", "--maximumMemory", "32"];
  await run(path.join(ROOT, "node_modules/.bin/asc"), args, { cwd: ROOT });
  const tgz = path.join(dir, `${manifest.name}.tgz`);
  await writeFile(
    tgz,
    rawTarball([
      { name: "package/package.json", body: JSON.stringify({ name: manifest.name, version: manifest.version }) },
      { name: "package/shimmy-plugin.json", body: JSON.stringify(manifest) },
      { name: "package/plugin.wasm", body: new Uint8Array(await readFile(wasmFile)) },
      { name: "package/README.md", body: `# ${manifest.name}\n\nA test plugin.\n` },
    ]),
  );
  return tgz;
}
