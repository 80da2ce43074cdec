/**
 * Removes one model file from the Hugging Face hub cache the way huggingface_hub's own cache
 * cleanup does: the snapshot link, then its blob when no other snapshot links to it, then the
 * folders (and the `refs/main` of a snapshot that is gone) left empty. Nothing outside the
 * repository's `models--ORG--REPO` folder is ever touched.
 */
import fs from "node:fs/promises";
import path from "node:path";

/** What {@link removeFromHubCache} removed. */
export interface RemovedFiles {
  /** Every file and link removed. */
  removed: string[];
  /** Bytes the removed blobs held (0 when the blob is still linked elsewhere). */
  freedBytes: number;
}

// Snapshots hold a repository's folder tree: deeper than this is not a hub cache we wrote.
const MAX_SNAPSHOT_DEPTH = 16;

/** `HUB/models--ORG--REPO` and the commit of a path `HUB/models--ORG--REPO/snapshots/COMMIT/FILE…`; null for any other path. */
export function hubCacheLocation(file: string): { repoDir: string; commit: string } | null {
  const parts = path.resolve(file).split(path.sep);
  const at = parts.lastIndexOf("snapshots");
  if (at < 1 || at + 2 >= parts.length || !parts[at - 1]!.startsWith("models--")) return null;
  return { repoDir: parts.slice(0, at).join(path.sep) || path.sep, commit: parts[at + 1]! };
}

/** Whether `child` is `parent` or inside it. */
function inside(parent: string, child: string): boolean {
  const relative = path.relative(parent, child);
  return relative === "" || (!relative.startsWith("..") && !path.isAbsolute(relative));
}

/** Every link under `dir` whose target resolves to `blob`, bounded in depth. */
async function linksTo(dir: string, blob: string, depth = 0): Promise<string[]> {
  if (depth > MAX_SNAPSHOT_DEPTH) return [];
  const entries = await fs.readdir(dir, { withFileTypes: true }).catch(() => []);
  const found: string[] = [];
  for (const entry of entries) {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) found.push(...(await linksTo(full, blob, depth + 1)));
    else if (entry.isSymbolicLink()) {
      const target = await fs.readlink(full).catch(() => null);
      if (target !== null && path.resolve(dir, target) === blob) found.push(full);
    }
  }
  return found;
}

/** Removes `dir` and then its parents while they are empty, stopping at `stop` (kept). */
async function removeEmptyUpTo(dir: string, stop: string): Promise<void> {
  for (let current = dir; inside(stop, current) && current !== stop; current = path.dirname(current)) {
    // rmdir refuses a folder that is not empty: nothing but empty folders goes.
    if (!(await fs.rmdir(current).then(() => true, () => false))) return;
  }
}

/**
 * Removes the snapshot file `link` (`HUB/models--ORG--REPO/snapshots/COMMIT/FILE`), its blob when
 * no other snapshot uses it, and the folders left empty, up to and including the repository's.
 *
 * @throws Error when `link` is not a path in a hub cache, or its link points outside the repository's folder.
 * @example
 * const { freedBytes } = await removeFromHubCache(model.path);
 */
export async function removeFromHubCache(link: string): Promise<RemovedFiles> {
  const location = hubCacheLocation(link);
  if (!location) throw new Error(`${link} is not in a Hugging Face hub cache (models--ORG--REPO/snapshots/COMMIT/)`);
  const { repoDir, commit } = location;
  const snapshots = path.join(repoDir, "snapshots");
  const removed: string[] = [];
  let freedBytes = 0;
  const stat = await fs.lstat(link);
  if (stat.isSymbolicLink()) {
    const blob = path.resolve(path.dirname(link), await fs.readlink(link));
    if (!inside(path.join(repoDir, "blobs"), blob)) throw new Error(`${link} links to ${blob}, outside ${repoDir}; remove it by hand`);
    await fs.rm(link);
    removed.push(link);
    if ((await linksTo(snapshots, blob)).length === 0) {
      const size = (await fs.stat(blob).catch(() => null))?.size ?? 0;
      if (await fs.rm(blob).then(() => true, () => false)) {
        removed.push(blob);
        freedBytes += size;
      }
    }
  } else {
    // A snapshot holding the file itself (a copy, as on file systems without links).
    await fs.rm(link);
    removed.push(link);
    freedBytes += stat.size;
  }
  await removeEmptyUpTo(path.dirname(link), snapshots);
  const snapshotGone = !(await fs.stat(path.join(snapshots, commit)).then(() => true, () => false));
  const ref = path.join(repoDir, "refs", "main");
  if (snapshotGone && (await fs.readFile(ref, "utf8").catch(() => "")).trim() === commit) {
    await fs.rm(ref, { force: true });
    removed.push(ref);
  }
  for (const dir of [snapshots, path.join(repoDir, "refs"), path.join(repoDir, "blobs")]) await fs.rmdir(dir).catch(() => undefined);
  await fs.rmdir(repoDir).catch(() => undefined);
  return { removed, freedBytes };
}
