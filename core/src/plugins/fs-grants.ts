/**
 * File access for plugins, only through the Shimmy ABI (WASI stays off): every path is made real
 * (`realpath`, so symlinks are followed before the check, not after) and must lie inside a folder
 * the manifest granted; reads and writes are capped; writing needs an `fs.write` grant.
 */
import { randomBytes } from "node:crypto";
import { constants, promises as fsp, type Stats } from "node:fs";
import path from "node:path";
import { expandPattern } from "./net-grants.js";
import { PluginCallError } from "./plugin-call-error.js";

/** One granted folder, by its real path. */
export interface FolderGrant {
  /** The folder's real path at grant time. */
  path: string;
  read: boolean;
  /** `fs.write` grants writing only; it does not imply reading (ask for both). */
  write: boolean;
}

/** A plugin's file grants, and the home folder `~` in requested paths stands for. */
export interface FsGrants {
  home: string;
  folders: FolderGrant[];
}

/** One entry of {@link listFolder}; a symlink is reported as itself, never followed. */
export interface FolderEntry {
  name: string;
  type: "file" | "directory" | "symlink" | "other";
  size: number;
}

/** `~` and `~/…` against `home`; anything else as it is. */
export function expandHome(p: string, home: string): string {
  if (p === "~") return home;
  if (p.startsWith("~/")) return path.join(home, p.slice(2));
  return p;
}

/** The real folders a pattern names (a template over a list names several); an unset key names none. */
async function realFolders(pattern: string, config: Record<string, unknown>, home: string): Promise<string[]> {
  const folders = await Promise.all(expandPattern(pattern, config).map((expanded) => realFolder(expanded.value, home)));
  return folders.filter((f): f is string => f !== null);
}

async function realFolder(expanded: string, home: string): Promise<string | null> {
  const p = expandHome(expanded.trim(), home);
  if (!path.isAbsolute(p)) return null; // relative to what? the server's cwd is no one's choice
  try {
    const real = await fsp.realpath(p);
    return (await fsp.stat(real)).isDirectory() ? real : null;
  } catch {
    return null; // a missing folder is dropped, not created: the grant is for what exists
  }
}

/**
 * Resolves `permissions.fs.read` / `fs.write` folders: `{config.KEY}` templates from the user's
 * config, `~` against `home`, each folder `realpath`ed now. Missing folders and unset templates are
 * dropped; a folder in both lists gets both rights.
 */
export async function resolveFolderGrants(read: string[], write: string[], config: Record<string, unknown>, home: string): Promise<FsGrants> {
  const byPath = new Map<string, FolderGrant>();
  for (const [list, mode] of [[read, "read"], [write, "write"]] as const) {
    for (const pattern of list) {
      for (const real of await realFolders(pattern, config, home)) {
        const grant = byPath.get(real) ?? { path: real, read: false, write: false };
        grant[mode] = true;
        byPath.set(real, grant);
      }
    }
  }
  return { home, folders: [...byPath.values()] };
}

/** Whether `child` is `folder` or lies under it; `/data` does not contain `/database`. */
export function isInside(child: string, folder: string): boolean {
  if (child === folder) return true;
  const prefix = folder.endsWith(path.sep) ? folder : folder + path.sep;
  return child.startsWith(prefix);
}

/**
 * Checks a plugin's path and returns the real path to use. The path must be absolute or start
 * with `~`; `..` segments are refused outright; the real path (the parent's, for a file a write
 * will create) must lie inside a folder granted for `mode`.
 *
 * @throws {PluginCallError} `invalid_request`, `permission_denied` or `not_found`.
 */
