/**
 * Watches the model roots and reports, debounced, when files appear, change or disappear, so the
 * server can rediscover (cheap: unchanged headers come from the cache).
 *
 * Every folder is watched on its own (non-recursive `fs.watch`) down to {@link WATCH_DEPTH} levels:
 * that behaves the same on every platform, and stays bounded where Node 20's recursive mode on Linux
 * walks and watches a whole tree. When an event arrives the folder list is taken again, so new
 * subfolders (a new Hugging Face repository, a new Ollama namespace) are watched too. Folders named
 * `blobs` are not watched: downloads write there first, and the snapshot link or manifest that
 * follows is what makes a model appear. Dot folders are skipped as in discovery, and a folder reached
 * again through a link (a loop) is watched once. A root that does not exist yet (`~/.shimmy/models`
 * before the first pull) is waited for from its nearest existing parent: that one folder alone, and
 * only the entry on the way to the root counts, so the daily churn of `~` starts no rescan.
 */
import fs from "node:fs";
import path from "node:path";
import type { ModelRoot } from "./roots.js";
import { readFolder } from "./walk.js";

/** Folder levels below a root that are watched (Hugging Face: `models--X/snapshots/REV/SUB/SUB`). */
export const WATCH_DEPTH = 5;

/** Options of {@link watchModelRoots}. */
export interface WatchOptions {
  /** Quiet time after the last event before `onChange` runs. @default 300 */
  debounceMs?: number;
  /** Receives errors of the watchers themselves (the OS limit on watches, say); they never throw. */
  onError?: (error: Error) => void;
}

/** Folders to watch under `root`, root first, each real folder once; none when it does not exist. */
async function foldersUnder(root: string): Promise<string[]> {
  const out: string[] = [];
  const seen = new Set<string>();
  const visit = async (dir: string, depth: number) => {
    let dirs: string[];
    try {
      const real = await fs.promises.realpath(dir);
      if (seen.has(real)) return;
      seen.add(real);
      ({ dirs } = await readFolder(dir));
    } catch {
      return;
    }
    out.push(dir);
    if (depth >= WATCH_DEPTH) return;
    for (const name of dirs) if (name !== "blobs") await visit(path.join(dir, name), depth + 1);
  };
  await visit(root, 0);
  return out;
}

/**
 * The nearest existing folder above a missing `target`, and the name of its entry on the way there;
 * `null` when that nearest existing thing is not a folder (nothing can appear below a file).
 */
async function nearestParent(target: string): Promise<{ dir: string; name: string } | null> {
  let child = target;
  // Bounded by the number of path segments: dirname of the file-system root is itself.
  for (let dir = path.dirname(target); dir !== child; child = dir, dir = path.dirname(dir)) {
    const stat = await fs.promises.stat(dir).catch(() => null);
    if (stat) return stat.isDirectory() ? { dir, name: path.basename(child) } : null;
  }
  return null;
}

/** Stops every watcher when called; `ready` settles once the first watchers are in place. */
export type ModelRootsWatcher = (() => void) & { ready: Promise<void> };

/**
 * Watches `roots` (from `modelRoots`, or plain paths) and calls `onChange` once per burst of changes.
 * A root that is a file is watched as a file.
 */
export function watchModelRoots(
  roots: readonly (ModelRoot | string)[],
  onChange: () => void,
  { debounceMs = 300, onError }: WatchOptions = {},
): ModelRootsWatcher {
  const paths = [...new Set(roots.map((r) => (typeof r === "string" ? r : r.path)))];
  const watchers = new Map<string, fs.FSWatcher>();
  /** Per watched path, the entry names that count (a parent waiting for a root), or `null`: all. */
  const filters = new Map<string, Set<string> | null>();
  let timer: NodeJS.Timeout | undefined;
  let closed = false;
  let reported = false;
  const report = (err: Error) => {
    // One report: a full inotify table fails every further watch with the same error.
    if (!reported) onError?.(err);
    reported = true;
  };

  const watch = (target: string) => {
    if (closed || watchers.has(target)) return;
    try {
      const watcher = fs.watch(target, { persistent: false }, (_event, name) => {
        const only = filters.get(target);
        // A name-less event (some platforms) might be the one awaited: rescan.
        if (!only || !name || only.has(name)) schedule();
      });
      watcher.on("error", () => {
        // The folder went away (or its watch broke): drop it; the next sync adds it back if it returns.
        watcher.close();
        watchers.delete(target);
        schedule();
      });
      watchers.set(target, watcher);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== "ENOENT") report(err as Error);
    }
  };

  /** Watches what exists now, and the nearest parent of what does not, and forgets what is gone. */
  const sync = async () => {
    const wanted = new Map<string, Set<string> | null>();
    const want = (target: string, name: string | null) => {
      const have = wanted.get(target);
      if (have === null) return;
      if (name === null) wanted.set(target, null);
      else wanted.set(target, new Set([...(have ?? []), name]));
    };
    for (const root of paths) {
      const stat = await fs.promises.stat(root).catch(() => null);
      if (stat?.isFile()) want(root, null);
      else if (stat?.isDirectory()) for (const dir of await foldersUnder(root)) want(dir, null);
      else if (!stat) {
        const parent = await nearestParent(root);
        if (parent) want(parent.dir, parent.name);
      }
    }
    if (closed) return;
    for (const [target, watcher] of watchers) {
      if (!wanted.has(target)) {
        watcher.close();
        watchers.delete(target);
      }
    }
    filters.clear();
    for (const [target, only] of wanted) {
      filters.set(target, only);
      watch(target);
    }
  };

  function schedule() {
    if (closed) return;
    clearTimeout(timer);
    timer = setTimeout(() => {
      void sync().then(() => {
        if (!closed) onChange();
      }, (err: unknown) => report(err as Error));
    }, debounceMs);
  }

  const ready = sync().catch((err: unknown) => report(err as Error));
  const dispose = () => {
    closed = true;
    clearTimeout(timer);
    for (const watcher of watchers.values()) watcher.close();
    watchers.clear();
  };
  return Object.assign(dispose, { ready });
}
