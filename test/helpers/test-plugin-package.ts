/**
 * Packs one of the host's AssemblyScript test plugins (`core/test-plugins/`) as an installable
 * `.tgz`: compiled as host.test.ts compiles them (the same flags, and the same compile cache), with
 * the manifest a test gives.
 */
import { readdir, writeFile } from "node:fs/promises";
import path from "node:path";
import { compileTestPlugin } from "../../core/src/plugins/test-plugins.fixture.js";
import { rawTarball } from "./raw-tar.js";

/** The repository root. */
const ROOT = path.resolve(import.meta.dirname, "../..");

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

/**
 * Compiles every test plugin of `core/test-plugins/` into the compile cache, as the tests ask for
 * them (32 pages; `echo` also unbounded), in one asc process: for the global setup, so that a fresh
 * clone compiles each once, beside the first-party builds, rather than in the test files that
 * would ask for the same ones at the same time on the two cores. Copies land in `dir`. Never
 * rejects.
 */
export async function precompileTestPlugins(dir: string): Promise<void> {
  const sources = (await readdir(path.join(ROOT, "core/test-plugins"))).filter((f) => f.endsWith(".ts")).map((f) => f.slice(0, -3));
  const jobs = sources.filter((s) => s !== "common").map((s) => compileTestPlugin(s, dir, s, 32));
  // A source that does not compile fails no run here: the test that asks for it compiles it again
  // and fails with the compiler's message.
  await Promise.allSettled([...jobs, compileTestPlugin("echo", dir, "echo-nomax", null)]);
}