export async function checkPath(requested: string, grants: FsGrants, mode: "read" | "write"): Promise<string> {
  if (typeof requested !== "string" || requested === "" || requested.includes("\0")) {
    throw new PluginCallError("invalid_request", "the path must be a non-empty string");
  }
  const expanded = expandHome(requested, grants.home);
  if (!path.isAbsolute(expanded)) {
    throw new PluginCallError("invalid_request", `the path must be absolute or start with ~: ${requested}`);
  }
  // `..` is refused rather than normalized: a plugin has no reason to climb, and refusing it keeps
  // the check independent of how symlinks and `..` interact.
  if (expanded.split(/[\\/]/).includes("..")) {
    throw new PluginCallError("permission_denied", `the path may not contain "..": ${requested}`);
  }
  const allowed = grants.folders.filter((g) => g[mode]);
  let real: string;
  try {
    real = await fsp.realpath(expanded);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== "ENOENT" || mode !== "write") throw notFoundOrIo(error, requested);
    // The file a write creates does not exist yet: check its folder. A dangling symlink lands here
    // too; the write's rename replaces the link itself and never follows it.
    const base = path.basename(expanded);
    if (base === "" || base === ".") throw new PluginCallError("invalid_request", `not a file path: ${requested}`);
    try {
      real = path.join(await fsp.realpath(path.dirname(expanded)), base);
    } catch (parentError) {
      throw notFoundOrIo(parentError, requested);
    }
  }
  if (!allowed.some((g) => isInside(real, g.path))) {
    const granted = allowed.map((g) => g.path).join(", ") || "no folders";
    throw new PluginCallError("permission_denied", `${requested} is outside the folders granted for ${mode} (${granted})`);
  }
  return real;
}

function notFoundOrIo(error: unknown, requested: string): PluginCallError {
  const code = (error as NodeJS.ErrnoException).code;
  if (code === "ENOENT" || code === "ENOTDIR") return new PluginCallError("not_found", `no such file or folder: ${requested}`);
  return new PluginCallError("io_error", `${requested}: ${code ?? (error as Error).message}`, { cause: error });
}

/** What a non-regular file is, in words, for the error a plugin sees. */
function specialKind(stat: Stats): string {
  if (stat.isFIFO()) return "a FIFO (named pipe)";
  if (stat.isSocket()) return "a socket";
  if (stat.isCharacterDevice()) return "a character device";
  if (stat.isBlockDevice()) return "a block device";
  if (stat.isSymbolicLink()) return "a symbolic link";
  if (stat.isDirectory()) return "a folder";
  return "not a regular file";
}

function notRegular(stat: Stats, realPath: string, only: string): PluginCallError {
  return new PluginCallError("invalid_request", `${realPath} is ${specialKind(stat)}; ${only}`);
}

async function lstatChecked(realPath: string): Promise<Stats> {
  try {
    return await fsp.lstat(realPath);
  } catch (error) {
    throw notFoundOrIo(error, realPath);
  }
}

/**
 * Reads a checked regular file from `offset`, `length` bytes or to the end; more than `maxBytes`
 * is refused (`response_too_large`) rather than cut, so a plugin knows to ask for a range.
 *
 * Anything but a regular file is refused before it is opened: opening a FIFO with no writer blocks
 * the thread that opens it, a libuv pool thread, and the launcher gives that pool one thread, the
 * one node-llama-cpp evaluates on, so one read would stall every completion. The open itself is
 * `O_NONBLOCK | O_NOFOLLOW` and the handle is checked to be the file `lstat` saw, so a file swapped
 * for a FIFO or a link in between is refused, not waited on.
 */
