/** Small file-system helpers for discovery: a bounded folder walk and a bounded parallel map. */
import fs from "node:fs/promises";
import path from "node:path";

/** Subfolder levels a plain model folder is searched to: `publisher/repo/file.gguf` is 2. */
export const MAX_FOLDER_DEPTH = 4;
/** Files one root may yield; a root pointed at a huge tree stops here instead of scanning for minutes. */
export const MAX_FILES_PER_ROOT = 100_000;

/** Sorted by code point, not by locale, so the scan order is the same on every machine. */
const byName = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);

/** `ENOENT`/`ENOTDIR`: the thing is simply not there, which is normal for most roots. */
export function isMissing(err: unknown): boolean {
  const code = (err as NodeJS.ErrnoException).code;
  return code === "ENOENT" || code === "ENOTDIR";
}

/** A folder's entries split into files and folders (symbolic links followed), names sorted; hidden ones skipped. */
export async function readFolder(dir: string): Promise<{ files: string[]; dirs: string[] }> {
  const entries = await fs.readdir(dir, { withFileTypes: true });
  const files: string[] = [];
  const dirs: string[] = [];
  for (const entry of entries) {
    // Dot entries are caches, locks and macOS `._x.gguf` resource forks, never models.
    if (entry.name.startsWith(".")) continue;
    let isDir = entry.isDirectory();
    let isFile = entry.isFile();
    if (entry.isSymbolicLink()) {
      // Hugging Face snapshots are links into blobs/; a dangling link is kept as a file so it is reported.
      const target = await fs.stat(path.join(dir, entry.name)).catch(() => null);
      isDir = target?.isDirectory() ?? false;
      isFile = !isDir;
    }
    if (isFile) files.push(entry.name);
    else if (isDir) dirs.push(entry.name);
  }
  return { files: files.sort(byName), dirs: dirs.sort(byName) };
}

/** Options of {@link walkFiles}. */
export interface WalkOptions {
  /** Subfolder levels to descend (0: the folder itself only). */
  maxDepth: number;
  /** Which file names to yield. */
  accept: (name: string) => boolean;
  /** Folder names not to enter. */
  skipDir?: (name: string) => boolean;
  /** Called with a message when a folder cannot be read or the file cap is reached. */
  onProblem?: (message: string) => void;
}

/**
 * The accepted files under `root`, depth-first, each folder's files before its subfolders, names in
 * code-point order: a stable order, so ids and collision suffixes do not change between scans.
 * A folder reached again through a link (a link to a parent, two links to one folder) is entered
 * only the first time, so its files, dangling links included, are yielded once. A missing root
 * yields nothing.
 */
export async function walkFiles(root: string, options: WalkOptions): Promise<string[]> {
  const out: string[] = [];
  const entered = new Set<string>();
  const visit = async (dir: string, depth: number): Promise<void> => {
    if (out.length >= MAX_FILES_PER_ROOT) return;
    let listing: { files: string[]; dirs: string[] };
    try {
      const real = await fs.realpath(dir);
      if (entered.has(real)) return;
      entered.add(real);
      listing = await readFolder(dir);
    } catch (err) {
      if (!isMissing(err)) options.onProblem?.(`cannot read ${dir}: ${(err as Error).message}`);
      return;
    }
    for (const name of listing.files) {
      if (!options.accept(name)) continue;
      if (out.length >= MAX_FILES_PER_ROOT) {
        options.onProblem?.(`stopped scanning ${root} after ${MAX_FILES_PER_ROOT} files`);
        return;
      }
      out.push(path.join(dir, name));
    }
    if (depth >= options.maxDepth) return;
    for (const name of listing.dirs) {
      if (options.skipDir?.(name)) continue;
      await visit(path.join(dir, name), depth + 1);
    }
  };
  await visit(root, 0);
  return out;
}

/** `fn` over `items` with at most `limit` calls in flight; results in the input order. */
export async function mapLimit<T, R>(items: readonly T[], limit: number, fn: (item: T, index: number) => Promise<R>): Promise<R[]> {
  const results = new Array<R>(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const i = next++;
      results[i] = await fn(items[i]!, i);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return results;
}
