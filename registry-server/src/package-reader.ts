/**
 * Reads a published tarball into memory, strictly, before anything of it is trusted: one gzip layer
 * inflated with a cap on the decompressed bytes, then `tar`'s parser in strict mode, refusing the
 * whole package at the first entry that is a link or any other non-file, has an absolute path, a
 * `..` segment or a path outside `package/`, appears twice, or passes the entry caps.
 */
import { gunzipSync } from "node:zlib";
import { Parser, type ReadEntry } from "tar";
import { RegistryError } from "./errors.js";

/** Caps on one package; a plugin is a manifest, a README and a wasm module. */
export interface PackageCaps {
  /** The compressed tarball. @default 16 MiB */
  maxTarballBytes: number;
  /** The archive decompressed (headers, padding and every file). @default 64 MiB */
  maxUnpackedBytes: number;
  /** @default 256 */
  maxEntries: number;
}

/** The default {@link PackageCaps}. */
export const PACKAGE_CAPS: Readonly<PackageCaps> = Object.freeze({
  maxTarballBytes: 16 * 1024 * 1024,
  maxUnpackedBytes: 64 * 1024 * 1024,
  maxEntries: 256,
});

const PREFIX = "package/";
const FILE_TYPES = new Set(["File", "OldFile", "ContiguousFile"]);
/** The files the registry reads; every other file is checked, then dropped unread. */
const KEPT = new Set(["package.json", "shimmy-plugin.json", "plugin.wasm", "README.md"]);

/** Why an entry path is unsafe, or null; checked as written, before any normalization could hide it. */
export function unsafeEntryPath(entryPath: string): string | null {
  if (entryPath.includes("\0")) return "a NUL byte";
  if (entryPath.startsWith("/") || entryPath.startsWith("\\") || /^[A-Za-z]:/.test(entryPath)) return "an absolute path";
  if (entryPath.split(/[\\/]/).some((segment) => segment === "..")) return "a '..' segment";
  if (!entryPath.startsWith(PREFIX)) return `a path outside ${PREFIX}`;
  return null;
}

const unsafe = (message: string) => new RegistryError("unsafe_package", message);

function inflate(tarball: Uint8Array, caps: PackageCaps): Buffer {
  if (tarball.length > caps.maxTarballBytes) throw new RegistryError("payload_too_large", `the package is ${tarball.length} bytes; the most a package may be is ${caps.maxTarballBytes}`);
  if (tarball[0] !== 0x1f || tarball[1] !== 0x8b) throw new RegistryError("invalid_package", "the package is not a gzipped tarball");
  let tar: Buffer;
  try {
    // maxOutputLength stops inflating at the cap, so a gzip bomb costs at most the cap.
    tar = gunzipSync(tarball, { maxOutputLength: caps.maxUnpackedBytes });
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ERR_BUFFER_TOO_LARGE" || error instanceof RangeError) {
      throw unsafe(`the package unpacks to more than ${caps.maxUnpackedBytes} bytes`);
    }
    throw new RegistryError("invalid_package", `the package is not a readable .tgz: ${(error as Error).message}`);
  }
  // tar's parser would inflate a second layer itself, past the cap above.
  if (tar[0] === 0x1f && tar[1] === 0x8b) throw unsafe("the package is compressed twice; a package is one gzipped tar archive");
  return tar;
}

/**
 * Parses a gzipped `tarball` and returns the files the registry reads, by path under `package/`.
 *
 * @throws {RegistryError} `unsafe_package` naming the bad entry or cap, `invalid_package` when the
 *   bytes are no tarball, `payload_too_large` past `maxTarballBytes`.
 */
export function readPackage(tarball: Uint8Array, caps: PackageCaps = PACKAGE_CAPS): Promise<Map<string, Buffer>> {
  let tar: Buffer;
  try {
    tar = inflate(tarball, caps);
  } catch (error) {
    return Promise.reject(error);
  }
  return new Promise((resolve, reject) => {
    const files = new Map<string, Buffer>();
    const seen = new Set<string>();
    let entries = 0;
    let failed = false;
    const fail = (error: Error) => {
      if (failed) return;
      failed = true;
      parser.abort(error);
      reject(error);
    };
    const parser = new Parser({
      strict: true,
      brotli: false,
      zstd: false,
      onReadEntry: (entry: ReadEntry) => {
        if (failed) return entry.resume();
        entries += 1;
        if (entries > caps.maxEntries) return fail(unsafe(`the package has more than ${caps.maxEntries} entries`));
        const problem = unsafeEntryPath(entry.path);
        if (problem) return fail(unsafe(`the package entry "${entry.path}" has ${problem}; refusing the whole package`));
        if (entry.type === "Directory") return entry.resume();
        if (!FILE_TYPES.has(entry.type)) {
          const target = entry.linkpath ? ` to "${entry.linkpath}"` : "";
          return fail(unsafe(`the package entry "${entry.path}" is a ${entry.type}${target}, not a file; refusing the whole package`));
        }
        const relative = entry.path.slice(PREFIX.length);
        if (relative === "" || relative.split("/").some((segment) => segment === "" || segment === ".")) {
          return fail(unsafe(`the package entry "${entry.path}" is not a plain file path`));
        }
        if (seen.has(relative)) return fail(unsafe(`the package holds "${entry.path}" twice`));
        seen.add(relative);
        if (!KEPT.has(relative)) return entry.resume();
        const chunks: Buffer[] = [];
        entry.on("data", (chunk: Buffer) => chunks.push(chunk));
        entry.on("end", () => files.set(relative, Buffer.concat(chunks)));
      },
    });
    parser.on("error", (error: Error) => fail(error instanceof RegistryError ? error : new RegistryError("invalid_package", `the package is not a readable .tgz: ${error.message}`)));
    parser.on("end", () => {
      if (failed) return;
      if (entries === 0) return fail(new RegistryError("invalid_package", "the package is empty or not a tarball"));
      resolve(files);
    });
    parser.end(tar);
  });
}