export async function readCapped(realPath: string, options: { offset?: number; length?: number; maxBytes: number }): Promise<Buffer> {
  const offset = options.offset ?? 0;
  if (!Number.isSafeInteger(offset) || offset < 0 || (options.length !== undefined && (!Number.isSafeInteger(options.length) || options.length < 0))) {
    throw new PluginCallError("invalid_request", "offset and length must be non-negative integers");
  }
  const only = "only regular files can be read";
  const seen = await lstatChecked(realPath);
  if (!seen.isFile()) throw notRegular(seen, realPath, only);
  let handle: fsp.FileHandle;
  try {
    handle = await fsp.open(realPath, constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK);
  } catch (error) {
    throw notFoundOrIo(error, realPath);
  }
  try {
    const stat = await handle.stat();
    if (!stat.isFile()) throw notRegular(stat, realPath, only);
    if (stat.dev !== seen.dev || stat.ino !== seen.ino) throw new PluginCallError("io_error", `${realPath} was replaced while it was being opened; try again`);
    const available = Math.max(0, stat.size - offset);
    const wanted = options.length === undefined ? available : Math.min(options.length, available);
    if (wanted > options.maxBytes) {
      throw new PluginCallError("response_too_large", `reading ${wanted} bytes of ${realPath} is over the cap of ${options.maxBytes}; ask for a range`);
    }
    const buffer = Buffer.alloc(wanted);
    let done = 0;
    while (done < wanted) {
      const { bytesRead } = await handle.read(buffer, done, wanted - done, offset + done);
      if (bytesRead === 0) break; // the file shrank meanwhile
      done += bytesRead;
    }
    return buffer.subarray(0, done);
  } finally {
    await handle.close();
  }
}

/**
 * Lists a checked folder, sorted by name; more than `maxEntries` is refused (`too_many_entries`),
 * and anything but a folder (`invalid_request`).
 */
export async function listFolder(realPath: string, maxEntries: number): Promise<FolderEntry[]> {
  const seen = await lstatChecked(realPath);
  // A file is "no such folder", as opendir's ENOTDIR always said: plugins (file-read's grep) list a
  // path first and read it as a file on not_found.
  if (seen.isFile()) throw new PluginCallError("not_found", `${realPath} is a file, not a folder`);
  if (!seen.isDirectory()) throw notRegular(seen, realPath, "only folders can be listed");
  const names: string[] = [];
  try {
    // opendir opens with O_DIRECTORY | O_NONBLOCK: should the folder have become a FIFO since, it fails at once.
    const dir = await fsp.opendir(realPath);
    for await (const entry of dir) {
      names.push(entry.name);
      if (names.length > maxEntries) {
        break; // leaving the loop closes the handle
      }
    }
  } catch (error) {
    throw notFoundOrIo(error, realPath);
  }
  if (names.length > maxEntries) throw new PluginCallError("too_many_entries", `${realPath} has more than ${maxEntries} entries`);
  names.sort();
  const entries: FolderEntry[] = [];
  for (const name of names) {
    try {
      const st = await fsp.lstat(path.join(realPath, name));
      const type = st.isSymbolicLink() ? "symlink" : st.isDirectory() ? "directory" : st.isFile() ? "file" : "other";
      entries.push({ name, type, size: type === "file" ? st.size : 0 });
    } catch {
      // removed between the listing and the stat: leave it out
    }
  }
  return entries;
}

/**
 * Writes `text` to a checked path atomically: a temporary file in the same folder, then a rename
 * over the target, so a reader never sees half a file. Returns the bytes written. A FIFO, socket or
 * device at the path is refused (`invalid_request`), not replaced.
 */
export async function writeCapped(realPath: string, text: string, maxBytes: number): Promise<number> {
  const data = Buffer.from(text, "utf8");
  if (data.length > maxBytes) {
    throw new PluginCallError("payload_too_large", `writing ${data.length} bytes is over the cap of ${maxBytes}`);
  }
  // The write itself never opens the target (a new temp file, then a rename), so it cannot block on
  // a FIFO; but a FIFO, socket or device is not the plugin's file to replace.
  const existing = await fsp.lstat(realPath).catch(() => null);
  if (existing && !existing.isFile() && !existing.isSymbolicLink()) throw notRegular(existing, realPath, "only regular files can be written");
  const temp = path.join(path.dirname(realPath), `.${path.basename(realPath)}.${randomBytes(6).toString("hex")}.tmp`);
  try {
    // "wx": O_EXCL refuses to open anything already there, a symlink planted at the name included.
    await fsp.writeFile(temp, data, { flag: "wx", mode: 0o644 });
    await fsp.rename(temp, realPath);
  } catch (error) {
    await fsp.rm(temp, { force: true }).catch(() => {});
    throw notFoundOrIo(error, realPath);
  }
  return data.length;
}
