/**
 * The first-party plugins that ship with the core (`core/bundled-plugins/`): each packed
 * reproducibly from `plugins/` by `npm run plugins:bundle`, and pinned in `index.json` by its sha512
 * integrity, so `shimmy plugin add web-search` works with no registry at all. The core itself is
 * what vouches for them: a bundled tarball is checked against the index before it is read.
 */
import fs from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { verifyIntegrity } from "./integrity.js";
import type { Packument } from "./packument.js";
import { RegistryError } from "./registry-error.js";

/** One bundled plugin in `index.json`. */
export interface BundledPlugin {
  version: string;
  /** The tarball, beside `index.json`. */
  file: string;
  /** sha512 SRI of the tarball. */
  integrity: string;
  /** Hex sha256 of its `plugin.wasm`. */
  wasmSha256: string;
  /** Its `shimmy-plugin.json`. */
  manifest: Record<string, unknown> & { description?: string };
}

/** `core/bundled-plugins/index.json`. */
export interface BundledIndex {
  bundleVersion: 1;
  plugins: Record<string, BundledPlugin>;
}

/** The folder of the bundled plugins: `core/bundled-plugins/`, from `src/registry/` and `dist/registry/` alike. */
export const BUNDLED_DIR = fileURLToPath(new URL("../../bundled-plugins/", import.meta.url));

/** What the lock entry records as the registry of a bundled plugin. */
export const BUNDLED_REGISTRY = "bundled";

/** Reads `index.json` in `dir`; an index that is missing or malformed is a broken install of Shimmy. */
export function readBundledIndex(dir: string = BUNDLED_DIR): BundledIndex {
  const file = path.join(dir, "index.json");
  let data: BundledIndex;
  try {
    data = JSON.parse(fs.readFileSync(file, "utf8")) as BundledIndex;
  } catch (error) {
    throw new RegistryError("bad_response", `the bundled plugin index ${file} cannot be read (${(error as Error).message}): reinstall Shimmy, or run npm run plugins:bundle in its repository`);
  }
  if (data?.bundleVersion !== 1 || typeof data.plugins !== "object" || data.plugins === null) {
    throw new RegistryError("bad_response", `the bundled plugin index ${file} is not one this Shimmy reads`);
  }
  return data;
}

/** A bundled plugin as a one-version packument, so the one resolver (pick-version.ts) applies to it too. */
export function bundledPackument(name: string, entry: BundledPlugin, dir: string = BUNDLED_DIR): Packument {
  const description = typeof entry.manifest.description === "string" ? entry.manifest.description : "";
  return {
    name,
    description,
    "dist-tags": { latest: entry.version },
    versions: {
      [entry.version]: {
        name,
        version: entry.version,
        description,
        shimmyPlugin: entry.manifest,
        dist: { tarball: path.join(dir, entry.file), integrity: entry.integrity },
      },
    },
  };
}

/**
 * The bytes of a bundled plugin, checked against the index's integrity.
 * @throws {RegistryError} `integrity_mismatch` when the file was changed.
 */
export function readBundledTarball(name: string, entry: BundledPlugin, dir: string = BUNDLED_DIR): Buffer {
  const bytes = fs.readFileSync(path.join(dir, path.basename(entry.file)));
  verifyIntegrity(bytes, entry.integrity, `the bundled ${name}@${entry.version}`);
  return bytes;
}
