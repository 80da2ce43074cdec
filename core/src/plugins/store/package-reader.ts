/**
 * Reads a plugin package (`.tgz`, npm's layout) into memory with `tar`'s parser in strict mode, and
 * refuses it whole, before anything is written, when any entry is unsafe: an absolute path, a `..`
 * segment, a link or any other non-file entry, a path outside `package/`, or sizes past the caps.
 * Writing the accepted files is the caller's job (they are plain bytes by then), so no tar entry can
 * ever create a link or reach outside the staging folder.
 */
import { Parser, type ReadEntry } from "tar";
import { StoreError } from "./store-error.js";

/** Caps on one package; a plugin is a manifest, a README and a wasm module. */
export interface PackageCaps {
  /** The compressed tarball. @default 64 MiB */
  maxTarballBytes: number;
  /** All files together, uncompressed. @default 128 MiB */
  maxTotalBytes: number;
  /** @default 256 */
  maxEntries: number;
}

/** The default {@link PackageCaps}. */
export const PACKAGE_CAPS: Readonly<PackageCaps> = Object.freeze({
  maxTarballBytes: 64 * 1024 * 1024,
  maxTotalBytes: 128 * 1024 * 1024,
  maxEntries: 256,
});

/** Entry types a package may hold: plain files, and folders (which are implied by file paths). */
const FILE_TYPES = new Set(["File", "OldFile", "ContiguousFile"]);
const PREFIX = "package/";

/**
 * Why `entryPath` is unsafe, or null. Paths are checked as tar wrote them, before any
 * normalization could turn `package/../x` into something harmless-looking.
 */
export function unsafeEntryPath(entryPath: string): string | null {
  if (entryPath.includes("\0")) return "a NUL byte";
  if (entryPath.startsWith("/") || /^[A-Za-z]:/.test(entryPath) || entryPath.startsWith("\\")) return "an absolute path";
  const segments = entryPath.split(/[\\/]/);
  if (segments.some((s) => s === "..")) return "a '..' segment";
  if (!entryPath.startsWith(PREFIX)) return `a path outside ${PREFIX}`;
  return null;
}

/**
 * Parses `tarball` (gzipped or not) and returns its files by path relative to `package/`.
 *
 * @throws {StoreError} `unsafe_package` naming the first bad entry, or `invalid_package` when the
 *   bytes are not a readable tarball.
 */
export function readPackage(tarball: Uint8Array, caps: PackageCaps = PACKAGE_CAPS): Promise<Map<string, Buffer>> {
  if (tarball.length > caps.maxTarballBytes) {
    return Promise.reject(new StoreError("unsafe_package", `the package is ${tarball.length} bytes; the cap is ${caps.maxTarballBytes}`));
  }
  return new Promise((resolve, reject) => {
    const files = new Map<string, Buffer>();
    let total = 0;
    let entries = 0;
    let failed = false;
    const fail = (error: StoreError) => {
      if (failed) return;
      failed = true;
      parser.abort(error);
      reject(error);
    };
    const parser = new Parser({
      strict: true,
      // The parser's own gzip-bomb guard, on top of maxTotalBytes.
      maxDecompressionRatio: 1000,
      onReadEntry: (entry: ReadEntry) => {
        if (failed) return entry.resume();
        entries += 1;
        if (entries > caps.maxEntries) return fail(new StoreError("unsafe_package", `the package has more than ${caps.maxEntries} entries`));
        const problem = unsafeEntryPath(entry.path);
        if (problem) return fail(new StoreError("unsafe_package", `the package entry "${entry.path}" has ${problem}; refusing the whole package`));
        if (entry.type === "Directory") return entry.resume();
        if (!FILE_TYPES.has(entry.type)) {
          const target = entry.linkpath ? ` to "${entry.linkpath}"` : "";
          return fail(new StoreError("unsafe_package", `the package entry "${entry.path}" is a ${entry.type}${target}, not a file; refusing the whole package`));
        }
        const relative = entry.path.slice(PREFIX.length).replace(/\\/g, "/");
        if (relative === "" || relative.split("/").some((s) => s === "" || s === ".")) {
          return fail(new StoreError("unsafe_package", `the package entry "${entry.path}" is not a plain file path`));
        }
        if (files.has(relative)) return fail(new StoreError("unsafe_package", `the package holds "${entry.path}" twice`));
        total += entry.size;
        if (total > caps.maxTotalBytes) return fail(new StoreError("unsafe_package", `the package unpacks to more than ${caps.maxTotalBytes} bytes`));
        const chunks: Buffer[] = [];
        entry.on("data", (chunk: Buffer) => chunks.push(chunk));
        entry.on("end", () => files.set(relative, Buffer.concat(chunks)));
      },
    });
    parser.on("error", (error: Error) => fail(error instanceof StoreError ? error : new StoreError("invalid_package", `the package is not a readable .tgz: ${error.message}`)));
    parser.on("end", () => {
      if (failed) return;
      if (entries === 0) return fail(new StoreError("invalid_package", "the package is empty or not a tarball"));
      resolve(files);
    });
    parser.end(Buffer.from(tarball.buffer, tarball.byteOffset, tarball.byteLength));
  });
}
