/**
 * `packPlugin`: builds a plugin and writes its package, a gzipped tarball in npm's layout
 * (`package/package.json`, `package/shimmy-plugin.json`, `package/plugin.wasm`,
 * `package/README.md`), and returns its sha512 SRI integrity (as npm and ssri compute it) and the
 * wasm's sha256: what the lock file records.
 *
 * The archive is deterministic: the same sources give the same bytes, hence the same integrity
 * (sorted entries, one fixed mtime, mode 0644, no owner, user or device fields, gzip header without
 * a time).
 */
import { createHash } from "node:crypto";
import { promises as fs } from "node:fs";
import os from "node:os";
import path from "node:path";
import { create } from "tar";
import { buildPlugin, PluginBuildError, WASM_FILE } from "./build.js";
import type { PluginManifest } from "./manifest.js";

/** npm's fixed mtime for packed files (1985-10-26T08:15:00Z), so archives do not depend on when they were made. */
export const PACK_MTIME = new Date("1985-10-26T08:15:00.000Z");

/** The files of a plugin package, under `package/`. */
export const PACKAGE_FILES = ["README.md", "package.json", "shimmy-plugin.json", WASM_FILE] as const;

/** npm's tarball name: `NAME-VERSION.tgz`, `@owner/name` becoming `owner-name`. */
export function tarballName(name: string, version: string): string {
  return `${name.replace(/^@/, "").replace(/\//g, "-")}-${version}.tgz`;
}

/** The `package.json` of a plugin package: identity from the manifest, which stays the source of truth. */
export function packageJsonFor(manifest: PluginManifest, wasmSha256: string): Record<string, unknown> {
  const pkg: Record<string, unknown> = {
    name: manifest.name,
    version: manifest.version,
    description: manifest.description,
  };
  if (manifest.license !== undefined) pkg.license = manifest.license;
  if (manifest.author !== undefined) pkg.author = manifest.author;
  if (manifest.keywords !== undefined) pkg.keywords = manifest.keywords;
  pkg.files = ["shimmy-plugin.json", WASM_FILE, "README.md"];
  pkg.shimmy = { core: manifest.shimmy, manifest: "shimmy-plugin.json", wasm: WASM_FILE, wasmSha256 };
  return pkg;
}

/** sha512 SRI of some bytes, as npm writes `integrity`. */
export function sriSha512(bytes: Uint8Array): string {
  return `sha512-${createHash("sha512").update(bytes).digest("base64")}`;
}

export interface PackOptions {
  /** Where to write the tarball; `DIR/NAME-VERSION.tgz` unless given. */
  out?: string;
}

export interface PackResult {
  /** Absolute path of the written `.tgz`. */
  file: string;
  /** `sha512-…` of the tarball's bytes. */
  integrity: string;
  /** Hex sha256 of `plugin.wasm`. */
  wasmSha256: string;
  /** The tarball's size in bytes. */
  size: number;
  manifest: PluginManifest;
}

/** Builds the plugin in `dir` and packs it; refuses a folder without `README.md`. */
export async function packPlugin(dir: string, options: PackOptions = {}): Promise<PackResult> {
  const root = path.resolve(dir);
  const readmePath = path.join(root, "README.md");
  const readme = await fs.readFile(readmePath).catch(() => null);
  if (readme === null) throw new PluginBuildError(`${readmePath} not found: a plugin package needs a README.md`);

  const { wasmPath, sha256, manifest } = await buildPlugin(root);
  const stage = await fs.mkdtemp(path.join(os.tmpdir(), "shimmy-plugin-pack-"));
  const out = path.resolve(options.out ?? path.join(root, tarballName(manifest.name, manifest.version)));
  const temp = `${out}.${process.pid}.tmp`;
  try {
    await fs.writeFile(path.join(stage, "package.json"), JSON.stringify(packageJsonFor(manifest, sha256), null, 2) + "\n");
    await fs.writeFile(path.join(stage, "README.md"), readme);
    await fs.copyFile(path.join(root, "shimmy-plugin.json"), path.join(stage, "shimmy-plugin.json"));
    await fs.copyFile(wasmPath, path.join(stage, WASM_FILE));
    const files = [...PACKAGE_FILES].sort();
    for (const f of files) await fs.chmod(path.join(stage, f), 0o644);
    await fs.mkdir(path.dirname(out), { recursive: true });
    await create({ file: temp, cwd: stage, prefix: "package/", gzip: true, portable: true, mtime: PACK_MTIME, noDirRecurse: true }, files);
    const bytes = await fs.readFile(temp);
    await fs.rename(temp, out);
    return { file: out, integrity: sriSha512(bytes), wasmSha256: sha256, size: bytes.length, manifest };
  } catch (error) {
    await fs.rm(temp, { force: true });
    throw error;
  } finally {
    await fs.rm(stage, { recursive: true, force: true });
  }
}
