/**
 * Reads a plugin package (`.tgz`, npm's layout) into memory with `tar`'s parser in strict mode, and
 * refuses it whole, before anything is written, when any entry is unsafe: an absolute path, a `..`
 * segment, a link or any other non-file entry, a path outside `package/`, a file twice, or sizes
 * past the caps. The core reads packages with it before installing, the registry before accepting
 * a publish: one reader, so a package one of them refuses the other refuses too. Writing the
 * accepted files is the caller's job (they are plain bytes by then), so no tar entry can ever
 * create a link or reach outside a folder.
 *
 * Reading is linear and bounded: the gzip stream is inflated here, chunk by chunk, so every
 * decompressed byte is counted against a cap, and nothing past the archive's end-of-archive blocks
 * reaches the parser (`tar`'s parser stops parsing there but keeps concatenating what it is given,
 * which made a gzip bomb of zeros quadratic). Only the files a plugin uses are kept
 * ({@link keptFile}); any other file is checked like the rest, then dropped unread.
 */
import { createGunzip } from "node:zlib";
import { Parser, type ReadEntry } from "tar";
import { CodedError } from "./coded-error.js";

/** Why a package was refused. */
export type PackageErrorCode =
  | "invalid_package" // not a readable (gzipped) tarball
  | "unsafe_package" // an entry that could write outside `package/`, a bomb, data after the end, a cap passed
  | "package_too_large"; // the compressed tarball is over `maxTarballBytes`

/** A refused package; each caller turns it into its own error (the store's, the registry's). */
export class PackageError extends CodedError<PackageErrorCode> {}

/** Caps on one package; a plugin is a manifest, a README and a wasm module. */
export interface PackageCaps {
  /** The compressed tarball. @default 32 MiB */
  maxTarballBytes: number;
  /** The whole archive decompressed (headers, padding and every file, dropped ones too). @default 64 MiB */
  maxUnpackedBytes: number;
  /** @default 256 */
  maxEntries: number;
}

/** The default {@link PackageCaps}. */
export const PACKAGE_CAPS: Readonly<PackageCaps> = Object.freeze({
  maxTarballBytes: 32 * 1024 * 1024,
  maxUnpackedBytes: 64 * 1024 * 1024,
  maxEntries: 256,
});

/** Entry types a package may hold: plain files, and folders (which are implied by file paths). */
const FILE_TYPES = new Set(["File", "OldFile", "ContiguousFile"]);
const PREFIX = "package/";
/** The files a plugin package holds, by path under `package/`; a license file is matched apart. */
const PLUGIN_FILES = new Set(["package.json", "shimmy-plugin.json", "plugin.wasm", "README.md"]);
const LICENSE_FILE = /^(LICEN[CS]E|COPYING)(\.(md|txt))?$/i;
/**
 * Zero bytes accepted after the two end-of-archive blocks: tar writers pad an archive to a record
 * (10 KiB for GNU tar). Anything else after the end refuses the package.
 */
const MAX_TRAILING_BYTES = 64 * 1024;
/** A tar block. */
const BLOCK = 512;
/** Inflated bytes per chunk. */
const CHUNK_BYTES = 64 * 1024;

/**
 * Whether a package file (its path under `package/`) is stored: `package.json`,
 * `shimmy-plugin.json`, `plugin.wasm`, `README.md` and one top-level license file (`LICENSE`,
 * `LICENCE` or `COPYING`, optionally `.md` or `.txt`). Everything else is dropped.
 */
export function keptFile(relative: string): boolean {
  return PLUGIN_FILES.has(relative) || LICENSE_FILE.test(relative);
}

function isGzip(bytes: Uint8Array): boolean {
  return bytes.length >= 2 && bytes[0] === 0x1f && bytes[1] === 0x8b;
}

const ZEROS = Buffer.alloc(CHUNK_BYTES + BLOCK);

/** Whether every byte is zero; compared natively, since every inflated block is checked. */
function allZero(bytes: Buffer): boolean {
  for (let at = 0; at < bytes.length; at += ZEROS.length) {
    const part = bytes.subarray(at, at + ZEROS.length);
    if (!part.equals(ZEROS.subarray(0, part.length))) return false;
  }
  return true;
}

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

/** Options of {@link readPackage}: the caps (each defaults to {@link PACKAGE_CAPS}'s) and the format. */
export interface ReadPackageOptions extends Partial<PackageCaps> {
  /** Refuse a plain tar archive: a registry serves npm's `.tgz` only. @default false */
  requireGzip?: boolean;
}

/**
 * The size a gzip stream's trailer declares (modulo 2^32), or null. Only ever used to word a
 * refusal: the count of inflated bytes decides, since a trailer can lie.
 */
function declaredSize(tarball: Uint8Array): number | null {
  return isGzip(tarball) && tarball.length >= 18 ? Buffer.from(tarball.buffer, tarball.byteOffset, tarball.byteLength).readUInt32LE(tarball.length - 4) : null;
}

/**
 * Parses `tarball` (gzipped or not) and returns the files a plugin uses ({@link keptFile}) by path
 * relative to `package/`.
 *
 * @throws {PackageError} `unsafe_package` naming the first bad entry, a cap passed or data after the
 *   archive's end; `invalid_package` when the bytes are not a readable tarball; `package_too_large`
 *   past `maxTarballBytes`.
 * @example
 * const files = await readPackage(tgz, { requireGzip: true });
 * const manifest = JSON.parse(files.get("shimmy-plugin.json")!.toString("utf8"));
 */
export function readPackage(tarball: Uint8Array, options: ReadPackageOptions = {}): Promise<Map<string, Buffer>> {
  const caps: PackageCaps = {
    maxTarballBytes: options.maxTarballBytes ?? PACKAGE_CAPS.maxTarballBytes,
    maxUnpackedBytes: options.maxUnpackedBytes ?? PACKAGE_CAPS.maxUnpackedBytes,
    maxEntries: options.maxEntries ?? PACKAGE_CAPS.maxEntries,
  };
  if (tarball.length > caps.maxTarballBytes) {
    return Promise.reject(new PackageError("package_too_large", `the package is ${tarball.length} bytes; the cap is ${caps.maxTarballBytes}`));
  }
  if (options.requireGzip && !isGzip(tarball)) return Promise.reject(new PackageError("invalid_package", "the package is not a gzipped tarball"));
  return new Promise((resolve, reject) => {
    const files = new Map<string, Buffer>();
    const seen = new Set<string>();
    let entries = 0;
    let inflated = 0;
    let archiveEnded = false;
    let trailing = 0;
    let failed = false;
    const gunzip = isGzip(tarball) ? createGunzip({ chunkSize: CHUNK_BYTES }) : null;
    const fail = (error: PackageError) => {
      if (failed) return;
      failed = true;
      gunzip?.destroy();
      parser.abort(error);
      reject(error);
    };
    const parser = new Parser({
      strict: true,
      // Inflated here, so that every byte is counted: the parser must not inflate anything itself.
      brotli: false,
      zstd: false,
      onReadEntry: (entry: ReadEntry) => {
        if (failed) return entry.resume();
        entries += 1;
        if (entries > caps.maxEntries) return fail(new PackageError("unsafe_package", `the package has more than ${caps.maxEntries} entries`));
        const problem = unsafeEntryPath(entry.path);
        if (problem) return fail(new PackageError("unsafe_package", `the package entry "${entry.path}" has ${problem}; refusing the whole package`));
        if (entry.type === "Directory") return entry.resume();
        if (!FILE_TYPES.has(entry.type)) {
          const target = entry.linkpath ? ` to "${entry.linkpath}"` : "";
          return fail(new PackageError("unsafe_package", `the package entry "${entry.path}" is a ${entry.type}${target}, not a file; refusing the whole package`));
        }
        const relative = entry.path.slice(PREFIX.length).replace(/\\/g, "/");
        if (relative === "" || relative.split("/").some((s) => s === "" || s === ".")) {
          return fail(new PackageError("unsafe_package", `the package entry "${entry.path}" is not a plain file path`));
        }
        // The header's size, before a byte of the body is inflated.
        if (entry.size > caps.maxUnpackedBytes) return fail(new PackageError("unsafe_package", `the package entry "${entry.path}" is ${entry.size} bytes; the package may unpack to ${caps.maxUnpackedBytes}`));
        if (seen.has(relative)) return fail(new PackageError("unsafe_package", `the package holds "${entry.path}" twice`));
        seen.add(relative);
        if (!keptFile(relative)) return entry.resume(); // checked above, counted below, never stored
        const chunks: Buffer[] = [];
        entry.on("data", (chunk: Buffer) => chunks.push(chunk));
        entry.on("end", () => files.set(relative, Buffer.concat(chunks)));
      },
    });
    parser.on("eof", () => {
      archiveEnded = true;
    });
    parser.on("error", (error: Error) => fail(error instanceof PackageError ? error : new PackageError("invalid_package", `the package is not a readable .tgz: ${error.message}`)));
    parser.on("end", () => {
      if (failed) return;
      if (entries === 0) return fail(new PackageError("invalid_package", "the package is empty or not a tarball"));
      resolve(files);
    });

    /**
     * One inflated chunk, in order: counted, then handed to the parser in whole 512-byte blocks up
     * to the end-of-archive block (the parser reports it as it parses it); after that, only checked.
     */
    let partial = Buffer.alloc(0); // the start of a block the next chunk completes
    const take = (chunk: Buffer) => {
      if (failed) return;
      if (inflated === 0 && gunzip && isGzip(chunk)) {
        // The parser would inflate a second layer itself, past every count here.
        return fail(new PackageError("unsafe_package", "the package is compressed twice; a plugin package is one gzipped tar archive"));
      }
      inflated += chunk.length;
      if (!archiveEnded && inflated > caps.maxUnpackedBytes) return fail(new PackageError("unsafe_package", `the package unpacks to more than ${caps.maxUnpackedBytes} bytes`));
      let rest = chunk;
      if (!archiveEnded) {
        const data = partial.length > 0 ? Buffer.concat([partial, chunk]) : chunk;
        let start = 0;
        let at = 0;
        // Only a zero block can end an archive: the data is cut after each one to ask the parser.
        for (; at + BLOCK <= data.length && !archiveEnded && !failed; at += BLOCK) {
          if (!allZero(data.subarray(at, at + BLOCK))) continue;
          parser.write(data.subarray(start, at + BLOCK));
          start = at + BLOCK;
        }
        if (!archiveEnded) {
          if (start < at && !failed) parser.write(data.subarray(start, at));
          partial = Buffer.from(data.subarray(at));
          return;
        }
        rest = data.subarray(start);
      }
      trailing += rest.length;
      if (trailing > MAX_TRAILING_BYTES || !allZero(rest)) {
        // A bomb of zeros is refused here, long before the cap; say so when it also declares more.
        const declared = declaredSize(tarball);
        const over = declared !== null && declared > caps.maxUnpackedBytes ? ` (it unpacks to more than ${caps.maxUnpackedBytes} bytes: its gzip trailer says ${declared})` : "";
        fail(new PackageError("unsafe_package", `the package has data after the end of its tar archive; refusing the whole package${over}`));
      }
    };
    const finish = () => {
      if (failed) return;
      if (partial.length > 0 && !archiveEnded) parser.write(partial); // a truncated block: the parser says so
      parser.end();
    };
    const bytes = Buffer.from(tarball.buffer, tarball.byteOffset, tarball.byteLength);
    if (gunzip) {
      gunzip.on("data", take);
      gunzip.on("end", finish);
      gunzip.on("error", (error: Error) => fail(new PackageError("invalid_package", `the package is not a readable .tgz: ${error.message}`)));
      gunzip.end(bytes);
    } else {
      void (async () => {
        for (let at = 0; at < bytes.length && !failed; at += CHUNK_BYTES) {
          take(bytes.subarray(at, at + CHUNK_BYTES));
          await new Promise((next) => setImmediate(next)); // as between inflated chunks
        }
        finish();
      })();
    }
  });
}
